import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../src/errors.js";
import { loadRecords, planSegments, readLines } from "../src/load.js";
import { CANARY, tempDir, v1Record, writeJsonl } from "./helpers.js";

async function collect(file: string) {
  const warnings: string[] = [];
  const records = [];
  for await (const record of loadRecords(file, { onWarning: (message) => warnings.push(message) })) records.push(record);
  return { records, warnings };
}

describe("load: streaming JSONL reader", () => {
  it("reads a line of tens of MB whole, with its file and line number", async () => {
    const dir = tempDir();
    const big = "x".repeat(30 * 1024 * 1024);
    const file = writeJsonl(dir, "big.jsonl", [{ a: 1 }, { big }, { c: 3 }]);
    const { records } = await collect(file);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3]);
    expect((records[1]?.record.big as string).length).toBe(big.length);
    expect(records[2]?.file).toBe(file);
  });

  it("skips blank lines, accepts CRLF and a BOM, and counts lines as a text editor does", async () => {
    const dir = tempDir();
    const file = join(dir, "crlf.jsonl");
    writeFileSync(file, '\uFEFF{"a":1}\r\n\r\n   \n{"b":2}\r\n');
    const { records } = await collect(file);
    expect(records.map((r) => [r.line, r.record])).toEqual([
      [1, { a: 1 }],
      [4, { b: 2 }],
    ]);
  });

  it("never crashes on invalid UTF-8: bad bytes become U+FFFD", async () => {
    const dir = tempDir();
    const file = join(dir, "latin1.jsonl");
    writeFileSync(file, Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('"}\n')]));
    const { records } = await collect(file);
    expect(records[0]?.record.text).toBe("caf\uFFFD\uFFFD\uFFFD");
  });

  it("turns a cut-short last line (interrupted capture) into a warning and keeps the records before it", async () => {
    const dir = tempDir();
    const full = JSON.stringify(v1Record(2, { model: "m" }));
    const file = writeJsonl(dir, "cut.jsonl", [v1Record(1, { model: "m" }), full.slice(0, full.length / 2)], false);
    const { records, warnings } = await collect(file);
    expect(records).toHaveLength(1);
    expect(warnings).toEqual([`${file}:2: last line is cut short (capture interrupted mid-write?); ignored it`]);
  });

  it("also treats a last line that simply stops (with a newline after it) as cut short", async () => {
    const dir = tempDir();
    const file = writeJsonl(dir, "cut-nl.jsonl", [{ a: 1 }, '{"b": "unfinished']);
    const { records, warnings } = await collect(file);
    expect(records).toHaveLength(1);
    expect(warnings[0]).toContain(":2: last line is cut short");
  });

  it("skips, with a warning, a record cut short in the middle: a capture interrupted and then resumed", async () => {
    const dir = tempDir();
    const full = JSON.stringify(v1Record(2, { model: "m" }));
    const file = writeJsonl(dir, "resumed.jsonl", [v1Record(1, { model: "m" }), full.slice(0, 80), v1Record(3, { model: "m" })]);
    const { records, warnings } = await collect(file);
    expect(records.map((r) => r.record.sequence)).toEqual([1, 3]);
    expect(warnings).toEqual([`${file}:2: a record is cut short (capture interrupted, then resumed?); ignored it`]);
  });

  it("still rejects a line in the middle that is not a record cut short (broken inside, or not a record)", async () => {
    const dir = tempDir();
    for (const line of ['{"a": 1, oops "b": 2}', "[1, 2"]) {
      const file = writeJsonl(dir, "broken.jsonl", [{ a: 1 }, line, { c: 3 }]);
      await expect(collect(file)).rejects.toThrow(`${file}:2: line is not valid JSON`);
    }
  });

  it("rejects a line that is not JSON in the middle, naming file:line and not quoting the line", async () => {
    const dir = tempDir();
    const file = writeJsonl(dir, "bad.jsonl", [{ a: 1 }, `not json ${CANARY.apiKey}`, { c: 3 }]);
    const error = await collect(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: line is not valid JSON`));
    expect((error as Error).message).not.toContain(CANARY.apiKey);
  });

  it("rejects a last line that is complete but not JSON", async () => {
    const dir = tempDir();
    const file = writeJsonl(dir, "bad-last.jsonl", [{ a: 1 }, "garbage"], false);
    await expect(collect(file)).rejects.toThrow(`${file}:2: line is not valid JSON`);
  });

  it("rejects a JSON line that is not an object", async () => {
    const dir = tempDir();
    const file = writeJsonl(dir, "array.jsonl", ["[1, 2]"]);
    await expect(collect(file)).rejects.toThrow(`${file}:1: line is not a JSON object`);
  });

  it("names a missing file", async () => {
    const missing = join(tempDir(), "nope.jsonl");
    await expect(collect(missing)).rejects.toThrow(`${missing}: cannot read file (no such file)`);
  });

  it("reports the bytes it reads (for the progress bar)", async () => {
    const dir = tempDir();
    const file = writeJsonl(dir, "bytes.jsonl", [{ a: 1 }, { b: 2 }]);
    let bytes = 0;
    for await (const _line of readLines(file, (n) => (bytes += n))) void _line;
    expect(bytes).toBe(16);
  });
});

describe("planSegments", () => {
  it("cuts a file at line starts, numbering each segment's first line, covering every byte once", async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 200 }, (_, i) => `{"n":${i},"pad":"${"x".repeat((i * 37) % 300)}"}`);
    const file = join(dir, "c.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const text = readFileSync(file);
    const segments = await planSegments(file, 2_000);
    expect(segments.length).toBeGreaterThan(5);
    expect(segments[0]?.start).toBe(0);
    expect(segments.at(-1)?.end).toBe(text.length);
    segments.forEach((segment, i) => {
      expect(segment.last).toBe(i === segments.length - 1);
      if (i > 0) expect(segment.start).toBe(segments[i - 1]?.end);
      expect(text[segment.start - 1] ?? 0x0a).toBe(0x0a);
      expect(segment.firstLine).toBe(text.subarray(0, segment.start).toString().split("\n").length);
    });
    const numbered: number[] = [];
    for (const segment of segments) for await (const { line, text: t } of readLines(file, undefined, segment)) if (t) numbered.push(line);
    expect(numbered).toEqual(lines.map((_, i) => i + 1));
  });

  it("keeps a file smaller than two segments whole, and an empty file as one empty segment", async () => {
    const dir = tempDir();
    const small = join(dir, "s.jsonl");
    writeFileSync(small, '{"a":1}\n{"a":2}\n');
    expect(await planSegments(small, 1 << 20)).toEqual([{ start: 0, end: 16, firstLine: 1, last: true }]);
    const empty = join(dir, "e.jsonl");
    writeFileSync(empty, "");
    expect(await planSegments(empty, 1)).toEqual([{ start: 0, end: 0, firstLine: 1, last: true }]);
  });
});
