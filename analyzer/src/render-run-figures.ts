/**
 * One run's figures and gates in a few lines of Markdown: what `network-diff --github-step-summary`
 * appends to the CI job summary, where a whole report would be too long to read.
 */
import { markdownTable } from "markdown-table";
import { renderGatesMarkdown, type GateResult } from "./gates.js";
import { cell } from "./render-markdown.js";
import { figure } from "./aggregate-text.js";
import { armDelta, METRICS, type ReportHeadJson } from "./run-metrics.js";
import type { ReportHead } from "./summarize.js";

export function renderRunFigures(head: ReportHead, gates: readonly GateResult[]): string {
  const json = head as unknown as ReportHeadJson;
  const rows: string[][] = [];
  for (const metric of METRICS) {
    if (metric.run) {
      const value = metric.run(json);
      if (value !== null) rows.push([metric.name, "", figure(value), ""]);
      continue;
    }
    const direct = metric.arm!(json, "direct");
    const headroom = metric.arm!(json, "headroom");
    if (direct === null && headroom === null) continue;
    const delta = armDelta(metric.delta, direct, headroom);
    const unit = metric.delta === "relative" ? " %" : metric.delta === "points" ? " pp" : "";
    rows.push([`${metric.name} (${metric.unit})`, figure(direct), figure(headroom), delta === null ? "-" : `${delta > 0 ? "+" : ""}${figure(delta)}${unit}`]);
  }
  const scenario = head.scenario ? ` — ${cell(head.scenario)}` : "";
  const title = `### ${cell(head.labels.headroom)} vs ${cell(head.labels.direct)}${scenario}: ${head.summary.paired} paired requests`;
  const table = markdownTable([["Metric", head.labels.direct, head.labels.headroom, "Δ"], ...rows].map((row) => row.map(cell)), { alignDelimiters: false });
  return `${title}\n\n${table}\n${renderGatesMarkdown(gates)}`;
}
