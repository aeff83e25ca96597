/**
 * The aggregate's HTML report in a real browser (Debian's chromium, headless): every figure shown
 * is the aggregate JSON's, the verdicts and gates read as in the Markdown, each metric's strip plot
 * holds one dot per run and arm and its interval chart draws, the runs are listed with their own
 * figures, and the page asks for nothing but itself. Screenshots go to analyzer/test-output/html/.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MetricResult } from "../src/aggregate.js";
import { deltaText, figure, verdictText } from "../src/aggregate-text.js";
import { METRICS } from "../src/run-metrics.js";
import { noisy, report, writeRuns } from "./aggregate-fixture.js";
import { ANALYZER, runCli, tempDir } from "./helpers.js";
import { launchBrowser, openReport, reportFigure, screenshot, shownFigures, type OpenedReport } from "./html-page.js";

const SHOTS = join(ANALYZER, "test-output", "html");

/**
 * Two scenarios of four runs each: in "small" the proxy saves about 20 % of prompt tokens beyond
 * the noise and costs one error now and then; in "large" the arms are the same but for noise.
 */
function fixtureRuns(dir: string): { runs: string; prompt: Array<[number, number]> } {
  const small = [noisy(4, 10000, 600, 11), noisy(4, 8000, 600, 12)] as const;
  const large = [noisy(4, 50000, 900, 13), noisy(4, 50000, 900, 14)] as const;
  const prompt: Array<[number, number]> = [];
  const reports = [
    ...[0, 1, 2, 3].map((i) => {
      prompt.push([small[0][i]!, small[1][i]!]);
      return report({ prompt: small[0][i]!, cacheRead: 6000 + 100 * i, firstByte: 300 + 7 * i }, { prompt: small[1][i]!, cacheRead: 5000 + 90 * i, firstByte: 320 + 5 * i, errors: i % 2 }, { scenario: "small" });
    }),
    ...[0, 1, 2, 3].map((i) => {
      prompt.push([large[0][i]!, large[1][i]!]);
      return report({ prompt: large[0][i]!, cacheRead: 40000, firstByte: 350 + 3 * i }, { prompt: large[1][i]!, cacheRead: 40100, firstByte: 355 + 4 * i }, { scenario: "large" });
    }),
  ];
  const runs = writeRuns(reports, dir);
  writeFileSync(join(runs, "1", "report.html"), "<!doctype html><title>run 1</title>");
  return { runs, prompt };
}

/** The metric a `data-field` path falls in (`metrics.X.…` or `groups.S.metrics.X.…`), from the JSON. */
function metricOf(aggregate: Record<string, unknown>, field: string): MetricResult | null {
  const match = /^(.*metrics)\.([a-z_]+)\./.exec(field);
  if (!match) return null;
  const metrics = match[1]!.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], aggregate) as Record<string, MetricResult>;
  return metrics[match[2]!] ?? null;
}

/** The text a figure is shown with: differences and intervals as Δ, everything else as the Markdown's figure. */
function expectedText(aggregate: Record<string, unknown>, field: string, value: number | null): string {
  const metric = metricOf(aggregate, field);
  if (field.startsWith("gates.") && value === null) return "not counted";
  if (metric && /\.(delta|equivalence)\.(value|ci_low|ci_high)$/.test(field)) return deltaText(metric, value);
  return figure(value);
}

async function canvasInk(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (canvases) =>
    canvases.map((canvas) => {
      const context = (canvas as HTMLCanvasElement).getContext("2d");
      if (!context) return 0;
      const pixels = context.getImageData(0, 0, (canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height).data;
      let ink = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) ink += 1;
      return ink;
    }),
  );
}

