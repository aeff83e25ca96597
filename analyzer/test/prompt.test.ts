import { describe, expect, it } from "vitest";
import type { Exchange, Prompt } from "../src/exchange.js";
import { leafPaths } from "../src/json-leaves.js";
import { createContext, normalizeRecord, type NormalizeContext } from "../src/normalize.js";
import { messagesBody, TOOLS, v1Record } from "./helpers.js";

function exchangeOf(body: unknown, context: NormalizeContext = createContext(), sequence = 1): Exchange {
  return normalizeRecord({ file: "capture.jsonl", line: sequence, record: v1Record(sequence, body) }, context);
}

function promptOf(body: unknown, context?: NormalizeContext): Prompt {
  const prompt = exchangeOf(body, context).prompt;
  if (!prompt) throw new Error("no prompt");
  return prompt;
}

const keys = (elements: Prompt["messages"]) => elements.map((element) => element.key);
const ephemeral = { type: "ephemeral" };
const BILLING = "x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli; cch=0a1b2;";

describe("Exchange.prompt", () => {
  it("lists tools, system blocks and messages with index, name or role, and their leaf range in Exchange.json", () => {
    const context = createContext();
    const exchange = exchangeOf(
      messagesBody({
        system: [{ type: "text", text: "You are Claude Code." }],
        tools: TOOLS,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "text", text: "hello" }] },
        ],
      }),
      context,
    );
    const prompt = exchange.prompt as Prompt;
    expect(prompt.tools.map((t) => [t.index, t.name])).toEqual([
      [0, "Read"],
      [1, "Bash"],
    ]);
    expect(prompt.system.map((s) => [s.index, s.name])).toEqual([[0, null]]);
    expect(prompt.messages.map((m) => [m.index, m.name])).toEqual([
      [0, "user"],
      [1, "assistant"],
    ]);
    const range = (element: Prompt["messages"][number]) => leafPaths(element.leaves, context.paths);
    expect(range(prompt.messages[1]!)).toEqual(["$.messages[1].role", "$.messages[1].content[0].type", "$.messages[1].content[0].text"]);
    expect(range(prompt.tools[0]!).every((path) => path.startsWith("$.tools[0]."))).toBe(true);
    expect(range(prompt.system[0]!)).toEqual(["$.system[0].type", "$.system[0].text"]);
  });

  it("is null for a body without a messages array", () => {
    expect(exchangeOf({ model: "claude-haiku-4-5" }).prompt).toBeNull();
  });

  it("keys ignore cache_control anywhere inside an element", () => {
    const plain = promptOf(
      messagesBody({
        system: [{ type: "text", text: "sys" }],
        tools: TOOLS,
        messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "out" }] }] }],
      }),
    );
    const marked = promptOf(
      messagesBody({
        system: [{ type: "text", text: "sys", cache_control: ephemeral }],
        tools: [{ ...TOOLS[0], cache_control: ephemeral }, TOOLS[1]],
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "a", cache_control: ephemeral },
              { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "out", cache_control: { type: "ephemeral", ttl: "1h" } }] },
            ],
          },
        ],
      }),
    );
    expect(keys(marked.system)).toEqual(keys(plain.system));
    expect(keys(marked.tools)).toEqual(keys(plain.tools));
    expect(keys(marked.messages)).toEqual(keys(plain.messages));
  });

  it("a message whose content is one text block keys like the same text as a string (with or without cache_control)", () => {
    const asString = promptOf(messagesBody({ messages: [{ role: "user", content: "fix the bug" }] }));
    const asBlock = promptOf(messagesBody({ messages: [{ role: "user", content: [{ type: "text", text: "fix the bug" }] }] }));
    const asMarkedBlock = promptOf(messagesBody({ messages: [{ role: "user", content: [{ type: "text", text: "fix the bug", cache_control: ephemeral }] }] }));
    expect(asBlock.messages[0]!.key).toBe(asString.messages[0]!.key);
    expect(asMarkedBlock.messages[0]!.key).toBe(asString.messages[0]!.key);
    // Two blocks, another role or other text are other content.
    const twoBlocks = promptOf(messagesBody({ messages: [{ role: "user", content: [{ type: "text", text: "fix the bug" }, { type: "text", text: "now" }] }] }));
    const assistant = promptOf(messagesBody({ messages: [{ role: "assistant", content: "fix the bug" }] }));
    const other = promptOf(messagesBody({ messages: [{ role: "user", content: "fix the bugs" }] }));
    const distinct = new Set([asString, twoBlocks, assistant, other].map((p) => p.messages[0]!.key));
    expect(distinct.size).toBe(4);
  });

  it("keys do not depend on the element's position or on object key order", () => {
    const first = promptOf(messagesBody({ messages: [{ role: "user", content: [{ type: "text", text: "x" }] }] }));
    const later = promptOf(
      messagesBody({
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: "b" },
          { content: [{ text: "x", type: "text" }], role: "user" },
        ],
      }),
    );
    expect(later.messages[2]!.key).toBe(first.messages[0]!.key);
    expect(later.messages[0]!.key).not.toBe(later.messages[2]!.key);
  });

  it("leaves Claude Code's billing header block out of system, keeping the other blocks' indexes", () => {
    const prompt = promptOf(
      messagesBody({
        system: [
          { type: "text", text: BILLING },
          { type: "text", text: "You are Claude Code.", cache_control: ephemeral },
        ],
      }),
    );
    expect(prompt.system.map((s) => s.index)).toEqual([1]);
    const withoutHeader = promptOf(messagesBody({ system: [{ type: "text", text: "You are Claude Code." }] }));
    expect(prompt.system[0]!.key).toBe(withoutHeader.system[0]!.key);
  });

  it("a string system is one element at index 0, keyed like one text block with that text", () => {
    const asString = promptOf(messagesBody({ system: "Be brief." }));
    const asBlock = promptOf(messagesBody({ system: [{ type: "text", text: "Be brief." }] }));
    expect(asString.system.map((s) => [s.index, s.leaves.pathIds.length])).toEqual([[0, 1]]);
    expect(asString.system[0]!.key).toBe(asBlock.system[0]!.key);
  });

  it("keys stay right when the block at a path changes and changes back (the per-path reuse cache)", () => {
    const context = createContext();
    const body = (text: string) => messagesBody({ messages: [{ role: "user", content: [{ type: "text", text }] }, { role: "assistant", content: "ok" }] });
    const fresh = (text: string) => promptOf(body(text)).messages.map((m) => m.key);
    const seen = ["a", "b", "b", "a", "a"].map((text, i) => exchangeOf(body(text), context, i + 1).prompt!.messages.map((m) => m.key));
    expect(seen).toEqual([fresh("a"), fresh("b"), fresh("b"), fresh("a"), fresh("a")]);
  });
});
