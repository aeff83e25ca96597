import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { aggregateReports, reportFiles } from "../src/aggregate.js";
import { topLevelMembers } from "../src/report-head.js";
import { noisy, report, writeRuns } from "./aggregate-fixture.js";
import { CLI, expectOneLineError, REPO, runCli, tempDir } from "./helpers.js";

async function aggregate(paths: string[], options = {}) {
  return aggregateReports(reportFiles(paths), options);
}

describe("aggregate: figures", () => {
  it("per arm mean, median, sd and n over the runs", async () => {
    const runs = writeRuns([report({ prompt: 1000 }, { prompt: 900 }), report({ prompt: 1100 }, { prompt: 900 }), report({ prompt: 1200 }, { prompt: 900 })]);
    const result = await aggregate([runs]);
    expect(result.runs).toBe(3);
    const prompt = result.metrics.prompt_tokens!;
    expect(prompt.direct).toEqual({ n: 3, mean: 1100, median: 1100, sd: 100, not_counted: 0 });
    expect(prompt.headroom).toEqual({ n: 3, mean: 900, median: 900, sd: 0, not_counted: 0 });
    expect(prompt.delta.value).toBeCloseTo((900 / 1100 - 1) * 100, 10);
    expect(result.metrics.turns_per_conversation!.headroom).toMatchObject({ n: 3, mean: 3 });
  });

  it("a known true difference (-20 % prompt tokens): interval holds it, excludes 0, verdict better", async () => {
    const direct = noisy(20, 10000, 800, 1);
    const headroom = noisy(20, 8000, 800, 2);
    const runs = writeRuns(direct.map((d, i) => report({ prompt: d }, { prompt: headroom[i]! })));
    const prompt = (await aggregate([runs])).metrics.prompt_tokens!;
    expect(prompt.delta.ci_low!).toBeLessThan(-20);
    expect(prompt.delta.ci_high!).toBeGreaterThan(-20);
    expect(prompt.delta.ci_high!).toBeLessThan(0);
    expect(prompt.verdict).toBe("better");
  });

  it("no true difference: the interval holds 0, verdict no detectable difference; TOST says equivalent within 5 %", async () => {
    const direct = noisy(30, 10000, 600, 3);
    const headroom = noisy(30, 10000, 600, 4);
    const runs = writeRuns(direct.map((d, i) => report({ prompt: d }, { prompt: headroom[i]! })));
    const result = await aggregate([runs], { equivalenceMarginPct: 5 });
    const prompt = result.metrics.prompt_tokens!;
    expect(prompt.delta.ci_low!).toBeLessThan(0);
    expect(prompt.delta.ci_high!).toBeGreaterThan(0);
    expect(prompt.verdict).toBe("no detectable difference");
    expect(prompt.equivalence).toMatchObject({ margin: 5, equivalent: true });
    expect((await aggregate([runs], { equivalenceMarginPct: 0.1 })).metrics.prompt_tokens!.equivalence!.equivalent).toBe(false);
  });

  it("a worse figure is worse: more errors, lower cache hit ratio (percentage points)", async () => {
    const runs = writeRuns(
      [0, 1, 2, 3].map((i) => report({ prompt: 1000, cacheRead: 800 + i }, { prompt: 1000, cacheRead: 500 + i, errors: 1 + (i % 2) })),
    );
    const result = await aggregate([runs]);
    expect(result.metrics.cache_hit!.delta.value).toBeCloseTo(-30, 6);
    expect(result.metrics.cache_hit!.verdict).toBe("worse");
    expect(result.metrics.errors!.headroom!.mean).toBe(1.5);
    expect(result.metrics.errors!.delta.value).toBe(1.5);
    expect(result.metrics.errors!.verdict).toBe("worse");
  });

  it("is deterministic: the same reports give the same intervals", async () => {
    const runs = writeRuns(noisy(8, 1000, 200, 5).map((d) => report({ prompt: d }, { prompt: d - 50 })));
    expect(await aggregate([runs])).toEqual(await aggregate([runs]));
  });

  it("what an old report does not carry is not counted, never 0", async () => {
    const old = report({ prompt: 1000 }, { prompt: 500 });
    // An older analyzer counted a missing usage as 0: its totals are not trusted when a pair lacked usage.
    (old.summary as { paired_tokens: { headroom: { exchanges_with_usage: number } } }).paired_tokens.headroom.exchanges_with_usage = 2;
    const counted = report({ prompt: 1000 }, { prompt: 900 });
    const result = await aggregate([writeRuns([old, counted, counted])]);
    expect(result.metrics.prompt_tokens!.headroom).toMatchObject({ n: 2, mean: 900, not_counted: 1 });
    expect(result.metrics.cost!.direct).toMatchObject({ n: 0, not_counted: 3 });
    expect(result.metrics.prefix_breaks!.verdict).toBeNull();
    // A newer report says how many pairs it counted.
    const none = report({ prompt: 0 }, { prompt: 0 });
    (none.summary as { paired_tokens: Record<string, unknown> }).paired_tokens.pairs_counted = 0;
    expect((await aggregate([writeRuns([none])])).metrics.prompt_tokens!.direct!.n).toBe(0);
  });

  it("groups by scenario when reports name one, and resamples within each", async () => {
    const reports = [
      ...[0, 1, 2].map((i) => report({ prompt: 1000 + i }, { prompt: 800 + i }, { scenario: "small" })),
      ...[0, 1, 2].map((i) => report({ prompt: 50000 + 10 * i }, { prompt: 50000 + 10 * i }, { scenario: "large" })),
    ];
    const result = await aggregate([writeRuns(reports)]);
    expect(Object.keys(result.groups!)).toEqual(["large", "small"]);
    expect(result.groups!.small!.runs).toBe(3);
    expect(result.groups!.small!.metrics.prompt_tokens!.verdict).toBe("better");
    expect(result.groups!.large!.metrics.prompt_tokens!.verdict).toBe("no detectable difference");
    expect(result.metrics.prompt_tokens!.direct!.n).toBe(6);
  });

  it("reads only the head of a report: the paired rows are skipped, however they look", () => {
    const tricky = { route: "\"],\"summary\":{\"x\":1}}", text: "\\\"[{", nested: [{ a: ["}"] }] };
    const body: Record<string, unknown> = { ...report({ prompt: 1000 }, { prompt: 900 }), paired: [tricky, tricky] };
    const members = topLevelMembers(Buffer.from(`\uFEFF ${JSON.stringify(body, null, 2)}\n`), "paired");
    expect(members.paired).toBeUndefined();
    expect(members.summary).toEqual(body.summary);
  });
});

