import { describe, expect, test } from "vitest";
import { PromptCache } from "../src/mock-anthropic/usage.js";
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
