import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RepeatedArrays, scanArray } from "../src/repeated-arrays.js";

/** Parse lines as loadRecords does: the shortcut first, else in full (and learn). */
function parseAll(lines: string[]): Array<Record<string, unknown>> {
  const repeated = new RepeatedArrays();
  return lines.map((text) => {
    const bytes = Buffer.from(text);
    const quick = repeated.parse(bytes);
    if (quick) return quick;
    const record = JSON.parse(text) as Record<string, unknown>;
    repeated.learn(bytes, record);
    return record;
  });
}

const TOOLS = Array.from({ length: 12 }, (_, i) => ({ name: `Tool${i}`, description: `Does thing ${i}. `.repeat(20), input_schema: { type: "object" } }));

function record(sequence: number, body: Record<string, unknown>): string {
  return JSON.stringify({ sequence, method: "POST", url: "https://api.anthropic.com/v1/messages", request_json: body, usage: { input_tokens: 1 } });
}

/** Text that JSON escapes, and text that looks like the keys the shortcut looks for. */
const trickyText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom('"tools":[', '\\"messages\\":[', "]", "}", "\\", '"', "ñandú 😀", ',"system":[{"x":1}]', "\u2028"),
);

describe("RepeatedArrays: reusing what a record repeats of the one before", () => {
  it("parses every line exactly as JSON.parse does (400 generated captures: interleaved sessions, tricky text, nested keys)", () => {
    const block = fc.record({ type: fc.constant("text"), text: fc.array(trickyText, { maxLength: 30 }).map((parts) => parts.join(" ").padEnd(120, "x")) });
    const message = fc.record({ role: fc.constantFrom("user", "assistant"), content: fc.oneof(fc.array(block, { minLength: 1, maxLength: 3 }), trickyText) });
    // A nested object keyed "tools" inside a message, before the body's own tools.
    const nested = fc.record({ role: fc.constant("user"), content: fc.constant([{ type: "tool_use", input: { tools: TOOLS.slice(0, 3), messages: [] } }]) });
    const session = fc.array(fc.oneof({ weight: 5, arbitrary: message }, { weight: 1, arbitrary: nested }), { minLength: 2, maxLength: 25 });
    fc.assert(
      fc.property(fc.array(session, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), (sessions, flip, billing) => {
        const lines: string[] = [];
        // Sessions interleaved turn by turn; each request repeats its session so far.
        const longest = Math.max(...sessions.map((s) => s.length));
        for (let turn = 1; turn <= longest; turn++) {
          sessions.forEach((messages, s) => {
            if (turn > messages.length) return;
            const sent = messages.slice(0, turn).map((m, i) => (flip && i === 0 && turn % 2 && typeof m.content === "string" ? { ...m, content: [{ type: "text", text: m.content }] } : m));
            const system = [...(billing ? [{ type: "text", text: `x-anthropic-billing-header: cch=${turn}` }] : []), { type: "text", text: "You are Claude Code. ".repeat(60) }];
            lines.push(record(lines.length + 1, { model: `m${s}`, messages: sent, system, tools: s % 2 ? TOOLS : [...TOOLS].reverse(), stream: true }));
          });
        }
        expect(parseAll(lines)).toEqual(lines.map((line) => JSON.parse(line)));
      }),
      { numRuns: 400 },
    );
  });

  it("hands a repeated tools array and repeated messages back as the same objects", () => {
    const messages = Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `message ${i} `.repeat(40) }));
    const lines = [3, 4, 6].map((n, i) => record(i + 1, { model: "m", messages: messages.slice(0, n), tools: TOOLS }));
    const [first, second, third] = parseAll(lines).map((r) => r.request_json as { tools: unknown[]; messages: unknown[] });
    expect(second?.tools[0]).toBe(first?.tools[0]);
    expect(third?.tools[11]).toBe(first?.tools[11]);
    expect(second?.messages[0]).toBe(first?.messages[0]);
    expect(third?.messages[3]).toBe(second?.messages[3]);
    expect(third?.messages).toEqual(messages);
  });

  it("does not take a nested array under the same key for the body's", () => {
    const inner = { role: "user", content: [{ type: "tool_use", input: { tools: TOOLS } }] };
    const lines = [
      record(1, { model: "m", messages: [inner], tools: TOOLS }),
      // The same bytes as the remembered tools, but only nested: the body's tools are other ones.
      record(2, { model: "m", messages: [inner], tools: TOOLS.slice(1) }),
    ];
    expect(parseAll(lines)).toEqual(lines.map((line) => JSON.parse(line)));
  });
});

describe("scanArray", () => {
  it("finds element ends past strings holding brackets, commas, quotes and backslashes", () => {
    const array = ["a,]", { b: '"}\\' }, [1, [2]], "\\", null];
    const line = Buffer.from(`{"k":${JSON.stringify(array)}}`);
    const ends: number[] = [];
    const end = scanArray(line, 5, 6, ends);
    expect(line.toString("utf8", 5, end)).toBe(JSON.stringify(array));
    expect(ends.map((e, i) => JSON.parse(line.toString("utf8", 5 + (i === 0 ? 1 : (ends[i - 1] as number) + 1), 5 + e)))).toEqual(array);
    expect(scanArray(Buffer.from("[]"), 0, 1, [])).toBe(2);
    expect(scanArray(Buffer.from('["cut'), 0, 1, [])).toBe(-1);
  });
});
