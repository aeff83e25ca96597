import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { generate } from "../bench/generate.js";
import { ANALYZER, messagesBody, SCHEMA, tempDir, v1Record } from "./helpers.js";

const ajv = new Ajv2020({ allErrors: true, strict: false });
// ajv-formats is CommonJS; its function is the module's `default` export.
ajvFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, "utf8")));

function records(file: string): unknown[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

function expectValid(record: unknown): void {
  const ok = validate(record);
  expect(ok ? [] : validate.errors).toEqual([]);
}

describe("capture record schema v1", () => {
  it.each(["v1-direct.jsonl", "v1-headroom.jsonl"])("fixture %s validates", (name) => {
    const all = records(join(ANALYZER, "test", "fixtures", name));
    expect(all.length).toBeGreaterThan(0);
    for (const record of all) expectValid(record);
  });

  it("the test helper's records validate", () => {
    expectValid(v1Record(1, messagesBody()));
  });

  it("the benchmark's synthetic captures validate", async () => {
    const dir = tempDir();
    const files = { direct: join(dir, "d.jsonl"), headroom: join(dir, "h.jsonl"), baseline: join(dir, "b.jsonl") };
    await generate({ sessions: 3, turnsPerSession: 8, toolResultChars: 500, seed: 1 }, files);
    const all = [...records(files.direct), ...records(files.headroom), ...records(files.baseline)];
    // 3 sessions x 8 exchanges per lane, plus one retried request in the headroom lane (session 2).
    expect(all).toHaveLength(3 * 24 + 1);
    expect(all.filter((record) => (record as { response_status?: unknown }).response_status === 529)).toHaveLength(1);
    for (const record of all) expectValid(record);
  });

  it("rejects a record that breaks it (so the checks above can fail)", () => {
    const { method: _m, ...noMethod } = v1Record(1, {});
    expect(validate(noMethod)).toBe(false);
    expect(validate({ ...v1Record(1, {}), request_body_sha256: "not-a-sha" })).toBe(false);
  });
});
