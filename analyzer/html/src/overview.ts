/**
 * The overview: the verdict, the per-lane figures (the JSON report's own numbers; each cell carries
 * its exact value in `data-value` and its place in the report's `summary` in `data-field`), the
 * warnings, and the per-turn charts with a conversation picker.
 */
import { CHARTS, TurnCharts } from "./charts.js";
import type { HtmlPair, HtmlReportData } from "./data.js";
import { h, num, percent, relative, signed, verdictNodes } from "./dom.js";

type Lane = "direct" | "headroom";

interface FigureRow {
  label: string;
  /** Path below `summary.<lane>` (or below `summary.paired_tokens.<lane>` in the paired table). */
  path: string;
  kind?: "ratio" | "count";
}

const LANE_ROWS: FigureRow[] = [
  { label: "Exchanges", path: "exchanges" },
  { label: "Request bytes", path: "request_bytes" },
  { label: "Response bytes", path: "response_bytes" },
  { label: "Prompt tokens", path: "tokens.prompt_tokens" },
  { label: "· uncached input", path: "tokens.input_tokens" },
  { label: "· cache write", path: "tokens.cache_creation_input_tokens" },
  { label: "· cache read", path: "tokens.cache_read_input_tokens" },
  { label: "Output tokens", path: "tokens.output_tokens" },
  { label: "Cache hit (read / prompt)", path: "tokens.cache_hit_ratio", kind: "ratio" },
  { label: "Exchanges with usage", path: "tokens.exchanges_with_usage" },
  { label: "Median first byte, ms", path: "first_byte_ms_median" },
  { label: "Median end, ms", path: "end_ms_median" },
  { label: "Errors", path: "errors", kind: "count" },
  { label: "Prompt-cache prefix breaks", path: "cache_prefix.breaks", kind: "count" },
];

const PAIRED_ROWS: FigureRow[] = [
  { label: "Prompt tokens", path: "prompt_tokens" },
  { label: "· uncached input", path: "input_tokens" },
  { label: "· cache write", path: "cache_creation_input_tokens" },
  { label: "· cache read", path: "cache_read_input_tokens" },
  { label: "Output tokens", path: "output_tokens" },
  { label: "Cache hit (read / prompt)", path: "cache_hit_ratio", kind: "ratio" },
  { label: "Exchanges with usage", path: "exchanges_with_usage" },
];

function at(object: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), object);
}

function figure(value: unknown, kind: FigureRow["kind"]): number | null {
  if (kind === "count") return Array.isArray(value) ? value.length : null;
  return typeof value === "number" ? value : null;
}

function cell(value: number | null, field: string, kind: FigureRow["kind"]): HTMLTableCellElement {
  return h("td", { "data-field": field, "data-value": value === null ? "null" : String(value), title: value === null ? "unknown" : String(value) }, kind === "ratio" ? percent(value) : num(value));
}

function deltaCell(a: number | null, b: number | null, kind: FigureRow["kind"]): HTMLTableCellElement {
  if (a === null || b === null) return h("td", { class: "delta" }, "");
  const change = b - a;
  const text = kind === "ratio" ? `${change > 0 ? "+" : ""}${(change * 100).toFixed(2)} pp` : `${signed(change)} ${relative(a, b)}`.trim();
  return h("td", { class: `delta ${change < 0 ? "down" : change > 0 ? "up" : ""}` }, change === 0 ? "0" : text);
}

function figuresTable(data: HtmlReportData, rows: FigureRow[], base: string, source: Record<Lane, unknown>): HTMLTableElement {
  return h(
    "table",
    { class: "figures", "data-table": base },
    h("thead", null, h("tr", null, h("th", null, ""), h("th", null, h("span", { class: "swatch direct" }), data.labels.direct), h("th", null, h("span", { class: "swatch headroom" }), data.labels.headroom), h("th", null, "difference"))),
    h(
      "tbody",
      null,
      ...rows.map((row) => {
        const a = figure(at(source.direct, row.path), row.kind);
        const b = figure(at(source.headroom, row.path), row.kind);
        return h("tr", null, h("td", null, row.label), cell(a, `${base}.direct.${row.path}`, row.kind), cell(b, `${base}.headroom.${row.path}`, row.kind), deltaCell(a, b, row.kind));
      }),
    ),
  );
}

/** One sentence from the figures, when the report brings no verdict of its own. */
function fallbackVerdict(data: HtmlReportData): string {
  const { paired_tokens: tokens, paired } = data.summary;
  const a = tokens.direct.prompt_tokens;
  const b = tokens.headroom.prompt_tokens;
  return `Over ${num(paired)} paired exchanges, ${data.labels.headroom} sent ${num(b)} prompt tokens against ${num(a)} for ${data.labels.direct} (${signed(b - a)}${a ? `, ${relative(a, b)}` : ""}); cache hit ${percent(tokens.direct.cache_hit_ratio)} → ${percent(tokens.headroom.cache_hit_ratio)}.`;
}

