import stringify from "fast-json-stable-stringify";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import fc from "fast-check";
import { generate } from "../bench/generate.js";
import { networkDiff, networkDiffToStrings } from "../src/pipeline.js";
import { stringifyInPieces } from "../src/render-json.js";
import { cappedList, cell, code } from "../src/render-markdown.js";
import { messagesBody, tempDir, TOOLS, v1Record, writeJsonl } from "./helpers.js";

describe("Markdown escaping and capping", () => {
  it("keeps a cell on one line and escapes pipes; code spans survive backticks", () => {
    expect(cell("a|b\nc\r\nd")).toBe("a\\|b c d");
    expect(code("$.a")).toBe("`$.a`");
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`x`")).toBe("`` `x` ``");
    expect(code("two\nlines")).toBe("`two lines`");
  });

  it("lists at most 10 items in a cell, then `… N more`", () => {
    const items = Array.from({ length: 13 }, (_, i) => `$.p${i}`);
    expect(cappedList(items)).toBe(`${items.slice(0, 10).map((i) => `\`${i}\``).join(", ")}, … 3 more`);
    expect(cappedList([])).toBe("-");
  });
});

describe("reports", () => {
  async function report(directBody: unknown, headroomBody: unknown) {
    const dir = tempDir();
    const direct = writeJsonl(dir, "direct.jsonl", [v1Record(1, directBody)]);
    const headroom = writeJsonl(dir, "headroom.jsonl", [v1Record(1, headroomBody, { url: "http://127.0.0.1:8787/v1/messages?beta=true", host: "127.0.0.1:8787" })]);
    return networkDiffToStrings({ direct, headroom, pairBy: "path", generatedAt: new Date("2026-01-02T03:04:05Z") });
  }

  it("Markdown: title, generation time, inputs, summary, and a paired row with tools=0->N", async () => {
    const { markdown, report: r } = await report(messagesBody(), messagesBody({ tools: TOOLS }));
    expect(markdown).toMatch(/^# Differential Network Capture Report\n/);
    expect(markdown).toContain("Generated: `2026-01-02T03:04:05.000Z`");
    expect(markdown).toContain(`- Direct capture: \`${r.inputs.direct}\``);
    for (const line of ["- Direct exchanges: 1", "- Headroom exchanges: 1", "- Paired exchanges: 1", "- Only direct: 0", "- Only headroom: 0", "- Request bytes: direct"]) {
      expect(markdown).toContain(line);
    }
    expect(markdown).toContain("| Seq | Route | Status | Body Bytes | Body SHA | Header Delta | JSON Delta | Tokens, First Byte |");
    const row = markdown.split("\n").find((line) => line.startsWith("| 1 -> 1 |")) as string;
    expect(row).toContain("`POST api.anthropic.com/v1/messages?beta=true` -> `POST 127.0.0.1/v1/messages?beta=true`");
    expect(row).toContain("200 -> 200");
    expect(row).toMatch(/\| \d+ -> \d+ \(\+\d+\) \| changed \|/);
    expect(row).toMatch(new RegExp(`tools=0->2 \\(\\+${r.paired[0]?.anthropic.headroom.tools_bytes} bytes\\) \\+\`Read\`, \`Bash\` \\|`));
    expect(row).toContain("prompt 1110 -> 1110 (+0); out 20 -> 20; first byte 320 -> 320 ms");
  });

  it("Markdown: latency per lane (median first byte and total ms) and per pair", async () => {
    const dir = tempDir();
    const slow = { timings: { response_headers_ms: 400, first_byte_ms: 450.4, end_ms: 2000 } };
    const direct = writeJsonl(dir, "direct.jsonl", [v1Record(1, { a: 1 }), v1Record(2, { a: 2 })]);
    const headroom = writeJsonl(dir, "headroom.jsonl", [v1Record(1, { a: 1 }, slow), v1Record(2, { a: 2 }, { timings: null })]);
    const { markdown, report: r } = await networkDiffToStrings({ direct, headroom, pairBy: "path" });
    expect(markdown).toMatch(/^\| direct \| 2 \|.*\| 320 \| 1500 \|$/m);
    expect(markdown).toMatch(/^\| headroom \| 2 \|.*\| 450 \| 2000 \|$/m);
    expect(markdown).toContain("first byte 320 -> 450 ms");
    expect(markdown).toContain("first byte 320 -> - ms");
    expect(r.summary.headroom.first_byte_ms_median).toBe(450.4);
  });

  it("Markdown: escapes | and newlines from keys, caps long lists and gives the full lists in <details>", async () => {
    const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i]));
    const { markdown } = await report({ a: 1 }, { a: 1, "pipe|key": 1, "new\nline": 2, ...many });
    const row = markdown.split("\n").find((line) => line.startsWith("| 1 -> 1 |")) as string;
    expect(row).toContain('`$["pipe\\|key"]`');
    expect(row).toContain('`$["new\\nline"]`');
    expect(row).toContain("… 7 more");
    expect(row.split(" | ")).toHaveLength(8);
    expect(markdown).toContain("## Full Lists");
    expect(markdown).toMatch(/<details>\n<summary>Pair 1: POST api.anthropic.com\/v1\/messages\?beta=true \(sequence 1 -&gt; 1\)<\/summary>/);
    expect(markdown).toContain("**JSON paths only in headroom (17)**");
    expect(markdown).toContain("- `$.k14`");
  });

  it("JSON: the original harness's layout, stable key order, schema_version", async () => {
    const { json, report: r } = await report(messagesBody(), messagesBody({ tools: TOOLS }));
    expect(json).toBe(`${stringify(r)}\n`);
    const parsed = JSON.parse(json);
    expect(Object.keys(parsed)).toEqual(Object.keys(parsed).sort());
    expect(parsed).toMatchObject({ schema_version: 1, generated_at: "2026-01-02T03:04:05.000Z", direct_count: 1, headroom_count: 1, only_direct: [], only_headroom: [] });
    const pair = parsed.paired[0];
    for (const key of ["route", "headroom_route", "direct_sequence", "headroom_sequence", "status", "request_body_size", "request_body_sha256", "anthropic", "headers", "json"]) {
      expect(pair).toHaveProperty(key);
    }
    expect(Object.keys(pair.status)).toEqual(["direct", "headroom"]);
    expect(Object.keys(pair.request_body_size)).toEqual(["delta", "direct", "headroom"]);
    expect(Object.keys(pair.request_body_sha256)).toEqual(["direct", "headroom", "same"]);
    expect(pair.anthropic.direct).toMatchObject({ tools_count: 0, tools_bytes: 0, anthropic_beta: "claude-code-20250219", model: "claude-sonnet-4-5-20250929", stream: true, message_count: 1 });
    expect(pair.anthropic.headroom.tools_count).toBe(2);
    expect(Object.keys(pair.headers)).toEqual(["changed", "noise", "only_direct", "only_headroom"]);
    expect(pair.json.only_headroom).toEqual(["$.tools[0]", "$.tools[1]"]);
    expect(pair.usage.direct).toEqual({ input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 });
  });

  it("summarizes tokens, cache hits and errors per lane", async () => {
    const dir = tempDir();
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, {}), v1Record(2, {}, { usage: { input_tokens: 5, output_tokens: 1, cache_creation_input_tokens: null, cache_read_input_tokens: 0 } })]);
    const headroom = writeJsonl(dir, "h.jsonl", [
      v1Record(1, {}, { response_status: null, usage: null, error: { kind: "upstream_connect", message: "connection refused" } }),
    ]);
    const { report: r, markdown } = await networkDiffToStrings({ direct, headroom, pairBy: "path" });
    expect(r.summary.direct.tokens).toMatchObject({ input_tokens: 15, output_tokens: 21, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, prompt_tokens: 1115, exchanges_with_usage: 2 });
    expect(r.summary.direct.tokens.cache_hit_ratio).toBeCloseTo(1000 / 1115);
    expect(r.summary.headroom.errors).toEqual([{ route: "POST api.anthropic.com/v1/messages?beta=true", sequence: 1, line: 1, status: null, kind: "upstream_connect", message: "connection refused" }]);
    expect(markdown).toContain("### Errors in the headroom lane");
    expect(markdown).toContain("| direct | 2 |");
  });
});

