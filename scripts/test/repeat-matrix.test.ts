import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, test } from "vitest";
import { repetitionDir, runRepeated } from "../src/lanes/repeat.js";
import { REPO_ROOT } from "../src/lanes/repo.js";
import { DEFAULT_GATES, plan } from "../src/matrix/matrix.js";
import { scenarioNames } from "../src/mock-anthropic/scenario.js";

const MATRIX = [process.execPath, "--import", "tsx", path.join(REPO_ROOT, "scripts/src/matrix/matrix.ts")] as const;

/** Every folder a test makes, removed after the suite. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tempCaptures(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "repeat-"));
  made.push(dir);
  return dir;
}

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
}

describe("--repeat: repetitions into captures/runs/<i>/", () => {
  test("each repetition gets its own folder, in order; a failed one is named; earlier runs move aside", async () => {
    const captures = tempCaptures();
    mkdirSync(path.join(captures, "runs", "1"), { recursive: true });
    writeFileSync(path.join(captures, "runs", "1", "report.json"), "{}");
    const seen: Array<[string, number]> = [];
    const logged: string[] = [];
    const { stream } = fakeStream(false);
    const result = await runRepeated({
      repeat: 3,
      capturesDir: captures,
      append: false,
      label: "read-readme",
      progress: stream,
      log: (line) => logged.push(line),
      runOnce: async (dir, index) => {
        seen.push([dir, index]);
        return false; // no reports: nothing to aggregate
      },
    });
    expect(seen).toEqual([1, 2, 3].map((i) => [repetitionDir(captures, i), i]));
    expect(seen[0]![0]).toBe(path.join(captures, "runs", "1"));
    expect(result).toMatchObject({ ok: false, failed: [1, 2, 3] });
    expect(result.aggregate).toBeUndefined();
    expect(logged.filter((line) => /^run \d\/3 read-readme: FAILED in \d+ s/.test(line))).toHaveLength(3);
    const previous = readdirSync(path.join(captures, "previous"));
    expect(previous).toHaveLength(1);
    expect(existsSync(path.join(captures, "previous", previous[0]!, "runs", "1", "report.json"))).toBe(true);
  });

  test("on a TTY: a progress line as each run starts and ends", async () => {
    const captures = tempCaptures();
    const { written, stream } = fakeStream(true);
    await runRepeated({ repeat: 2, capturesDir: captures, append: false, progress: stream, log: () => {}, runOnce: async () => false });
    expect(written[0]).toBe("run 1/2: running\n");
    expect(written[1]).toMatch(/^run 1\/2: FAILED in \d+ s \(0 ok, 1 failed\)\n$/);
    expect(written).toHaveLength(4);
  });
});

describe("the matrix, described once", { timeout: 60_000 }, () => {
  test("plan: every scenario file x shards 1..N, and the default gates (what the workflow runs)", async () => {
    expect(plan(undefined, 3)).toEqual({ scenario: scenarioNames(), shard: [1, 2, 3] });
    const run = await execa(MATRIX[0], [...MATRIX.slice(1), "plan", "--scenarios", "read-readme", "--shards", "2"], { cwd: REPO_ROOT });
    expect(JSON.parse(run.stdout)).toEqual({ matrix: { scenario: ["read-readme"], shard: [1, 2] }, gates: DEFAULT_GATES });
  });

  test("the workflow's environment: empty inputs (a scheduled run) fall back to the defaults; FAIL_ON splits on ';'", async () => {
    const env = { SCENARIOS: "", SHARDS: "", FAIL_ON: "runs < 2; errors > 0" };
    const run = await execa(MATRIX[0], [...MATRIX.slice(1), "plan"], { cwd: REPO_ROOT, env });
    expect(JSON.parse(run.stdout)).toEqual({ matrix: { scenario: scenarioNames(), shard: [1, 2] }, gates: ["runs < 2", "errors > 0"] });
  });

  test("an unknown scenario is a usage error (exit 2) naming it", async () => {
    const run = await execa(MATRIX[0], [...MATRIX.slice(1), "plan", "--scenarios", "no-such"], { cwd: REPO_ROOT, reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("no scenario named no-such");
  });
});