function costTable(data: HtmlReportData): HTMLElement | null {
  const cost = data.summary.cost as { paired?: { direct: { usd: number }; headroom: { usd: number }; usd_delta: number }; direct: { usd: number }; headroom: { usd: number } } | undefined;
  if (!cost?.paired) return null;
  const usd = (value: number) => `$${value.toFixed(4)}`;
  return h(
    "p",
    { class: "muted", "data-field": "summary.cost.paired.usd_delta", "data-value": String(cost.paired.usd_delta) },
    `Estimated cost over the paired exchanges: ${usd(cost.paired.direct.usd)} → ${usd(cost.paired.headroom.usd)} (${cost.paired.usd_delta >= 0 ? "+" : ""}${usd(cost.paired.usd_delta)}).`,
  );
}

/** How many pairs the paired totals count (both sides with usage), when the report says. */
function pairsCounted(data: HtmlReportData): HTMLElement | null {
  const tokens = data.summary.paired_tokens as { pairs_counted?: number; pairs_without_usage?: number };
  if (tokens.pairs_counted === undefined) return null;
  return h(
    "p",
    { class: "muted" },
    "Counted: ",
    h("span", { "data-field": "summary.paired_tokens.pairs_counted", "data-value": String(tokens.pairs_counted) }, num(tokens.pairs_counted)),
    " pairs with usage on both sides; left out: ",
    h("span", { "data-field": "summary.paired_tokens.pairs_without_usage", "data-value": String(tokens.pairs_without_usage ?? 0) }, num(tokens.pairs_without_usage ?? 0)),
    ".",
  );
}

/** Conversations with their pairs, in order; turns follow the pairs' order. */
function conversations(pairs: HtmlPair[]): Map<number, HtmlPair[]> {
  const groups = new Map<number, HtmlPair[]>();
  for (const pair of pairs) {
    if (pair.conversation === null) continue;
    const list = groups.get(pair.conversation);
    if (list) list.push(pair);
    else groups.set(pair.conversation, [pair]);
  }
  return groups;
}

export function renderOverview(data: HtmlReportData, openPair: (index: number) => void): HTMLElement {
  const summary = data.summary;
  const groups = conversations(data.pairs);
  const longest = [...groups.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  const picker = h(
    "select",
    { id: "conversation", "aria-label": "Conversation" },
    ...[...groups.entries()].map(([number, pairs]) => h("option", { value: String(number) }, `Conversation ${number} · ${pairs.length} turn${pairs.length === 1 ? "" : "s"} · ${pairs[0]?.model[0] ?? "?"}`)),
    h("option", { value: "all" }, `All ${data.pairs.length} pairs in capture order`),
  );
  if (longest) picker.value = String(longest[0]);
  else picker.value = "all";
  const boxes = new Map(CHARTS.map((spec) => [spec.id, h("div", { class: "chart-box", "data-chart": spec.id })]));
  const charts = new TurnCharts(data, boxes, openPair);
  const draw = () => {
    const chosen = picker.value === "all" ? null : groups.get(Number(picker.value));
    charts.show(chosen ?? data.pairs, chosen !== null && chosen !== undefined);
  };
  picker.addEventListener("change", draw);

  const warnings = data.warnings;
  const element = h(
    "div",
    { id: "overview" },
    h(
      "section",
      { class: "card" },
      h("p", { class: "verdict", id: "verdict" }, ...(data.verdict ? verdictNodes(data.verdict) : [fallbackVerdict(data)])),
      costTable(data),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", null, "Per lane"),
      h(
        "p",
        { class: "muted" },
        `${num(summary.paired)} paired · ${num(summary.only_direct)} only ${data.labels.direct} · ${num(summary.only_headroom)} only ${data.labels.headroom}`,
      ),
      figuresTable(data, LANE_ROWS, "summary", { direct: summary.direct, headroom: summary.headroom }),
      h("h2", { style: "margin-top:18px" }, "Over the paired exchanges"),
      pairsCounted(data),
      figuresTable(data, PAIRED_ROWS, "summary.paired_tokens", { direct: summary.paired_tokens.direct, headroom: summary.paired_tokens.headroom }),
    ),
    warnings.length > 0
      ? h("section", { class: "card" }, h("h2", null, `Warnings (${warnings.length})`), h("ul", { class: "warnings" }, ...warnings.map((w) => h("li", null, w))))
      : null,
    h(
      "section",
      { class: "card" },
      h("div", { class: "chart-controls" }, h("h2", { style: "margin:0" }, "Per turn"), picker, h("span", null, "click a point to open that pair")),
      h("div", { class: "grid2" }, ...CHARTS.map((spec) => h("div", null, h("h2", null, spec.title), boxes.get(spec.id)))),
    ),
  );
  requestAnimationFrame(draw);
  return element;
}
