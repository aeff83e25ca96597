/**
 * The aggregate as Markdown, fit for a PR comment or a CI job summary: a verdict paragraph for
 * people who read one line, then one table of every metric per arm with the difference, its
 * interval and the verdict, then one such table per scenario.
 */
import { markdownTable } from "markdown-table";
import type { AggregateResult, Figures, GroupResult, MetricResult } from "./aggregate.js";
import { renderGatesMarkdown, type GateResult } from "./gates.js";
import { cell } from "./render-markdown.js";

/** A figure for a table: integers above 1000, one decimal above 1, four significant digits below. */
export function figure(value: number | null): string {
  if (value === null) return "-";
  const size = Math.abs(value);
  if (size < 1e-9) return "0";
  if (size >= 1000) return String(Math.round(value));
  if (size >= 1 || size === 0) return String(Math.round(value * 10) / 10);
  return String(Number(value.toPrecision(4)));
}

function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : text;
}

function deltaUnit(metric: MetricResult): string {
  if (metric.delta_kind === "relative") return " %";
  if (metric.delta_kind === "points") return " pp";
  return "";
}

/** `-18.2 %`, `+3.1 pp`, `+0.5`; `-` when it cannot be given. */
export function deltaText(metric: MetricResult, value: number | null = metric.delta.value): string {
  if (value === null) return "-";
  return `${signed(figure(value), value)}${deltaUnit(metric)}`;
}

function intervalText(metric: MetricResult): string {
  const { ci_low, ci_high } = metric.delta;
  if (ci_low === null || ci_high === null) return "-";
  return `[${deltaText(metric, ci_low)}, ${deltaText(metric, ci_high)}]`;
}

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

/** Why a metric has no verdict, or the verdict (and the equivalence claim, when tested). */
export function verdictText(metric: MetricResult): string {
  const equivalence = metric.equivalence;
  const equivalent = equivalence?.equivalent ? `; equivalent within ${figure(equivalence.margin)}${deltaUnit(metric)}` : "";
  if (metric.verdict) return `${metric.verdict}${equivalent}`;
  const sides = metric.run ? [metric.run] : [metric.direct!, metric.headroom!];
  if (sides.some((side) => side.n === 0)) return "not counted";
  if (metric.better === null) return "no better direction";
  if (sides.some((side) => side.n < 2)) return "too few runs";
  return "cannot be judged";
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

/** The whole aggregate as Markdown; `gates` are listed at the end. */
export function renderAggregateMarkdown(result: AggregateResult, gates: readonly GateResult[]): string {
  const scenarios = result.groups ? Object.entries(result.groups) : [];
  const scope = scenarios.length ? `, ${scenarios.length} ${scenarios.length === 1 ? "scenario" : "scenarios"}` : "";
  const method =
    `Means per run; Δ is ${result.labels.headroom} vs ${result.labels.direct} (relative %, or percentage points for ratios, or the difference of the means for counts), ` +
    `with a ${Math.round(result.confidence * 100)} % bootstrap interval (${result.bootstrap.resamples} resamples, seed ${result.bootstrap.seed}${scenarios.length > 1 ? ", resampled within each scenario" : ""}). ` +
    "A difference is better or worse when the whole interval lies on one side of zero.";
  const lines = [
    `# Aggregate over ${result.runs} ${result.runs === 1 ? "run" : "runs"}${scope}`,
    "",
    verdictParagraph(result),
    "",
    method,
    "",
    metricsTable(result, result.metrics),
  ];
  if (result.warnings.length) lines.push("", "## Warnings", "", ...result.warnings.map((warning) => `- ${cell(warning)}`));
  let markdown = `${lines.join("\n")}\n`;
  if (scenarios.length) markdown += `\n## Per scenario\n${scenarios.map(([name, group]) => groupSection(result, name, group)).join("")}`;
  return markdown + renderGatesMarkdown(gates);
}
