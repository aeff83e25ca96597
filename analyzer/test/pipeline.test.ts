import { statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { generate } from "../bench/generate.js";
import { InputError } from "../src/errors.js";
import * as fromSource from "../src/pipeline.js";
import { ANALYZER, CLI, expectOneLineError, runCli, tempDir, v1Record, writeJsonl } from "./helpers.js";

const FIXTURES = join(ANALYZER, "test", "fixtures");

describe("reading the lanes in worker threads", () => {
  it("gives the same report as reading them in one thread (JSON paths renumbered correctly)", async () => {
    const built = (await import(pathToFileURL(join(ANALYZER, "dist", "pipeline.js")).href)) as typeof fromSource;
    const generatedAt = new Date("2026-01-01T00:00:00Z");
    for (const [direct, headroom] of [
      ["v1-direct.jsonl", "v1-headroom.jsonl"],
      ["legacy-direct.jsonl", "legacy-headroom.jsonl"],
      ["v1-headroom.jsonl", "v1-direct.jsonl"],
    ]) {
      const options = { direct: join(FIXTURES, direct as string), headroom: join(FIXTURES, headroom as string), pairBy: "path" as const, generatedAt };
      const inThread = await fromSource.networkDiffToStrings(options);
      const inWorkers = await built.networkDiffToStrings(options);
      expect(inWorkers.json).toBe(inThread.json);
      expect(inWorkers.markdown).toBe(inThread.markdown);
      expect(inThread.report.paired.length).toBeGreaterThan(0);
    }
    expect(CLI).toContain("dist");
  });

  it("gives the same report on Claude-Code-shaped traffic, prompt elements shared across batches and lanes", async () => {
    // The benchmark's generator: tools reordered or deferred, messages inserted, retries, a baseline, and a
    // message sent as a string on one turn and as one text block (the same key, other leaves) on another.
    const built = (await import(pathToFileURL(join(ANALYZER, "dist", "pipeline.js")).href)) as typeof fromSource;
    const dir = tempDir();
    const files = { direct: join(dir, "d.jsonl"), headroom: join(dir, "h.jsonl"), baseline: join(dir, "b.jsonl") };
    await generate({ sessions: 4, turnsPerSession: 12, toolResultChars: 400, seed: 7 }, files);
    const options = { ...files, pairBy: "conversation" as const, generatedAt: new Date("2026-01-01T00:00:00Z") };
    const inThread = await fromSource.networkDiffToStrings(options);
    expect(inThread.report.paired.length).toBeGreaterThan(40);
    for (const segmentBytes of [20_000, 1 << 30]) {
      const inWorkers = await built.networkDiffToStrings({ ...options, segmentBytes });
      expect(inWorkers.json).toBe(inThread.json);
      expect(inWorkers.markdown).toBe(inThread.markdown);
    }
  });

  it("reports the direct lane's error when both lanes are bad", () => {
    const dir = tempDir();
    const result = runCli(["--direct", join(dir, "d.jsonl"), "--headroom", join(dir, "h.jsonl")]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toContain(join(dir, "d.jsonl"));
  });
});

describe("reading captures in segments on two threads", () => {
  /** A conversation of `turns` requests, each repeating the ones before (as Claude Code's do). */
  function conversation(turns: number, lane: string, extra = ""): Array<Record<string, unknown>> {
    const messages: Array<{ role: string; content: string }> = [];
    return Array.from({ length: turns }, (_, i) => {
      messages.push({ role: "user", content: `turn ${i} ${lane === "headroom" ? "short" : "a longer tool result ".repeat(5)}${extra}` });
      const record = v1Record(i + 1, { model: "claude-sonnet-4-5", system: "You are Claude Code.", messages: [...messages] }, { lane });
      messages.push({ role: "assistant", content: `answer ${i}` });
      return record;
    });
  }

  it("gives the same report whatever the segment size, with a baseline, records out of order and cut short", async () => {
    const built = (await import(pathToFileURL(join(ANALYZER, "dist", "pipeline.js")).href)) as typeof fromSource;
    const dir = tempDir();
    const lines = (lane: string, extra = ""): Array<Record<string, unknown> | string> => {
      const records: Array<Record<string, unknown> | string> = conversation(30, lane, extra);
      // Overlapping exchanges land out of sequence order; an interrupted capture leaves a record cut short, then resumes.
      [records[10], records[11]] = [records[11] as Record<string, unknown>, records[10] as Record<string, unknown>];
      records.splice(20, 0, JSON.stringify(records[20]).slice(0, 90));
      return records;
    };
    const direct = writeJsonl(dir, "direct.jsonl", lines("direct"));
    const headroom = writeJsonl(dir, "headroom.jsonl", lines("headroom"));
    const baseline = writeJsonl(dir, "baseline.jsonl", lines("direct", " again"));
    const generatedAt = new Date("2026-01-01T00:00:00Z");
    const options = { direct, headroom, baseline, pairBy: "conversation" as const, generatedAt };
    const inThread = await fromSource.networkDiffToStrings(options);
    expect(inThread.report.paired).toHaveLength(30);
    expect(inThread.report.warnings.join("\n")).toContain(`${direct}:21: a record is cut short`);
    for (const segmentBytes of [1, 700, 5_000, 1 << 30]) {
      const warnings: string[] = [];
      let bytes = 0;
      const segmented = await built.networkDiffToStrings({ ...options, segmentBytes, onWarning: (w) => warnings.push(w), onBytes: (n) => (bytes += n) });
      expect(segmented.json).toBe(inThread.json);
      expect(segmented.markdown).toBe(inThread.markdown);
      expect(bytes).toBe(statSync(direct).size + statSync(headroom).size + statSync(baseline).size);
      expect(warnings.filter((w) => w.includes("cut short"))).toHaveLength(3);
    }
  });

  it("names a bad line by its number in the file, whichever segment holds it; the direct lane's first", async () => {
    const built = (await import(pathToFileURL(join(ANALYZER, "dist", "pipeline.js")).href)) as typeof fromSource;
    const dir = tempDir();
    const records: Array<Record<string, unknown> | string> = conversation(40, "direct");
    records[36] = "not json at all";
    records[38] = "{also not json";
    const direct = writeJsonl(dir, "d.jsonl", records);
    const headroom = writeJsonl(dir, "h.jsonl", ["{}", "oops"]);
    const reading = built.networkDiffToStrings({ direct, headroom, pairBy: "conversation", segmentBytes: 2000 });
    await expect(reading).rejects.toThrow(new InputError(`${direct}:37: line is not valid JSON`));
  });
});

describe("a lane too big for a worker's heap", () => {
  it("is read again in the main thread: the same report, progress counted once", async () => {
    const built = (await import(pathToFileURL(join(ANALYZER, "dist", "pipeline.js")).href)) as typeof fromSource;
    const dir = tempDir();
    // One request of 200,000 messages: its parse tree alone is more than a worker's old generation may hold.
    const messages = Array.from({ length: 200_000 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: [{ type: "text", text: `m${i}` }] }));
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, { model: "m", messages })]);
    const headroom = writeJsonl(dir, "h.jsonl", [v1Record(1, { model: "m", messages: messages.slice(1) })]);
    let bytes = 0;
    const { report } = await built.networkDiffToStrings({ direct, headroom, pairBy: "path", onBytes: (n) => (bytes += n) });
    expect(bytes).toBe(statSync(direct).size + statSync(headroom).size);
    expect(report.paired).toHaveLength(1);
    expect(report.paired[0]?.json.only_direct).toEqual(["$.messages[0]"]);
  }, 120_000);
});
