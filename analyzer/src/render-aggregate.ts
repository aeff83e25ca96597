/**
 * The aggregate as Markdown, fit for a PR comment or a CI job summary: a verdict paragraph for
 * people who read one line, then one table of every metric per arm with the difference, its
 * interval and the verdict, then one such table per scenario.
 */
import { markdownTable } from "markdown-table";
import type { AggregateResult, Figures, GroupResult, MetricResult } from "./aggregate.js";
import { deltaText, deltaUnit, figure, intervalText, verdictText } from "./aggregate-text.js";
import { renderGatesMarkdown, type GateResult } from "./gates.js";
import { cell } from "./render-markdown.js";

function figuresText(figures: Figures | undefined): string {
  if (!figures || figures.n === 0) return "not counted";
  const spread = figures.sd === null ? "" : `, sd ${figure(figures.sd)}`;
  return `${figure(figures.mean)} (median ${figure(figures.median)}${spread})`;
}

function runsText(metric: MetricResult): string {
  const sides = metric.run ? [metric.run] : [metric.direct!, metric.headroom!];
  const counted = sides.map((side) => side.n).join(" / ");
  const missing = sides.reduce((sum, side) => sum + side.not_counted, 0);
  return missing ? `${counted} (${missing} not counted)` : counted;
}

function metricLabel(name: string, metric: MetricResult): string {
  return `${name.replace(/_/g, " ")} (${metric.unit})`;
}

function metricsTable(result: AggregateResult, metrics: Record<string, MetricResult>): string {
  const header = ["Metric", `${result.labels.direct} mean`, `${result.labels.headroom} mean`, "Runs", "Δ", `${Math.round(result.confidence * 100)} % CI`, "Verdict"];
  const rows = Object.entries(metrics).map(([name, metric]) => [
    metricLabel(name, metric),
    metric.run ? "" : figuresText(metric.direct),
    metric.run ? `${figuresText(metric.run)} (per run)` : figuresText(metric.headroom),
    runsText(metric),
    deltaText(metric),
    intervalText(metric),
    verdictText(metric),
  ]);
  return markdownTable([header, ...rows].map((row) => row.map(cell)), { alignDelimiters: false });
}

/** The one-paragraph verdict: what got better or worse (with the interval), then the rest by kind. */
export function verdictParagraph(result: AggregateResult, metrics: Record<string, MetricResult> = result.metrics): string {
  const judged: string[] = [];
  const same: string[] = [];
  const uncounted: string[] = [];
  const equivalent: string[] = [];
  for (const [name, metric] of Object.entries(metrics)) {
    const label = name.replace(/_/g, " ");
    if (metric.equivalence?.equivalent) equivalent.push(`${label} (±${figure(metric.equivalence.margin)}${deltaUnit(metric)})`);
    if (metric.verdict === "better" || metric.verdict === "worse") judged.push(`${label} ${deltaText(metric)} ${intervalText(metric)}: **${metric.verdict}**`);
    else if (metric.verdict) same.push(label);
    else if (verdictText(metric) === "not counted") uncounted.push(label);
  }
  const parts = [
    judged.length ? `${judged.join("; ")}.` : "No metric differs detectably.",
    same.length ? `No detectable difference: ${same.join(", ")}.` : "",
    equivalent.length ? `Equivalent within the margin (TOST, 90 % interval): ${equivalent.join(", ")}.` : "",
    uncounted.length ? `Not counted in these reports: ${uncounted.join(", ")}.` : "",
  ];
  return `**Verdict (${result.labels.headroom} vs ${result.labels.direct}):** ${parts.filter(Boolean).join(" ")}`;
}

function groupSection(result: AggregateResult, scenario: string, group: GroupResult): string {
  return `\n### Scenario ${cell(scenario)} (${group.runs} ${group.runs === 1 ? "run" : "runs"})\n\n${verdictParagraph(result, group.metrics)}\n\n${metricsTable(result, group.metrics)}\n`;
}

/** `Aggregate over 8 runs, 2 scenarios`: the report's heading. */
export function aggregateHeading(result: AggregateResult): string {
  const scenarios = Object.keys(result.groups ?? {}).length;
  const scope = scenarios ? `, ${scenarios} ${scenarios === 1 ? "scenario" : "scenarios"}` : "";
  return `Aggregate over ${result.runs} ${result.runs === 1 ? "run" : "runs"}${scope}`;
}

/** How the figures were made: means per run, what Δ is, the bootstrap. */
export function methodText(result: AggregateResult): string {
  const scenarios = Object.keys(result.groups ?? {}).length;
  return (
    `Means per run; Δ is ${result.labels.headroom} vs ${result.labels.direct} (relative %, or percentage points for ratios, or the difference of the means for counts), ` +
    `with a ${Math.round(result.confidence * 100)} % bootstrap interval (${result.bootstrap.resamples} resamples, seed ${result.bootstrap.seed}${scenarios > 1 ? ", resampled within each scenario" : ""}). ` +
    "A difference is better or worse when the whole interval lies on one side of zero."
  );
}

/** The whole aggregate as Markdown; `gates` are listed at the end. */
export function renderAggregateMarkdown(result: AggregateResult, gates: readonly GateResult[]): string {
  const scenarios = result.groups ? Object.entries(result.groups) : [];
  const lines = [
    `# ${aggregateHeading(result)}`,
    "",
    verdictParagraph(result),
    "",
    methodText(result),
    "",
    metricsTable(result, result.metrics),
  ];
  if (result.warnings.length) lines.push("", "## Warnings", "", ...result.warnings.map((warning) => `- ${cell(warning)}`));
  let markdown = `${lines.join("\n")}\n`;
  if (scenarios.length) markdown += `\n## Per scenario\n${scenarios.map(([name, group]) => groupSection(result, name, group)).join("")}`;
  return markdown + renderGatesMarkdown(gates);
}
