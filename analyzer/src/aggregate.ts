/**
 * `aggregate`: merge any number of network-diff JSON reports — repetitions, tasks, jobs of other
 * machines — into per-metric figures per arm, the difference with a bootstrap interval, and a verdict.
 *
 * Why streaming: a CI matrix can hand over a thousand reports, some of them large. Reports are read
 * one at a time, only their head (report-head.ts), and only a few numbers per report are kept.
 * Why strata: when reports name a scenario, each scenario is a stratum of the bootstrap, so the
 * overall interval reflects run-to-run noise, not the difference between tasks.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "./errors.js";
import { readReportHead } from "./report-head.js";
import { armDelta, deltaGateName, METRICS, type Arm, type DeltaKind, type MetricDefinition, type ReportHeadJson } from "./run-metrics.js";
import { bootstrapIntervals, bootstrapMeanInterval, describe, equivalentWithin, type Described, type Interval } from "./stats.js";

export type Verdict = "better" | "worse" | "no detectable difference";

/** One arm's (or a per-run metric's) figures over the runs; `not_counted` runs lacked the figure. */
export interface Figures extends Described {
  not_counted: number;
}

export interface MetricResult {
  description: string;
  unit: string;
  better: "lower" | "higher" | null;
  delta_kind: DeltaKind;
  direct?: Figures;
  headroom?: Figures;
  /** Per-run metrics (no arms). */
  run?: Figures;
  /** Headroom vs direct: % (relative), percentage points (points) or the metric's unit (absolute). */
  delta: { value: number | null; ci_low: number | null; ci_high: number | null };
  /** Null when it cannot be judged: not counted, fewer than two runs in an arm, or no better direction. */
  verdict: Verdict | null;
  /** With --equivalence-margin: TOST at 5 % per side, i.e. the 90 % interval inside ±margin. */
  equivalence?: { margin: number; ci_low: number | null; ci_high: number | null; equivalent: boolean | null };
}

export interface GroupResult {
  runs: number;
  metrics: Record<string, MetricResult>;
}

export interface AggregateResult {
  schema_version: 1;
  kind: "aggregate";
  /** Reports merged. */
  runs: number;
  labels: { direct: string; headroom: string };
  confidence: number;
  bootstrap: { resamples: number; seed: number };
  equivalence_margin_pct: number | null;
  metrics: Record<string, MetricResult>;
  /** Per scenario (or task), when the reports name one; reports naming none form `(none)`. */
  groups?: Record<string, GroupResult>;
  warnings: string[];
}

/** One metric's value in one run: per arm, or of the run as a whole; null = not counted in that report. */
export interface RunValue {
  direct?: number | null;
  headroom?: number | null;
  run?: number | null;
}

/** One merged report as read, for views that show every run (the HTML report's runs and dots). */
export interface AggregateRun {
  /** The report's path as `aggregate` was given it (or found it below a folder). */
  file: string;
  scenario: string | null;
  generated_at: string | null;
  values: Record<string, RunValue>;
}

export interface AggregateOptions {
  equivalenceMarginPct?: number;
  seed?: number;
  resamples?: number;
  onWarning?: (message: string) => void;
  /** Each report's figures as it is merged (the aggregate itself keeps only the values it needs). */
  onRun?: (run: AggregateRun) => void;
}

export const CONFIDENCE = 0.95;
export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_SEED = 1;
export const NO_SCENARIO = "(none)";

/** What a folder argument stands for: every report.json below it (what the runner writes per run). */
const REPORT_FILE = "report.json";

/** Files named by the arguments, in order; a folder yields every report.json below it, sorted. */
export async function* reportFiles(paths: readonly string[]): AsyncGenerator<string> {
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new InputError(`${path}: no such report or folder`);
    if (!info.isDirectory()) {
      yield path;
      continue;
    }
    let found = 0;
    for await (const file of reportsBelow(path)) {
      found += 1;
      yield file;
    }
    if (found === 0) throw new InputError(`${path}: no ${REPORT_FILE} below this folder`);
  }
}

