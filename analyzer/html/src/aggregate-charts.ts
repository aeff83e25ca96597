/**
 * The aggregate page's charts (Chart.js, bundled into the page), two per metric:
 * - a strip plot: each run's value as a dot per arm, the arm's mean as a bar across its dots, so
 *   a reader sees the run-to-run spread the interval is drawn from;
 * - the difference with its 95 % bootstrap interval on a line through zero (and the equivalence
 *   margin, when one was given): an interval that holds zero is inside the noise.
 */
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, type ChartDataset, type ChartOptions, type TooltipItem } from "chart.js";
import type { MetricResult } from "../../src/aggregate.js";
import { deltaText, figure, verdictText } from "../../src/aggregate-text.js";
import type { HtmlAggregateData, HtmlAggregateRun } from "../../src/html-aggregate-data.js";
import { h } from "./dom.js";

Chart.register(Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip);
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue("--sans") || "sans-serif";
Chart.defaults.animation = false;

const COLORS = { direct: "#2563eb", headroom: "#d9480f", run: "#475467" };
const VERDICT_COLORS: Record<string, string> = { better: "#16a34a", worse: "#dc2626" };
const NEUTRAL = "#98a2b3";

type Side = "direct" | "headroom" | "run";

/** Dot shapes that tell scenarios apart, with the character the page's key shows for each. */
const SHAPES = [
  ["circle", "●"],
  ["triangle", "▲"],
  ["rect", "■"],
  ["rectRot", "◆"],
  ["star", "✱"],
  ["crossRot", "✕"],
  ["cross", "✚"],
] as const;

/** What the aggregate calls the group of reports that name no scenario. */
export const NO_SCENARIO = "(none)";

/** Which runs a chart shows: all, or one scenario's. */
export type RunFilter = (run: HtmlAggregateRun) => boolean;

export function scenarioOf(run: HtmlAggregateRun): string {
  return run.scenario ?? NO_SCENARIO;
}

/** The scenarios of the runs, in the order of the page's tables; empty when there are fewer than two. */
export function scenarioShapes(runs: readonly HtmlAggregateRun[]): Array<{ scenario: string; shape: (typeof SHAPES)[number][0]; mark: string }> {
  const names = [...new Set(runs.map(scenarioOf))].sort((a, b) => a.localeCompare(b));
  if (names.length < 2) return [];
  return names.map((scenario, index) => {
    const [shape, mark] = SHAPES[index % SHAPES.length]!;
    return { scenario, shape, mark };
  });
}

/** A dot of the strip plot: `x` is the arm's place plus a spread, `run` the run's index. */
interface Dot {
  x: number;
  y: number;
  run: number;
}

type ScatterOptions = Required<Pick<ChartOptions<"scatter">, "scales">> & { plugins: NonNullable<ChartOptions<"scatter">["plugins"]> };

type Points = ChartDataset<"scatter", Dot[]> | ChartDataset<"line", Array<{ x: number; y: number }>>;

/** The arms a metric has values for, in order, with the place each takes on the x axis. */
function sides(metric: MetricResult): Side[] {
  return metric.run ? ["run"] : ["direct", "headroom"];
}

/** Spread the dots of an arm over its place, the same way on every draw (golden-ratio steps). */
function spread(index: number): number {
  return (((index * 0.6180339887) % 1) - 0.5) * 0.44;
}

function dots(name: string, side: Side, place: number, runs: readonly HtmlAggregateRun[], shown: RunFilter): Dot[] {
  const found: Dot[] = [];
  runs.forEach((run, index) => {
    const value = run.values[name]?.[side];
    if (typeof value === "number" && shown(run)) found.push({ x: place + spread(index), y: value, run: index });
  });
  return found;
}

/** How many dots each arm gets, for the page's `data-points` (direct,headroom or run). */
export function pointCounts(name: string, metric: MetricResult, runs: readonly HtmlAggregateRun[], shown: RunFilter): number[] {
  return sides(metric).map((side, place) => dots(name, side, place, runs, shown).length);
}

