import { statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
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

  it("reports the direct lane's error when both lanes are bad", () => {
    const dir = tempDir();
    const result = runCli(["--direct", join(dir, "d.jsonl"), "--headroom", join(dir, "h.jsonl")]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toContain(join(dir, "d.jsonl"));
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