describe("the JSON report in pieces", () => {
  it("stringifyInPieces gives exactly fast-json-stable-stringify's text, split into bounded pieces", () => {
    const scalar = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: true }));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, scalar, tie("array"), tie("object")),
      array: fc.array(tie("value"), { maxLength: 400 }),
      object: fc.dictionary(fc.string(), tie("value"), { maxKeys: 8 }),
    }));
    fc.assert(
      fc.property(value, (input) => {
        const pieces = [...stringifyInPieces(input)];
        expect(pieces.join("")).toBe(stringify(input) ?? "");
        const longestScalar = 2 + Math.max(0, ...pieces.map((piece) => piece.length - (1 << 13)));
        for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeLessThan((1 << 13) + longestScalar);
      }),
      { numRuns: 300 },
    );
  });

  it("a head member of megabytes (the proxy account's rows, one per pair) reaches the sink in pieces of a few KB", async () => {
    const dir = tempDir();
    // The benchmark's traffic: the proxy shortens long tool results, so every pair has a row.
    const files = { direct: join(dir, "d.jsonl"), headroom: join(dir, "h.jsonl") };
    await generate({ sessions: 4, turnsPerSession: 40, toolResultChars: 4000, seed: 3 }, files);
    const chunks: string[] = [];
    await networkDiff({ ...files, pairBy: "conversation" }, { json: (chunk) => void chunks.push(chunk) });
    const report = JSON.parse(chunks.join("")) as { proxy_account: { rows: unknown[] } };
    expect(report.proxy_account.rows.length).toBeGreaterThan(150);
    expect(JSON.stringify(report.proxy_account).length).toBeGreaterThan(4 << 16);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(20_000);
  });
});