function sideLabel(data: HtmlAggregateData, side: Side): string {
  return side === "run" ? "per run" : data.aggregate.labels[side];
}

/** Each run's value per arm (of the runs `shown`), the arm's mean across its dots. */
export function stripChart(canvas: HTMLCanvasElement, data: HtmlAggregateData, name: string, metric: MetricResult, shown: RunFilter): Chart {
  const arms = sides(metric);
  const shapes = new Map(scenarioShapes(data.runs).map(({ scenario, shape }) => [scenario, shape]));
  const datasets: Points[] = [];
  arms.forEach((side, place) => {
    const color = COLORS[side];
    const found = dots(name, side, place, data.runs, shown);
    const pointStyle = shapes.size ? found.map((dot) => shapes.get(scenarioOf(data.runs[dot.run]!)) ?? "circle") : "circle";
    // Many runs: smaller, fainter dots, so the spread still shows as a density.
    const many = found.length > 200 ? 2 : found.length > 50 ? 1 : 0;
    const radius = [shapes.size ? 5 : 4, 3, 2][many]!;
    const fill = ["b3", "80", "40"][many]!;
    datasets.push({ type: "scatter", label: sideLabel(data, side), data: found, order: 2, backgroundColor: `${color}${fill}`, borderColor: `${color}${fill}`, pointStyle, pointRadius: radius, pointHoverRadius: radius + 3 });
    const mean = metric[side]?.mean;
    if (typeof mean === "number") {
      // Drawn over the dots (a lower order is drawn later).
      datasets.push({ type: "line", label: `${sideLabel(data, side)} mean`, data: [{ x: place - 0.34, y: mean }, { x: place + 0.34, y: mean }], order: 1, borderColor: "#1f2328", borderWidth: 3, pointRadius: 0, pointHitRadius: 8 });
    }
  });
  return scatterChart(canvas, datasets, {
    tooltip: {
      callbacks: {
        label: (item: TooltipItem<"scatter">) => {
          const dot = item.raw as Partial<Dot> & { y: number };
          if (dot.run === undefined) return `${item.dataset.label}: ${figure(dot.y)} ${metric.unit}`;
          const run = data.runs[dot.run];
          return `run ${dot.run + 1}${run?.scenario ? ` (${run.scenario})` : ""}: ${figure(dot.y)} ${metric.unit}`;
        },
        footer: (items: Array<TooltipItem<"scatter">>) => {
          const dot = items[0]?.raw as Partial<Dot> | undefined;
          return dot?.run === undefined ? "" : (data.runs[dot.run]?.file ?? "");
        },
      },
    },
    scales: {
      x: {
        type: "linear",
        min: -0.6,
        max: arms.length - 0.4,
        grid: { display: false },
        ticks: { stepSize: 1, callback: (value) => (Number.isInteger(value) ? sideLabel(data, arms[value as number] ?? "run") : "") },
      },
      y: { type: "linear", grace: "8%", title: { display: true, text: metric.unit } },
    },
  });
}

/** A scatter chart without legend or animation, sized by its box: both of the page's charts. */
function scatterChart(canvas: HTMLCanvasElement, datasets: Points[], options: { tooltip: ScatterOptions["plugins"]["tooltip"]; scales: ScatterOptions["scales"] }): Chart {
  return new Chart(canvas, {
    type: "scatter",
    data: { datasets: datasets as never },
    options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false }, tooltip: options.tooltip }, scales: options.scales },
  });
}

/** What the difference's axis measures. */
function deltaAxis(metric: MetricResult, labels: HtmlAggregateData["aggregate"]["labels"]): string {
  if (metric.run) return `mean per run, ${metric.unit}`;
  if (metric.delta_kind === "relative") return `Δ % of the ${labels.direct} mean`;
  if (metric.delta_kind === "points") return "Δ percentage points";
  return `Δ ${metric.unit} (difference of the means)`;
}