async function* reportsBelow(folder: string): AsyncGenerator<string> {
  const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* reportsBelow(path);
    else if (entry.isFile() && entry.name === REPORT_FILE) yield path;
  }
}

/** A metric's values over the runs of one group. */
interface Values {
  direct: number[];
  headroom: number[];
  run: number[];
  notCounted: { direct: number; headroom: number; run: number };
}

function emptyValues(): Values {
  return { direct: [], headroom: [], run: [], notCounted: { direct: 0, headroom: 0, run: 0 } };
}

/** Every metric's value in one report: per arm, or of the run. */
export function runValues(head: ReportHeadJson): Record<string, RunValue> {
  const values: Record<string, RunValue> = {};
  for (const metric of METRICS) {
    values[metric.name] = metric.run ? { run: metric.run(head) } : { direct: metric.arm!(head, "direct"), headroom: metric.arm!(head, "headroom") };
  }
  return values;
}

class Group {
  runs = 0;
  readonly values = new Map<string, Values>(METRICS.map((metric) => [metric.name, emptyValues()]));

  add(run: Record<string, RunValue>): void {
    this.runs += 1;
    for (const metric of METRICS) {
      const values = this.values.get(metric.name)!;
      for (const [side, value] of Object.entries(run[metric.name]!) as Array<[keyof Values["notCounted"], number | null]>) {
        if (value === null) values.notCounted[side] += 1;
        else values[side].push(value);
      }
    }
  }
}

