/**
 * `make matrix` end to end: the CI matrix offline on one machine — two repeat shards of one scenario, each
 * repeating the lanes (real mitmdump, real Claude Code, mock API, stand-in proxy) — then the final job's
 * aggregate with the default gates, JUnit and step summary. Proves the merge path CI relies on.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "../src/lanes/repo.js";
import { DEFAULT_GATES } from "../src/matrix/matrix.js";

describe("make matrix", () => {
  test("2 shards x 2 repetitions of read-readme: every report merged, grouped by scenario, gates held, JUnit and step summary written", async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "matrix-e2e-"));
    const out = path.join(scratch, "matrix");
    const summary = path.join(scratch, "step-summary.md");
    writeFileSync(summary, "");
    const run = await execa("make", ["--no-print-directory", "matrix", "REPEAT=2"], {
      cwd: REPO_ROOT,
      reject: false,
      env: { SCENARIOS: "read-readme", SHARDS: "2", MATRIX_OUT: out, GITHUB_STEP_SUMMARY: summary },
      stdin: "ignore",
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, output).toBe(0);
    for (const job of ["read-readme-1", "read-readme-2"]) {
      for (const index of [1, 2]) expect(existsSync(path.join(out, job, "runs", String(index), "report.json")), `${job} run ${index}`).toBe(true);
    }
    const aggregate = JSON.parse(readFileSync(path.join(out, "aggregate.json"), "utf8"));
    expect(aggregate.runs).toBe(4);
    expect(Object.keys(aggregate.groups)).toEqual(["read-readme"]);
    expect(aggregate.metrics.prompt_tokens.direct.n).toBe(4);
    expect(aggregate.gates.map((gate: { expr: string }) => gate.expr)).toEqual(DEFAULT_GATES);
    expect(aggregate.gates.every((gate: { failed: boolean }) => !gate.failed)).toBe(true);
    const junit = readFileSync(path.join(out, "junit.xml"), "utf8");
    expect(junit.match(/<testcase /g)).toHaveLength(DEFAULT_GATES.length);
    expect(junit).not.toContain("<failure");
    expect(run.stdout).toMatch(/\*\*Verdict \(headroom vs direct\):\*\* /);
    expect(run.stdout).toContain("# Aggregate over 4 runs, 1 scenario");
    expect(readFileSync(summary, "utf8")).toContain("# Aggregate over 4 runs");
    // The aggregate's HTML report beside the others, private, its path printed.
    const html = path.join(out, "aggregate.html");
    expect(statSync(html).mode & 0o777).toBe(0o600);
    expect(readFileSync(html, "utf8")).toContain("<title>Differential Network Capture Report</title>");
    expect(run.stdout).toContain(`HTML report (open in a browser): ${html}`);
    rmSync(scratch, { recursive: true, force: true });
  });
});