function vertical(x: number, label: string, color: string, dash: number[]): ChartDataset<"line", Array<{ x: number; y: number }>> {
  return { type: "line", label, data: [{ x, y: -1 }, { x, y: 1 }], borderColor: color, borderWidth: 1.5, borderDash: dash, pointRadius: 0, pointHitRadius: 0 };
}

function segment(low: number, high: number, y: number, label: string, color: string, width: number): ChartDataset<"line", Array<{ x: number; y: number }>> {
  return {
    type: "line",
    label,
    data: [{ x: low, y }, { x: high, y }],
    borderColor: color,
    backgroundColor: color,
    borderWidth: width,
    pointStyle: "line",
    pointRotation: 90,
    pointRadius: width + 4,
    pointBorderWidth: 2,
    pointHoverRadius: width + 4,
  };
}

/** The difference as a dot on its 95 % interval, against zero (and ±margin); null when there is no interval. */
export function intervalChart(canvas: HTMLCanvasElement, data: HtmlAggregateData, metric: MetricResult): Chart | null {
  const { value, ci_low: low, ci_high: high } = metric.delta;
  if (low === null || high === null) return null;
  const color = (metric.verdict && VERDICT_COLORS[metric.verdict]) || NEUTRAL;
  const zero = metric.run ? null : 0;
  const datasets: Points[] = [];
  const edges = [low, high, ...(value === null ? [] : [value])];
  if (zero !== null) {
    datasets.push(vertical(0, "zero: no difference", "#667085", [4, 4]));
    edges.push(0);
  }
  const equivalence = metric.equivalence;
  if (equivalence) {
    datasets.push(vertical(-equivalence.margin, "equivalence margin", "#7c3aed", [2, 3]), vertical(equivalence.margin, "equivalence margin", "#7c3aed", [2, 3]));
    edges.push(-equivalence.margin, equivalence.margin);
    if (equivalence.ci_low !== null && equivalence.ci_high !== null) datasets.push(segment(equivalence.ci_low, equivalence.ci_high, -0.45, "90 % interval (TOST)", "#7c3aed", 3));
  }
  datasets.push(segment(low, high, 0, "95 % interval", color, 6));
  if (value !== null) datasets.push({ type: "scatter", label: metric.run ? "mean" : "Δ", data: [{ x: value, y: 0, run: -1 }], backgroundColor: "#1f2328", borderColor: "#ffffff", borderWidth: 2, pointRadius: 6 });
  const lowest = Math.min(...edges);
  const highest = Math.max(...edges);
  const pad = (highest - lowest || Math.abs(highest) || 1) * 0.12;
  const text = (x: number) => (metric.run ? figure(x) : deltaText(metric, x));
  return scatterChart(canvas, datasets, {
    tooltip: {
      filter: (item: TooltipItem<"scatter">) => item.dataset.label !== "zero: no difference" && item.dataset.label !== "equivalence margin",
      callbacks: { label: (item: TooltipItem<"scatter">) => `${item.dataset.label}: ${text((item.raw as { x: number }).x)}` },
    },
    scales: {
      x: { type: "linear", suggestedMin: lowest - pad, suggestedMax: highest + pad, title: { display: true, text: deltaAxis(metric, data.aggregate.labels) } },
      y: { type: "linear", min: -1, max: 1, display: false },
    },
  });
}

/** One line under a metric's charts: the difference, its interval and the verdict, as the table says. */
export function intervalCaption(metric: MetricResult): string {
  const { ci_low: low, ci_high: high } = metric.delta;
  const interval = low === null || high === null ? "no interval" : `95 % interval [${deltaText(metric, low)}, ${deltaText(metric, high)}]`;
  const what = metric.run ? `mean ${figure(metric.delta.value)}` : `Δ ${deltaText(metric)}`;
  return `${what} · ${interval} · ${verdictText(metric)}`;
}

/** An empty box for a chart, with a canvas a screen reader can name. */
export function chartCanvas(label: string): HTMLCanvasElement {
  return h("canvas", { "aria-label": label, role: "img" });
}