describe("headroom-analyze aggregate (CLI)", () => {
  const held = () => writeRuns([0, 1, 2, 3].map((i) => report({ prompt: 1000 + 10 * i }, { prompt: 700 + 10 * i }, { scenario: "demo" })));

  it("Markdown table to stdout; JSON with runs, metrics, gates; gates that hold -> exit 0", () => {
    const dir = tempDir();
    const json = join(dir, "out", "aggregate.json");
    const result = runCli(["aggregate", held(), "--json-output", json, "--fail-on", "prompt_tokens_delta_pct_ci_high >= 0", "--fail-on", "errors > 0"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^# Aggregate over 4 runs, 1 scenario/);
    expect(result.stdout).toMatch(/\| prompt tokens \(tokens\) \| 1015 \(median 1015, sd 12\.9\) \| 715 \(median 715, sd 12\.9\) \| 4 \/ 4 \| -29\.6 % \| \[.*\] \| better \|/);
    expect(result.stdout).toContain("## Gates");
    expect(result.stdout).toContain("| `errors > 0` | 0 | passed |");
    const output = JSON.parse(readFileSync(json, "utf8"));
    expect(output.runs).toBe(4);
    expect(output.metrics.prompt_tokens.verdict).toBe("better");
    expect(output.groups.demo.runs).toBe(4);
    expect(output.gates).toEqual([
      { expr: "prompt_tokens_delta_pct_ci_high >= 0", value: output.metrics.prompt_tokens.delta.ci_high, failed: false },
      { expr: "errors > 0", value: 0, failed: false },
    ]);
  });

  it("a failed gate -> exit 3, reports still written; JUnit validates as XML; step summary appended", () => {
    const dir = tempDir();
    const junit = join(dir, "junit.xml");
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "earlier step\n");
    const markdown = join(dir, "aggregate.md");
    const run = spawnSync(
      process.execPath,
      [CLI, "aggregate", held(), "-o", markdown, "--quiet", "--fail-on", "prompt_tokens_delta_pct < -10", "--fail-on", "cost_delta_pct > 0", "--fail-on", "runs < 2", "--junit", junit, "--github-step-summary"],
      { cwd: REPO, encoding: "utf8", env: { ...process.env, GITHUB_STEP_SUMMARY: summary } },
    );
    expect(run.status).toBe(3);
    expect(run.stderr).toBe("");
    expect(readFileSync(markdown, "utf8")).toContain("| `prompt_tokens_delta_pct < -10` | -29.5567 | **FAILED** |");
    expect(readFileSync(markdown, "utf8")).toContain("| `cost_delta_pct > 0` | not counted | **FAILED** |");
    const xml = readFileSync(junit, "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('tests="3" failures="2"');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(2);
    expect(xml).toContain('name="prompt_tokens_delta_pct &lt; -10"');
    const appended = readFileSync(summary, "utf8");
    expect(appended.startsWith("earlier step\n# Aggregate over 4 runs")).toBe(true);
    expect(appended).toContain("**Verdict (headroom vs direct):** prompt tokens -29.6 %");
  });

  it("malformed or unknown gates -> exit 64 naming them, before any report is read", () => {
    for (const [gate, named] of [
      ["prompt_tokens_delta_pct >> 3", "prompt_tokens_delta_pct >> 3"],
      ["prompt_tokens_delta_pct > three", "prompt_tokens_delta_pct > three"],
      ["bogus_metric > 3", "unknown metric bogus_metric"],
    ] as const) {
      const result = runCli(["aggregate", "/nonexistent/reports", "--fail-on", gate]);
      expect(result.status).toBe(64);
      expect(expectOneLineError(result)).toContain(named);
    }
  });

  it("a file that is not a report is bad input (exit 2) naming it; an empty folder too", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "notes.json"), "[1, 2]");
    const result = runCli(["aggregate", join(dir, "notes.json")]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toContain(`${join(dir, "notes.json")}: not a network-diff JSON report`);
    mkdirSync(join(dir, "empty"));
    const empty = runCli(["aggregate", join(dir, "empty")]);
    expect(empty.status).toBe(2);
    expect(expectOneLineError(empty)).toContain("no report.json below this folder");
  });

  it("--help lists the metric names", () => {
    const result = runCli(["aggregate", "--help"]);
    expect(result.status).toBe(0);
    for (const name of ["prompt_tokens", "cost", "cache_hit", "output_tokens", "turns_per_conversation", "first_byte_ms", "total_ms", "errors", "prefix_breaks", "tools_count_delta"]) {
      expect(result.stdout).toContain(`  ${name}: `);
    }
  });
});
