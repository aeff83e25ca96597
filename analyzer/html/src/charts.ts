/**
 * The overview's charts (Chart.js, bundled into the page): per turn of a conversation, for each
 * lane — prompt tokens; cache read / cache write / uncached input, stacked; request bytes; time to
 * the first response byte. Clicking a point opens that pair.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from "chart.js";
import { promptTokens, type HtmlPair, type HtmlReportData } from "./data.js";
import { h } from "./dom.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue("--sans") || "sans-serif";
Chart.defaults.animation = false;

const DIRECT = "#2563eb";
const HEADROOM = "#d9480f";
/** Lighter shades for the stacked cache chart: read, write, uncached. */
const DIRECT_STACK = ["#1e40af", "#60a5fa", "#bfdbfe"];
const HEADROOM_STACK = ["#9a3412", "#fb923c", "#fed7aa"];

export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
}

export const CHARTS: ChartSpec[] = [
  { id: "prompt-tokens", title: "Prompt tokens per turn", unit: "tokens" },
  { id: "cache", title: "Cache read / cache write / uncached input per turn", unit: "tokens" },
  { id: "request-bytes", title: "Request bytes per turn", unit: "bytes" },
  { id: "first-byte", title: "Time to first response byte per turn", unit: "ms" },
];

function lineSet(label: string, color: string, values: Array<number | null>): ChartDataset<"line", Array<number | null>> {
  return { type: "line", label, data: values, borderColor: color, backgroundColor: color, pointRadius: 2.5, borderWidth: 2, spanGaps: true };
}

function barSet(label: string, color: string, stack: string, values: Array<number | null>): ChartDataset<"bar", Array<number | null>> {
  return { type: "bar", label, data: values, backgroundColor: color, stack, borderWidth: 0 };
}

/** Chart.js's dataset union is too wide to check per chart type; each builder above is typed. */
type AnyDataset = ChartDataset<"line", Array<number | null>> | ChartDataset<"bar", Array<number | null>>;

function datasets(id: string, data: HtmlReportData, pairs: HtmlPair[]): AnyDataset[] {
  const [d, hr] = [data.labels.direct, data.labels.headroom];
  const side = (index: 0 | 1, pick: (pair: HtmlPair, index: 0 | 1) => number | null) => pairs.map((pair) => pick(pair, index));
  switch (id) {
    case "prompt-tokens":
      return [lineSet(d, DIRECT, side(0, (p, i) => promptTokens(p.usage[i]))), lineSet(hr, HEADROOM, side(1, (p, i) => promptTokens(p.usage[i])))];
    case "cache": {
      const parts = [
        ["cache read", (p: HtmlPair, i: 0 | 1) => p.usage[i]?.cache_read_input_tokens ?? null],
        ["cache write", (p: HtmlPair, i: 0 | 1) => p.usage[i]?.cache_creation_input_tokens ?? null],
        ["uncached", (p: HtmlPair, i: 0 | 1) => p.usage[i]?.input_tokens ?? null],
      ] as const;
      return [
        ...parts.map(([name, pick], k) => barSet(`${d}: ${name}`, DIRECT_STACK[k] as string, "direct", side(0, pick))),
        ...parts.map(([name, pick], k) => barSet(`${hr}: ${name}`, HEADROOM_STACK[k] as string, "headroom", side(1, pick))),
      ];
    }
    case "request-bytes":
      return [lineSet(d, DIRECT, side(0, (p, i) => p.bytes[i])), lineSet(hr, HEADROOM, side(1, (p, i) => p.bytes[i]))];
    default:
      return [lineSet(d, DIRECT, side(0, (p, i) => p.timings[i]?.first_byte_ms ?? null)), lineSet(hr, HEADROOM, side(1, (p, i) => p.timings[i]?.first_byte_ms ?? null))];
  }
}

/** Draws the four charts for a set of pairs (one conversation, or all) and redraws them on demand. */
export class TurnCharts {
  private readonly charts: Chart[] = [];

  constructor(
    private readonly data: HtmlReportData,
    private readonly boxes: Map<string, HTMLElement>,
    private readonly openPair: (index: number) => void,
  ) {}

  show(pairs: HtmlPair[], byTurn: boolean): void {
    for (const chart of this.charts.splice(0)) chart.destroy();
    const labels = pairs.map((pair) => (byTurn && pair.turn !== null ? `${pair.turn}` : `#${pair.index + 1}`));
    for (const spec of CHARTS) {
      const box = this.boxes.get(spec.id);
      if (!box) continue;
      box.replaceChildren();
      const canvas = h("canvas", { "aria-label": spec.title, role: "img" });
      box.appendChild(canvas);
      this.charts.push(
        new Chart(canvas, {
          type: spec.id === "cache" ? "bar" : "line",
          data: { labels, datasets: datasets(spec.id, this.data, pairs) as never },
          options: {
            responsive: true,
            maintainAspectRatio: false,
            interaction: { mode: "index", intersect: false },
            plugins: { legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } } },
            scales: {
              x: { stacked: spec.id === "cache", title: { display: true, text: byTurn ? "turn" : "pair" }, grid: { display: false } },
              y: { stacked: spec.id === "cache", beginAtZero: true, title: { display: true, text: spec.unit } },
            },
            onClick: (_event, elements) => {
              const hit = elements[0];
              const pair = hit ? pairs[hit.index] : undefined;
              if (pair) this.openPair(pair.index);
            },
          },
        }),
      );
    }
  }
}
