/**
 * The figures one network-diff run is judged by, described once: what each metric means, which
 * direction is better, how its difference is expressed, and how to read it from a report head.
 * `aggregate` (many runs) and the gates of `network-diff` (one run) both derive from this list.
 *
 * Why read the report head as loose JSON: `aggregate` merges reports written by older and newer
 * versions of the analyzer. A figure an older report does not carry is "not counted" (null),
 * never 0, so a missing field can never pass for a saving.
 */

export type Arm = "direct" | "headroom";
export const ARMS: readonly Arm[] = ["direct", "headroom"];

/**
 * How the headroom arm is compared with the direct arm:
 * relative = (headroom - direct) / direct in %; points = headroom - direct in percentage points
 * (for ratios); absolute = headroom - direct in the metric's own unit (counts that are often 0).
 */
export type DeltaKind = "relative" | "points" | "absolute";

export interface MetricDefinition {
  name: string;
  description: string;
  /** What one value is in, for tables: "tokens", "USD", "%", "ms", "count". */
  unit: string;
  /** Which direction is an improvement; null when neither is (e.g. a change of the tools count). */
  better: "lower" | "higher" | null;
  delta: DeltaKind;
  /** The arm's value in one run; null when the report could not count it. Absent for per-run metrics. */
  arm?: (head: ReportHeadJson, arm: Arm) => number | null;
  /** A value of the run as a whole (no arms). */
  run?: (head: ReportHeadJson) => number | null;
}

/** A network-diff JSON report without its `paired` rows, as any analyzer version wrote it. */
export type ReportHeadJson = Record<string, unknown>;

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function numberAt(value: unknown, ...path: string[]): number | null {
  const found = field(value, ...path);
  return typeof found === "number" && Number.isFinite(found) ? found : null;
}

/**
 * Paired token totals count only when they cover the same requests with usage on both sides.
 * Newer reports say how many pairs were counted (`pairs_counted`); an older report counted a
 * missing usage as 0, so its totals are only trusted when every pair had usage on both sides.
 */
function pairedTokens(head: ReportHeadJson, arm: Arm, key: string): number | null {
  const paired = field(head, "summary", "paired_tokens");
  const counted = numberAt(paired, "pairs_counted");
  if (counted !== null) return counted > 0 ? numberAt(paired, arm, key) : null;
  const pairs = numberAt(head, "summary", "paired");
  const withUsage = ARMS.map((side) => numberAt(paired, side, "exchanges_with_usage"));
  if (pairs === null || pairs === 0 || withUsage.some((count) => count !== pairs)) return null;
  return numberAt(paired, arm, key);
}

/** Estimated cost over the paired exchanges (`--prices`); not counted when some could not be priced. */
function pairedCost(head: ReportHeadJson, arm: Arm): number | null {
  const cost = field(head, "summary", "cost", "paired", arm);
  const unpriced = numberAt(cost, "unpriced_exchanges");
  if (unpriced === null || unpriced > 0) return null;
  return pairedTokens(head, arm, "prompt_tokens") === null ? null : numberAt(cost, "usd");
}

/** Failed Anthropic API calls of one lane (`summary.<lane>.api_errors`); older reports did not tell them apart. */
function failedApiCalls(head: ReportHeadJson, arm: Arm): number | null {
  return numberAt(head, "summary", arm, "api_errors");
}

/** Prefix breaks of one lane (`summary.<lane>.cache_prefix.breaks`), from reports that check the prefix. */
function prefixBreaks(head: ReportHeadJson, arm: Arm): number | null {
  const breaks = field(head, "summary", arm, "cache_prefix", "breaks");
  return Array.isArray(breaks) ? breaks.length : null;
}

/** Messages API turns per conversation, from reports that group exchanges into conversations. */
function turnsPerConversation(head: ReportHeadJson, arm: Arm): number | null {
  const lane = field(head, "summary", arm);
  const conversations = numberAt(lane, "conversations", "count");
  const turns = numberAt(lane, "conversations", "turns");
  if (conversations === null || turns === null || conversations === 0) return null;
  return turns / conversations;
}

function percent(ratio: number | null): number | null {
  return ratio === null ? null : ratio * 100;
}

