/**
 * The data the aggregate's HTML page carries: written by html-aggregate.ts, read by the app in
 * analyzer/html/ (aggregate-main.ts). Types only, so the app's bundle takes nothing else from the
 * analyzer.
 *
 * Why the aggregate JSON unchanged plus the runs: the page shows exactly the JSON's figures (each
 * cell names its place in it), and the per-run values the aggregate itself does not keep, so a
 * reader sees the spread behind each interval.
 */
import type { AggregateResult, AggregateRun } from "./aggregate.js";
import type { GateResult } from "./gates.js";

/** One merged report as the page lists it and plots it. */
export interface HtmlAggregateRun extends AggregateRun {
  /** The run's own HTML report (report.html beside its report.json), relative to the aggregate's page; null when there is none. */
  html: string | null;
}

export interface HtmlAggregateData {
  kind: "aggregate";
  title: string;
  /** `Aggregate over 8 runs, 2 scenarios`, as the Markdown's heading. */
  subtitle: string;
  /** When the page was written. */
  generated_at: string;
  /** What `--json-output` writes, unchanged. */
  aggregate: AggregateResult & { gates: GateResult[] };
  /** The verdict paragraph (Markdown: `**bold**` only), as in the Markdown report. */
  verdict: string;
  /** The same per scenario, by scenario name. */
  group_verdicts: Record<string, string>;
  /** How the figures were made (means per run, the bootstrap), one paragraph. */
  method: string;
  /** Every merged report, in the order merged. */
  runs: HtmlAggregateRun[];
}