function scenarioOf(head: ReportHeadJson): string | null {
  for (const key of ["scenario", "task"]) {
    const value = head[key];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return null;
}

function labelsOf(head: ReportHeadJson): { direct: string; headroom: string } {
  const labels = head.labels as { direct?: unknown; headroom?: unknown } | undefined;
  return {
    direct: typeof labels?.direct === "string" ? labels.direct : "direct",
    headroom: typeof labels?.headroom === "string" ? labels.headroom : "headroom",
  };
}

function figures(values: number[], notCounted: number): Figures {
  return { ...describe(values), not_counted: notCounted };
}

function judge(metric: MetricDefinition, interval: Interval | null): Verdict | null {
  if (!interval || metric.better === null) return null;
  const lower = interval.high < 0;
  const higher = interval.low > 0;
  if (!lower && !higher) return "no detectable difference";
  return lower === (metric.better === "lower") ? "better" : "worse";
}

interface Settings {
  resamples: number;
  seed: number;
  margin: number | null;
}

function metricResult(metric: MetricDefinition, strata: Values[], settings: Settings): MetricResult {
  const base = { description: metric.description, unit: metric.unit, better: metric.better, delta_kind: metric.delta };
  const bootstrap = { resamples: settings.resamples, seed: settings.seed };
  if (metric.run) {
    const all = strata.flatMap((values) => values.run);
    const interval = bootstrapMeanInterval(strata.map((values) => values.run), CONFIDENCE, bootstrap);
    const run = figures(all, strata.reduce((sum, values) => sum + values.notCounted.run, 0));
    return { ...base, run, delta: { value: run.mean, ci_low: interval?.low ?? null, ci_high: interval?.high ?? null }, verdict: null };
  }
  const arm = (side: Arm) => figures(strata.flatMap((values) => values[side]), strata.reduce((sum, values) => sum + values.notCounted[side], 0));
  const direct = arm("direct");
  const headroom = arm("headroom");
  const statistic = (d: number, h: number) => armDelta(metric.delta, d, h);
  const equivalence = settings.margin !== null && metric.delta !== "absolute";
  const [interval, tost] = bootstrapIntervals({ strata }, statistic, equivalence ? [CONFIDENCE, 1 - 2 * 0.05] : [CONFIDENCE], bootstrap);
  const result: MetricResult = {
    ...base,
    direct,
    headroom,
    delta: { value: armDelta(metric.delta, direct.mean, headroom.mean), ci_low: interval?.low ?? null, ci_high: interval?.high ?? null },
    verdict: judge(metric, interval ?? null),
  };
  if (equivalence) {
    const margin = settings.margin!;
    result.equivalence = { margin, ci_low: tost?.low ?? null, ci_high: tost?.high ?? null, equivalent: equivalentWithin(tost ?? null, margin) };
  }
  return result;
}

function metricResults(groups: Group[], settings: Settings): Record<string, MetricResult> {
  const results: Record<string, MetricResult> = {};
  for (const metric of METRICS) {
    results[metric.name] = metricResult(metric, groups.map((group) => group.values.get(metric.name)!), settings);
  }
  return results;
}

/** Merge the reports `files` yields, one at a time. */
export async function aggregateReports(files: AsyncIterable<string> | Iterable<string>, options: AggregateOptions = {}): Promise<AggregateResult> {
  const groups = new Map<string | null, Group>();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  let labels: { direct: string; headroom: string } | null = null;
  let runs = 0;
  for await (const file of files) {
    const head = await readReportHead(file);
    const these = labelsOf(head);
    if (!labels) labels = these;
    else if (these.direct !== labels.direct || these.headroom !== labels.headroom) {
      warn(`${file}: compares ${these.direct} with ${these.headroom}, the first report ${labels.direct} with ${labels.headroom}`);
    }
    const scenario = scenarioOf(head);
    let group = groups.get(scenario);
    if (!group) groups.set(scenario, (group = new Group()));
    const values = runValues(head);
    group.add(values);
    options.onRun?.({ file, scenario, generated_at: typeof head.generated_at === "string" ? head.generated_at : null, values });
    runs += 1;
  }
  if (runs === 0) throw new InputError("no reports to aggregate");
  const settings: Settings = {
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    seed: options.seed ?? DEFAULT_SEED,
    margin: options.equivalenceMarginPct ?? null,
  };
  const result: AggregateResult = {
    schema_version: 1,
    kind: "aggregate",
    runs,
    labels: labels ?? { direct: "direct", headroom: "headroom" },
    confidence: CONFIDENCE,
    bootstrap: { resamples: settings.resamples, seed: settings.seed },
    equivalence_margin_pct: settings.margin,
    metrics: metricResults([...groups.values()], settings),
    warnings,
  };
  const named = [...groups.keys()].some((scenario) => scenario !== null);
  if (named) {
    result.groups = {};
    const ordered = [...groups.entries()].sort(([a], [b]) => (a ?? NO_SCENARIO).localeCompare(b ?? NO_SCENARIO));
    for (const [scenario, group] of ordered) result.groups[scenario ?? NO_SCENARIO] = { runs: group.runs, metrics: metricResults([group], settings) };
  }
  return result;
}

/** Every value the aggregate offers to `--fail-on`, by gate name (per-run means over all runs). */
export function aggregateGateValues(result: AggregateResult): Map<string, number | null> {
  const values = new Map<string, number | null>([["runs", result.runs]]);
  for (const metric of METRICS) {
    const figures = result.metrics[metric.name]!;
    const name = deltaGateName(metric);
    if (metric.delta === "absolute" && !metric.run) values.set(metric.name, figures.headroom?.mean ?? null);
    values.set(name, figures.delta.value);
    values.set(`${name}_ci_low`, figures.delta.ci_low);
    values.set(`${name}_ci_high`, figures.delta.ci_high);
  }
  return values;
}

/** Gate names `aggregate --fail-on` accepts, with what each one is. */
export function aggregateGateHelp(): string[] {
  const lines = ["runs: number of reports merged"];
  for (const metric of METRICS) {
    const name = deltaGateName(metric);
    if (metric.run) lines.push(`${name}: mean over the runs of ${metric.description}`);
    else if (metric.delta === "absolute") {
      lines.push(`${metric.name}: mean per run of ${metric.description} (headroom arm)`);
      lines.push(`${name}: headroom mean minus direct mean`);
    } else lines.push(`${name}: ${metric.delta === "points" ? "headroom minus direct, percentage points" : "relative delta of the means, %"} (${metric.name})`);
  }
  lines.push("<any of the above but runs>_ci_low, _ci_high: its 95 % bootstrap interval");
  return lines;
}
