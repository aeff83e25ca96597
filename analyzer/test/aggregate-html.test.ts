/** `aggregate --html-output`: the file (private, self-contained, the JSON's figures, every run), and its command-line errors. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { aggregateReports, reportFiles, type AggregateRun } from "../src/aggregate.js";
import type { HtmlAggregateData } from "../src/html-aggregate-data.js";
import { report, writeRuns } from "./aggregate-fixture.js";
import { expectOneLineError, runCli, tempDir } from "./helpers.js";
import { expectPrivateSelfContainedPage, pageData } from "./html-file.js";

/** Three runs of one scenario; the first has its own report.html beside its report.json, as the runner writes. */
function threeRuns(): { dir: string; runs: string } {
  const dir = tempDir();
  const runs = writeRuns([0, 1, 2].map((i) => report({ prompt: 1000 + 10 * i }, { prompt: 800 + 10 * i }, { scenario: "read-readme" })), dir);
  writeFileSync(join(runs, "1", "report.html"), "<!doctype html>");
  return { dir, runs };
}

describe("aggregate --html-output", () => {
  test("a private (0600), self-contained page carrying the aggregate JSON unchanged and every run's values", () => {
    const { dir, runs } = threeRuns();
    const html = join(dir, "out", "aggregate.html");
    const json = join(dir, "aggregate.json");
    const result = runCli(["aggregate", runs, "-o", join(dir, "aggregate.md"), "--json-output", json, "--html-output", html, "--fail-on", "errors > 0"]);
    expectPrivateSelfContainedPage(result, html);
    const data = pageData<HtmlAggregateData>(html);
    expect(data.aggregate).toEqual(JSON.parse(readFileSync(json, "utf8")));
    expect(data.subtitle).toBe("Aggregate over 3 runs, 1 scenario");
    expect(data.verdict).toBe(readFileSync(join(dir, "aggregate.md"), "utf8").split("\n").find((line) => line.startsWith("**Verdict")));
    expect(data.runs.map((run) => run.file)).toEqual([1, 2, 3].map((i) => join(runs, String(i), "report.json")));
    expect(data.runs.map((run) => run.values.prompt_tokens)).toEqual([0, 1, 2].map((i) => ({ direct: 1000 + 10 * i, headroom: 800 + 10 * i })));
    expect(data.runs.map((run) => run.scenario)).toEqual(["read-readme", "read-readme", "read-readme"]);
    // The first run's own HTML report, linked relative to the page.
    expect(data.runs.map((run) => run.html)).toEqual(["../runs/1/report.html", null, null]);
  });

  test("-q writes it without the line; the Markdown on stdout stays as it was", () => {
    const { dir, runs } = threeRuns();
    const html = join(dir, "a.html");
    const result = runCli(["aggregate", runs, "--html-output", html, "-q"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^# Aggregate over 3 runs, 1 scenario/);
    expect(existsSync(html)).toBe(true);
  });

  test("a path that is another output or an input report is a command-line error (64), before anything is written", () => {
    const { dir, runs } = threeRuns();
    const cases: Array<[string[], string]> = [
      [["-o", join(dir, "same"), "--html-output", join(dir, "same")], "--output and --html-output name the same file"],
      [["--json-output", join(dir, "same"), "--html-output", join(dir, "same")], "--json-output and --html-output name the same file"],
      [["--output", join(dir, "same"), "--json-output", join(dir, "same")], "--output and --json-output name the same file"],
      [["--html-output", join(runs, "2", "report.json")], "would overwrite the input reports below"],
      [["--json-output", join(runs, "3", "report.json")], "would overwrite the input reports below"],
    ];
    for (const [options, message] of cases) {
      const result = runCli(["aggregate", runs, ...options]);
      expect(result.status, options.join(" ")).toBe(64);
      expect(expectOneLineError(result)).toContain(message);
    }
    const named = join(runs, "1", "report.json");
    const before = readFileSync(named, "utf8");
    const input = runCli(["aggregate", named, join(runs, "2", "report.json"), "--html-output", named]);
    expect(input.status).toBe(64);
    expect(expectOneLineError(input)).toContain(`--html-output ${named} would overwrite the input report ${named}`);
    expect(readFileSync(named, "utf8")).toBe(before);
    expect(existsSync(join(dir, "same"))).toBe(false);
  });

  test("an HTML path that cannot be written is exit 1 with one line", () => {
    const { runs } = threeRuns();
    const result = runCli(["aggregate", runs, "-q", "--html-output", "/proc/headroom-test/a.html"]);
    expect(result.status).toBe(1);
    expect(expectOneLineError(result)).toMatch(/cannot write HTML report \/proc\/headroom-test\/a.html/);
  });

  test("--help names the option", () => {
    expect(runCli(["aggregate", "--help"]).stdout).toMatch(/--html-output\s+Also write a self-contained HTML report/);
  });
});

describe("aggregateReports: onRun", () => {
  test("hands over each report's values as read, per arm, not counted as null", async () => {
    const dir = tempDir();
    const old = report({ prompt: 1000 }, { prompt: 500 });
    (old.summary as { paired_tokens: { headroom: { exchanges_with_usage: number } } }).paired_tokens.headroom.exchanges_with_usage = 2;
    const runs = writeRuns([old, report({ prompt: 1200, errors: 1 }, { prompt: 900 })], dir);
    mkdirSync(join(dir, "empty"));
    const seen: AggregateRun[] = [];
    const result = await aggregateReports(reportFiles([runs]), { onRun: (run) => seen.push(run) });
    expect(seen.map((run) => run.file)).toEqual([join(runs, "1", "report.json"), join(runs, "2", "report.json")]);
    expect(seen[0]!.values.prompt_tokens).toEqual({ direct: null, headroom: null });
    expect(seen[1]!.values.prompt_tokens).toEqual({ direct: 1200, headroom: 900 });
    expect(seen[1]!.values.errors).toEqual({ direct: 1, headroom: 0 });
    expect(seen[1]!.values.tools_count_delta).toEqual({ run: 0 });
    expect(seen[0]!.generated_at).toBe("2026-11-27T00:00:00.000Z");
    // The aggregate counts exactly the values handed over.
    expect(result.metrics.prompt_tokens!.direct).toMatchObject({ n: 1, not_counted: 1, mean: 1200 });
  });
});
