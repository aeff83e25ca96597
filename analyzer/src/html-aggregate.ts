/**
 * The aggregate's HTML report: the page html/build.ts builds as dist/html/aggregate.html (same
 * template, styles and Content-Security-Policy as the network-diff report), filled with the
 * aggregate JSON, the verdict paragraphs and every run's values.
 *
 * Why the runs: the aggregate keeps only what its statistics need; a reader deciding whether a
 * saving is real or run-to-run noise wants to see each run's value next to the interval.
 */
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { AggregateResult, AggregateRun } from "./aggregate.js";
import type { GateResult } from "./gates.js";
import type { HtmlAggregateData, HtmlAggregateRun } from "./html-aggregate-data.js";
import { HTML_TITLE } from "./html-data.js";
import { template, writeHtmlPage } from "./html-report.js";
import { aggregateHeading, methodText, verdictParagraph } from "./render-aggregate.js";

/** What the runner writes beside each run's report.json: that run's own HTML report. */
const RUN_HTML = "report.html";

/** The run's report.html, as a link relative to the page at `page`; null when there is none. */
export function runReportLink(reportFile: string, page: string): string | null {
  const html = join(dirname(resolve(reportFile)), RUN_HTML);
  if (!existsSync(html)) return null;
  return relative(dirname(resolve(page)), html).split(sep).map(encodeURIComponent).join("/");
}

export function aggregateHtmlData(file: string, result: AggregateResult, gates: GateResult[], runs: readonly AggregateRun[]): HtmlAggregateData {
  const groupVerdicts: Record<string, string> = {};
  for (const [name, group] of Object.entries(result.groups ?? {})) groupVerdicts[name] = verdictParagraph(result, group.metrics);
  const listed: HtmlAggregateRun[] = runs.map((run) => ({ ...run, html: runReportLink(run.file, file) }));
  return {
    kind: "aggregate",
    title: HTML_TITLE,
    subtitle: aggregateHeading(result),
    generated_at: new Date().toISOString(),
    aggregate: { ...result, gates },
    verdict: verdictParagraph(result),
    group_verdicts: groupVerdicts,
    method: methodText(result),
    runs: listed,
  };
}

/** Write the aggregate's page to `file`, private (0600) like the reports it merges. */
export async function writeAggregateHtml(file: string, result: AggregateResult, gates: GateResult[], runs: readonly AggregateRun[]): Promise<void> {
  await writeHtmlPage(file, await template("aggregate"), aggregateHtmlData(file, result, gates, runs));
}
