import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderJunit } from "../src/ci-outputs.js";
import { evaluateGates, parseGates } from "../src/gates.js";
import { runGateValues } from "../src/run-metrics.js";
import { ANALYZER, CLI, expectOneLineError, messagesBody, REPO, runCli, tempDir, v1Record, writeJsonl } from "./helpers.js";

const FIXTURES = join(ANALYZER, "test", "fixtures");
const DIFF = ["network-diff", "--direct", join(FIXTURES, "v1-direct.jsonl"), "--headroom", join(FIXTURES, "v1-headroom.jsonl")];

describe("gate expressions", () => {
  const known = new Set(runGateValues({}).keys());

  it("network-diff offers the metrics the issue names", () => {
    for (const name of ["prompt_tokens_delta_pct", "cost_delta_pct", "cache_hit_delta_pct", "output_tokens_delta_pct", "errors", "prefix_breaks", "tools_count_delta"]) {
      expect(known.has(name)).toBe(true);
    }
  });

  it("every operator; a true condition fails; a value not counted fails", () => {
    const values = new Map<string, number | null>([["errors", 2], ["cost_delta_pct", null]]);
    const results = evaluateGates(
      parseGates(["errors < 2", "errors <= 2", "errors > 2", "errors >= 2", "errors == 2", "errors != 2", "  errors>1.5e0 ", "cost_delta_pct > 0"], known),
      values,
    );
    expect(results.map((result) => result.failed)).toEqual([false, true, false, true, true, false, true, true]);
    expect(results[6]).toEqual({ expr: "errors>1.5e0", value: 2, failed: true });
    expect(results[7]).toEqual({ expr: "cost_delta_pct > 0", value: null, failed: true });
  });

  it("malformed and unknown expressions are usage errors naming them", () => {
    expect(() => parseGates(["errors =< 1"], known)).toThrow("--fail-on 'errors =< 1': expected 'METRIC OP NUMBER'");
    expect(() => parseGates(["errors > "], known)).toThrow("--fail-on 'errors > '");
    expect(() => parseGates(["> 1"], known)).toThrow("expected 'METRIC OP NUMBER'");
    expect(() => parseGates(["tokens > 1"], known)).toThrow("unknown metric tokens");
  });

  it("JUnit: one testcase per gate, failures as <failure>, escaped; valid XML", () => {
    const xml = renderJunit("suite <&>", [
      { expr: "a < 1", value: 0, failed: true },
      { expr: "b \"x\" & 'y'\u0001", value: null, failed: true },
      { expr: "c > 1", value: 0, failed: false },
    ]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(2);
  });
});

describe("headroom-analyze network-diff --fail-on", () => {
  it("gates that hold -> exit 0; listed in the Markdown and the JSON", () => {
    const dir = tempDir();
    const json = join(dir, "report.json");
    const result = runCli([...DIFF, "--json-output", json, "--quiet", "--fail-on", "prompt_tokens_delta_pct > 0", "--fail-on", "tools_count_delta < 0"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/## Gates\n\nAll 2 gates passed\./);
    expect(result.stdout).toContain("| `prompt_tokens_delta_pct > 0` | -11.474 | passed |");
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.gates).toEqual([
      { expr: "prompt_tokens_delta_pct > 0", value: expect.closeTo(((4012 - 4532) / 4532) * 100, 9), failed: false },
      { expr: "tools_count_delta < 0", value: 2, failed: false },
    ]);
    expect(report.summary.tools_count_delta).toBe(2);
  });

  it("a failed gate -> exit 3 after both reports are written; JUnit and step summary", () => {
    const dir = tempDir();
    const [md, json, junit, summary] = ["r.md", "r.json", "ci/junit.xml", "summary.md"].map((name) => join(dir, name)) as [string, string, string, string];
    const run = spawnSync(
      process.execPath,
      [CLI, ...DIFF, "-o", md, "--json-output", json, "--quiet", "--scenario", "read-file", "--fail-on", "tools_count_delta > 1", "--fail-on", "cache_hit_delta_pct < -5", "--junit", junit, "--github-step-summary"],
      { cwd: REPO, encoding: "utf8", env: { ...process.env, GITHUB_STEP_SUMMARY: summary } },
    );
    expect(run.status).toBe(3);
    expect(run.stderr).toBe("");
    expect(readFileSync(md, "utf8")).toContain("| `tools_count_delta > 1` | 2 | **FAILED** |");
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.scenario).toBe("read-file");
    expect(report.gates.map((gate: { failed: boolean }) => gate.failed)).toEqual([true, false]);
    const xml = readFileSync(junit, "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<testsuites name="headroom-analyze network-diff" tests="2" failures="1"');
    const appended = readFileSync(summary, "utf8");
    expect(appended).toMatch(/^### headroom vs direct — read-file: 3 paired requests/);
    expect(appended).toContain("| prompt_tokens (tokens) | 4532 | 4012 | -11.5 % |");
    expect(appended).toContain("| `tools_count_delta > 1` | 2 | **FAILED** |");
  });

  it("malformed or unknown -> exit 64 naming it, no report written", () => {
    const dir = tempDir();
    const json = join(dir, "r.json");
    for (const [gate, named] of [
      ["errors => 1", "errors => 1"],
      ["prompt_tokens > 1", "unknown metric prompt_tokens"],
    ] as const) {
      const result = runCli([...DIFF, "--json-output", json, "--fail-on", gate]);
      expect(result.status).toBe(64);
      expect(expectOneLineError(result)).toContain(named);
    }
    expect(existsSync(json)).toBe(false);
  });

  it("errors count failed Anthropic API calls (a 529), not Claude Code's settings fetch (a 404 only the direct lane makes)", () => {
    const dir = tempDir();
    const turn = messagesBody();
    const settings = { method: "GET", url: "https://api.anthropic.com/api/claude_code/settings", response_status: 404, request_json: undefined, usage: null };
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, null, settings), v1Record(2, turn)]);
    const headroom = writeJsonl(dir, "h.jsonl", [v1Record(1, turn, { response_status: 529, usage: null }), v1Record(2, turn)]);
    const json = join(dir, "r.json");
    const result = runCli(["--direct", direct, "--headroom", headroom, "--json-output", json, "--quiet", "--fail-on", "errors > 0", "--fail-on", "errors_delta != 1"]);
    expect(result.status).toBe(3);
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.summary.direct.api_errors).toBe(0);
    expect(report.summary.headroom.api_errors).toBe(1);
    expect(report.gates.map((gate: { value: number; failed: boolean }) => [gate.value, gate.failed])).toEqual([[1, true], [1, false]]);
  });

  it("a JUnit file or step summary that cannot be written: one line naming it, exit 1 (no hang on impossible folders)", () => {
    const junit = runCli([...DIFF, "--quiet", "--fail-on", "errors > 5", "--junit", "/proc/no-such-folder/junit.xml"]);
    expect(junit.status).toBe(1);
    expect(expectOneLineError(junit)).toBe("headroom-analyze: error: cannot write JUnit file /proc/no-such-folder/junit.xml (ENOENT)");
    const run = spawnSync(process.execPath, [CLI, ...DIFF, "--quiet", "--github-step-summary"], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, GITHUB_STEP_SUMMARY: "/proc/no-such-folder/summary.md" },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("headroom-analyze: error: cannot append to GITHUB_STEP_SUMMARY /proc/no-such-folder/summary.md (ENOENT)\n");
  });

  it("--github-step-summary outside GitHub Actions says nothing was written", () => {
    const env = { ...process.env };
    delete env.GITHUB_STEP_SUMMARY;
    const run = spawnSync(process.execPath, [CLI, ...DIFF, "--quiet", "--github-step-summary"], { cwd: REPO, encoding: "utf8", env });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("GITHUB_STEP_SUMMARY is not set");
  });

  it("--help lists the gate metrics and exit code 3", () => {
    const result = runCli(["--help"]);
    expect(result.stdout).toContain("  prompt_tokens_delta_pct: ");
    expect(result.stdout).toMatch(/^ {2}3 {3}a --fail-on gate failed/m);
  });
});

