import { describe, expect, test } from "vitest";
import { PromptCache, countInputTokens, estimateTokens } from "../src/mock-anthropic/usage.js";
import type { MessagesRequest } from "../src/mock-anthropic/types.js";

const turn = (billing: string, messages: MessagesRequest["messages"]): MessagesRequest =>
  ({
    model: "claude-test",
    max_tokens: 100,
    system: [
      { type: "text", text: `x-anthropic-billing-header: cc_version=2.1; ${billing}` },
      { type: "text", text: "You are Claude Code. ".repeat(200), cache_control: { type: "ephemeral" } },
    ],
    messages,
  }) as MessagesRequest;

describe("prompt cache, as Claude Code's turns meet it", () => {
  test("a second turn reads the first turn's prefix although the billing header changed", () => {
    const cache = new PromptCache();
    const first = cache.account(turn("cch=1;", [{ role: "user", content: "read it" }]));
    expect(first.cache_read_input_tokens).toBe(0);
    expect(first.cache_creation_input_tokens).toBeGreaterThan(900);
    const second = cache.account(
      turn("cch=2; cc_prev_req=req_1;", [
        { role: "user", content: "read it" },
        { role: "assistant", content: "ok" },
        { role: "user", content: [{ type: "text", text: "more", cache_control: { type: "ephemeral" } }] },
      ]),
    );
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
  });

  test("a changed system prompt misses the cache", () => {
    const cache = new PromptCache();
    cache.account(turn("a", [{ role: "user", content: "x" }]));
    const other = turn("b", [{ role: "user", content: "x" }]);
    (other.system as Array<{ text: string }>)[1]!.text = "Different. ".repeat(200);
    expect(cache.account(other).cache_read_input_tokens).toBe(0);
  });
});

describe("token counts follow the content (BPE, not bytes)", () => {
  const withToolResult = (result: string): MessagesRequest =>
    ({
      model: "claude-test",
      max_tokens: 100,
      messages: [
        { role: "user", content: "list the stock" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "cat data/inventory.json" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: result }] },
      ],
    }) as MessagesRequest;
  const items = Array.from({ length: 150 }, (_, i) => ({ sku: `INV-${10000 + i}`, warehouse: ["north", "south"][i % 2], quantity: (i * 37) % 900 }));

  test("a tool result 60 % smaller shows as clearly fewer prompt tokens", () => {
    const full = countInputTokens(withToolResult(JSON.stringify(items)));
    const smaller = countInputTokens(withToolResult(JSON.stringify(items.slice(0, 60))));
    expect(smaller / full).toBeLessThan(0.5);
    expect(smaller / full).toBeGreaterThan(0.3);
  });

  test("a message as a string and as one text block count the same, as on the API", () => {
    const asString = countInputTokens({ model: "m", messages: [{ role: "user", content: "read README.md" }] } as MessagesRequest);
    const asBlock = countInputTokens({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: "read README.md" }] }] } as MessagesRequest);
    expect(asString).toBe(asBlock);
  });

  test("text that looks like a special token is ordinary text", () => {
    expect(estimateTokens("a <|endoftext|> b")).toBeGreaterThan(3);
  });
});