/** The metrics, in the order tables show them. */
export const METRICS: readonly MetricDefinition[] = [
  {
    name: "prompt_tokens",
    description: "prompt tokens (input + cache write + cache read) over the paired requests with usage on both sides",
    unit: "tokens",
    better: "lower",
    delta: "relative",
    arm: (head, arm) => pairedTokens(head, arm, "prompt_tokens"),
  },
  {
    name: "cost",
    description: "estimated USD over the paired requests (reports made with --prices)",
    unit: "USD",
    better: "lower",
    delta: "relative",
    arm: pairedCost,
  },
  {
    name: "cache_hit",
    description: "cache hit ratio: cache read / prompt tokens over the paired requests, in %",
    unit: "%",
    better: "higher",
    delta: "points",
    arm: (head, arm) => percent(pairedTokens(head, arm, "cache_hit_ratio")),
  },
  {
    name: "output_tokens",
    description: "output tokens over the paired requests with usage on both sides",
    unit: "tokens",
    better: "lower",
    delta: "relative",
    arm: (head, arm) => pairedTokens(head, arm, "output_tokens"),
  },
  {
    name: "turns_per_conversation",
    description: "Messages API turns per conversation (reports that group conversations)",
    unit: "turns",
    better: "lower",
    delta: "relative",
    arm: turnsPerConversation,
  },
  {
    name: "first_byte_ms",
    description: "median ms to the first response byte in the lane",
    unit: "ms",
    better: "lower",
    delta: "relative",
    arm: (head, arm) => numberAt(head, "summary", arm, "first_byte_ms_median"),
  },
  {
    name: "total_ms",
    description: "median ms to the end of the response in the lane",
    unit: "ms",
    better: "lower",
    delta: "relative",
    arm: (head, arm) => numberAt(head, "summary", arm, "end_ms_median"),
  },
  {
    name: "errors",
    description: "failed Anthropic API calls in the lane (/v1/...: status >= 400, a transport error, or no response)",
    unit: "count",
    better: "lower",
    delta: "absolute",
    arm: failedApiCalls,
  },
  {
    name: "prefix_breaks",
    description: "places where a lane stopped resending the previous turn's prompt unchanged (prompt-cache prefix breaks)",
    unit: "count",
    better: "lower",
    delta: "absolute",
    arm: prefixBreaks,
  },
  {
    name: "tools_count_delta",
    description: "headroom tools count minus direct tools count, on the paired request where they differ most",
    unit: "tools",
    better: null,
    delta: "absolute",
    run: (head) => numberAt(head, "summary", "tools_count_delta"),
  },
];

export function metricNamed(name: string): MetricDefinition | undefined {
  return METRICS.find((metric) => metric.name === name);
}

/** The difference of two arm values as the metric expresses it; null when undefined (e.g. relative to 0). */
export function armDelta(kind: DeltaKind, direct: number | null, headroom: number | null): number | null {
  if (direct === null || headroom === null) return null;
  if (kind === "relative") return direct === 0 ? (headroom === 0 ? 0 : null) : ((headroom - direct) / direct) * 100;
  return headroom - direct;
}

/**
 * The gate name of a metric's difference: `<name>_delta_pct` for relative and percentage-point
 * differences; `<name>_delta` for counts (whose headroom-arm value is gated as `<name>`);
 * the metric's own name for per-run metrics. `cache_hit` reads `cache_hit_delta_pct`.
 */
export function deltaGateName(metric: MetricDefinition): string {
  if (metric.run) return metric.name;
  return metric.delta === "absolute" ? `${metric.name}_delta` : `${metric.name}_delta_pct`;
}

/** Every value one report offers to `--fail-on`, by gate name; null = not counted in this report. */
export function runGateValues(head: ReportHeadJson): Map<string, number | null> {
  const values = new Map<string, number | null>();
  for (const metric of METRICS) {
    if (metric.run) {
      values.set(metric.name, metric.run(head));
      continue;
    }
    const direct = metric.arm!(head, "direct");
    const headroom = metric.arm!(head, "headroom");
    if (metric.delta === "absolute") values.set(metric.name, headroom);
    values.set(deltaGateName(metric), armDelta(metric.delta, direct, headroom));
  }
  return values;
}

/** Gate names `network-diff --fail-on` accepts, with what each one is. */
export function runGateHelp(): string[] {
  const lines: string[] = [];
  for (const metric of METRICS) {
    if (metric.run) lines.push(`${metric.name}: ${metric.description}`);
    else if (metric.delta === "absolute") {
      lines.push(`${metric.name}: ${metric.description} (headroom lane)`);
      lines.push(`${deltaGateName(metric)}: the same, headroom minus direct`);
    } else {
      const unit = metric.delta === "points" ? "percentage points" : "%";
      lines.push(`${deltaGateName(metric)}: ${metric.description}, headroom vs direct in ${unit}`);
    }
  }
  return lines;
}
