/**
 * How the aggregate's figures read as text, in the Markdown tables and in the HTML report alike,
 * so both show the same digits. No imports but types: the HTML app bundles this module.
 */
import type { MetricResult } from "./aggregate.js";

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

/** The unit a difference is given in: ` %` (relative), ` pp` (percentage points), none (counts). */
export function deltaUnit(metric: MetricResult): string {
  if (metric.delta_kind === "relative") return " %";
  if (metric.delta_kind === "points") return " pp";
  return "";
}

/** `-18.2 %`, `+3.1 pp`, `+0.5`; `-` when it cannot be given. */
export function deltaText(metric: MetricResult, value: number | null = metric.delta.value): string {
  if (value === null) return "-";
  return `${signed(figure(value), value)}${deltaUnit(metric)}`;
}

/** `[-20.1 %, -15.3 %]`; `-` when there is no interval. */
export function intervalText(metric: MetricResult): string {
  const { ci_low, ci_high } = metric.delta;
  if (ci_low === null || ci_high === null) return "-";
  return `[${deltaText(metric, ci_low)}, ${deltaText(metric, ci_high)}]`;
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