describe("the aggregate's HTML report in headless Chromium", () => {
  const dir = tempDir();
  const html = join(dir, "aggregate.html");
  const json = join(dir, "aggregate.json");
  const markdown = join(dir, "aggregate.md");
  let browser: Browser;
  let opened: OpenedReport;
  let aggregate: Record<string, unknown> & { metrics: Record<string, MetricResult>; gates: Array<{ expr: string; value: number | null; failed: boolean }> };
  let prompt: Array<[number, number]>;

  beforeAll(async () => {
    const fixture = fixtureRuns(dir);
    prompt = fixture.prompt;
    const gates = ["--fail-on", "prompt_tokens_delta_pct_ci_low > 0", "--fail-on", "errors > 0", "--fail-on", "cost_delta_pct > 0"];
    const result = runCli(["aggregate", fixture.runs, "-o", markdown, "--json-output", json, "--html-output", html, "--equivalence-margin", "5", "--quiet", ...gates]);
    if (result.status !== 3) throw new Error(`expected the failing gates' exit 3, got ${result.status}: ${result.stderr}`);
    aggregate = JSON.parse(readFileSync(json, "utf8"));
    browser = await launchBrowser();
    opened = await openReport(browser, html, "", "#charts canvas");
  });

  afterAll(async () => {
    await browser?.close();
  });

  test("the title, the heading and the verdict paragraph as the Markdown has them", async () => {
    const { page } = opened;
    expect(await page.textContent("h1")).toBe("Differential Network Capture Report");
    expect(await page.textContent("#subtitle")).toBe("Aggregate over 8 runs, 2 scenarios");
    const verdict = readFileSync(markdown, "utf8").split("\n").find((line) => line.startsWith("**Verdict"))!;
    expect(await page.textContent("#verdict")).toBe(verdict.replace(/\*\*/g, ""));
    expect(await page.textContent("#verdict strong")).toBe("Verdict (headroom vs direct):");
    await screenshot(page, join(SHOTS, "aggregate.png"), true);
    await screenshot(page, join(SHOTS, "aggregate-top.png"));
  });

  test("every figure shown is the aggregate JSON's, shown as the Markdown shows it", async () => {
    const figures = await shownFigures(opened.page);
    // Every figure of every metric is shown, overall and per scenario; an interval that cannot be given is one "-".
    for (const base of ["metrics", "groups.small.metrics", "groups.large.metrics"]) {
      const metrics = base.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], aggregate) as Record<string, MetricResult>;
      const expected = Object.entries(metrics).flatMap(([name, metric]) => [
        ...(metric.run ? ["run"] : ["direct", "headroom"]).flatMap((side) => ["mean", "median", "sd", "n", "not_counted"].map((key) => `${base}.${name}.${side}.${key}`)),
        `${base}.${name}.delta.value`,
        `${base}.${name}.delta.ci_low`,
        ...(metric.delta.ci_high === null ? [] : [`${base}.${name}.delta.ci_high`]),
        ...(metric.equivalence?.ci_low == null ? [] : [`${base}.${name}.equivalence.ci_low`, `${base}.${name}.equivalence.ci_high`]),
      ]);
      expect(figures.map(({ field }) => field).filter((field) => field.startsWith(`${base}.`)).sort(), base).toEqual(expected.sort());
    }
    for (const { field, value, text } of figures) {
      const expected = reportFigure(aggregate, field);
      expect(value, field).toBe(expected);
      expect(text, field).toBe(expectedText(aggregate, field, expected));
    }
    // Spot checks against the inputs themselves, not through the JSON.
    const directMean = prompt.reduce((sum, [direct]) => sum + direct, 0) / prompt.length;
    expect(figures.find(({ field }) => field === "metrics.prompt_tokens.direct.mean")?.value).toBeCloseTo(directMean, 9);
    expect(figures.find(({ field }) => field === "metrics.prompt_tokens.headroom.n")?.text).toBe("8");
    expect(figures.find(({ field }) => field === "runs")?.text).toBe("8");
  });

  test("verdicts and equivalence per metric as the JSON says; the scenarios apart", async () => {
    const { page } = opened;
    for (const [name, metric] of Object.entries(aggregate.metrics)) {
      expect(await page.textContent(`#metrics [data-verdict="${name}"]`), name).toBe(verdictText(metric));
      if (metric.equivalence) expect(await page.getAttribute(`#metrics [data-metric="metrics.${name}"][data-equivalent]`, "data-equivalent"), name).toBe(String(metric.equivalence.equivalent));
    }
    expect(await page.textContent('#metrics [data-verdict="prompt_tokens"]')).toMatch(/^better/);
    expect(await page.textContent('#metrics-large [data-verdict="prompt_tokens"]')).toMatch(/^no detectable difference/);
    expect(await page.textContent('#metrics-small [data-verdict="prompt_tokens"]')).toMatch(/^better/);
    expect(await page.$$eval(".scenario h2", (headings) => headings.map((heading) => heading.textContent))).toEqual(["Scenario large (4 runs)", "Scenario small (4 runs)"]);
  });

  test("the gates: which failed and with what value", async () => {
    const { page } = opened;
    expect(await page.textContent("#gates .gate-headline")).toMatch(/^2 of 3 gates failed\./);
    const rows = await page.$$eval("#gates tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(rows).toEqual(aggregate.gates.map((gate) => [gate.expr, gate.value === null ? "not counted" : figure(gate.value), gate.failed ? "FAILED" : "passed"]));
  });

  test("per metric: one dot per run and arm, and the interval drawn", async () => {
    const { page } = opened;
    const strips = await page.$$eval('#charts [data-chart="strip"]', (boxes) => boxes.map((box) => [box.getAttribute("data-metric"), box.getAttribute("data-points")]));
    const counted = Object.entries(aggregate.metrics).filter(([, metric]) => (metric.run ? [metric.run] : [metric.direct!, metric.headroom!]).some((side) => side.n > 0));
    // In the order of the tables (the JSON's keys are sorted).
    expect(strips).toEqual(METRICS.filter(({ name }) => counted.some(([counted]) => counted === name)).map(({ name }) => {
      const metric = aggregate.metrics[name]!;
      return [name, (metric.run ? [metric.run.n] : [metric.direct!.n, metric.headroom!.n]).join(",")];
    }));
    expect(strips.map(([name]) => name)).not.toContain("cost");
    expect(await page.textContent("#charts")).toContain("Not counted in any run: cost, prefix breaks.");
    for (const ink of await canvasInk(page, '#charts [data-chart="strip"] canvas')) expect(ink).toBeGreaterThan(500);
    for (const ink of await canvasInk(page, '#charts [data-chart="interval"] canvas')) expect(ink).toBeGreaterThan(200);
    expect(await page.locator('#charts [data-chart="interval"] canvas').count()).toBe(counted.length);
    const caption = await page.textContent('[data-panel="prompt_tokens"] .caption');
    const metric = aggregate.metrics.prompt_tokens!;
    expect(caption).toBe(`Δ ${deltaText(metric)} · 95 % interval [${deltaText(metric, metric.delta.ci_low)}, ${deltaText(metric, metric.delta.ci_high)}] · ${verdictText(metric)}`);
    await page.locator('[data-panel="prompt_tokens"]').screenshot({ path: join(SHOTS, "aggregate-metric.png") });
  });

  test("a scenario picked: its own runs as dots and its own interval, as its table says", async () => {
    const { page } = opened;
    await page.selectOption("#chart-scope", "small");
    const small = (aggregate.groups as Record<string, { metrics: Record<string, MetricResult> }>).small!.metrics;
    const strips = await page.$$eval('#charts [data-chart="strip"]', (boxes) => boxes.map((box) => [box.getAttribute("data-metric"), box.getAttribute("data-points")]));
    expect(strips.find(([name]) => name === "prompt_tokens")).toEqual(["prompt_tokens", "4,4"]);
    expect(strips.find(([name]) => name === "tools_count_delta")).toEqual(["tools_count_delta", "4"]);
    const metric = small.prompt_tokens!;
    expect(await page.textContent('[data-panel="prompt_tokens"] .caption')).toBe(`Δ ${deltaText(metric)} · 95 % interval [${deltaText(metric, metric.delta.ci_low)}, ${deltaText(metric, metric.delta.ci_high)}] · ${verdictText(metric)}`);
    for (const ink of await canvasInk(page, '#charts [data-chart="strip"] canvas')) expect(ink).toBeGreaterThan(500);
    await page.locator('[data-panel="prompt_tokens"]').screenshot({ path: join(SHOTS, "aggregate-metric-scenario.png") });
    await page.selectOption("#chart-scope", "");
    expect(await page.getAttribute('[data-chart="strip"][data-metric="prompt_tokens"]', "data-points")).toBe("8,8");
  });

  test("the runs: every report in order with its own figures, linked to its HTML report where one lies beside it", async () => {
    const { page } = opened;
    const rows = await page.$$eval("#runs tbody tr", (trs) =>
      trs.map((tr) => ({
        direct: tr.querySelector('[data-run-metric="prompt_tokens.direct"]')?.getAttribute("data-value"),
        headroom: tr.querySelector('[data-run-metric="prompt_tokens.headroom"]')?.getAttribute("data-value"),
        link: tr.querySelector("a")?.getAttribute("href") ?? null,
      })),
    );
    expect(rows.map((row) => [Number(row.direct), Number(row.headroom)])).toEqual(prompt);
    expect(rows.map((row) => row.link)).toEqual(["runs/1/report.html", null, null, null, null, null, null, null]);
    expect(await page.textContent("#runs h2")).toBe("Runs (8)");
    expect(await page.$$eval("#runs thead th.group", (cells) => cells.map((cell) => cell.textContent))).not.toContain("Cost, USD");
  });

  test("the page asked for nothing but itself and raised no error", () => {
    expect(opened.requests).toEqual([expect.stringMatching(/^file:\/\/.*aggregate\.html$/)]);
    expect(opened.errors).toEqual([]);
  });

  test("one run: no interval, said plainly, and nothing breaks", async () => {
    const one = tempDir();
    const runs = writeRuns([report({ prompt: 1000 }, { prompt: 900 })], one);
    const page = join(one, "one.html");
    const result = runCli(["aggregate", runs, "--html-output", page, "-q"]);
    expect(result.status, result.stderr).toBe(0);
    const single = await openReport(browser, page, "", "#charts canvas");
    expect(await single.page.textContent('#metrics [data-verdict="prompt_tokens"]')).toBe("too few runs");
    expect(await single.page.textContent('[data-panel="prompt_tokens"] [data-chart="interval"]')).toContain("No interval");
    expect(single.errors).toEqual([]);
    await single.page.close();
  });
});
