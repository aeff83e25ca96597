/**
 * Stage 6a — render the report as Markdown for people.
 *
 * Why the escaping and capping: cells hold header names and JSON paths taken from the captures,
 * which may contain `|`, newlines, backticks or HTML; every such value goes into a code span with
 * pipes escaped. A pair can change hundreds of paths, so a cell shows the first 10 and the full
 * lists follow in a collapsed `<details>` section per pair.
 */
import type { PairDiff } from "./compare.js";
import { CELL_LIST_LIMIT, code, html, signed, table } from "./markdown-text.js";
import { deltaLists, headerCell, isDeltaCapped, jsonCell, noiseLines, templateSection, type DeltaExtras } from "./render-delta.js";
import type { Exchange, Usage } from "./exchange.js";
import { proxyAccountLines } from "./render-proxy-account.js";
import type { Labels, LaneSummary, PairedTokens, Report, ReportHead, TokenTotals } from "./summarize.js";
import { verdictText } from "./verdict.js";

export { cappedList, CELL_LIST_LIMIT, cell, code, html } from "./markdown-text.js";

function orDash(value: unknown): string {
  return value === null || value === undefined ? "-" : String(value);
}

function promptTokens(usage: Usage | null): number | null {
  if (!usage) return null;
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

/** `prompt 1200 -> 900 (-300); out 50 -> 45`, where "prompt" is input + cache reads + cache writes. */
export function tokensCell(pair: PairDiff): string {
  const { direct, headroom } = pair.usage;
  if (!direct && !headroom) return "-";
  const dIn = promptTokens(direct);
  const hIn = promptTokens(headroom);
  const inDelta = dIn !== null && hIn !== null ? ` (${signed(hIn - dIn)})` : "";
  const tokens = `prompt ${orDash(dIn)} -> ${orDash(hIn)}${inDelta}; out ${orDash(direct?.output_tokens)} -> ${orDash(headroom?.output_tokens)}`;
  const dFirst = pair.timings.direct?.first_byte_ms ?? null;
  const hFirst = pair.timings.headroom?.first_byte_ms ?? null;
  return dFirst === null && hFirst === null ? tokens : `${tokens}; first byte ${milliseconds(dFirst)} -> ${milliseconds(hFirst)} ms`;
}

function routeCell(pair: PairDiff): string {
  return pair.headroom_route !== pair.route ? `${code(pair.route)} -> ${code(pair.headroom_route)}` : code(pair.route);
}

function shaCell(pair: PairDiff): string {
  const same = pair.request_body_sha256.same;
  return same === null ? "unknown" : same ? "same" : "changed";
}

function bytesCell(pair: PairDiff): string {
  const { direct, headroom, delta } = pair.request_body_size;
  return `${orDash(direct)} -> ${orDash(headroom)}${delta === null ? "" : ` (${signed(delta)})`}`;
}

function sequenceCell(pair: PairDiff): string {
  return `${orDash(pair.direct_sequence ?? `line ${pair.direct_line}`)} -> ${orDash(pair.headroom_sequence ?? `line ${pair.headroom_line}`)}`;
}

function milliseconds(value: number | null): string {
  return value === null ? "-" : String(Math.round(value));
}

function percent(ratio: number | null): string {
  return ratio === null ? "-" : `${(ratio * 100).toFixed(1)}%`;
}

function laneTokensRow(name: string, lane: LaneSummary): string[] {
  const t = lane.tokens;
  return [
    name,
    String(lane.exchanges),
    `${t.exchanges_with_usage} of ${lane.exchanges}`,
    String(lane.request_bytes),
    String(t.prompt_tokens),
    String(t.input_tokens),
    String(t.cache_creation_input_tokens),
    String(t.cache_read_input_tokens),
    percent(t.cache_hit_ratio),
    String(t.output_tokens),
    String(lane.errors.length),
    milliseconds(lane.first_byte_ms_median),
    milliseconds(lane.end_ms_median),
  ];
}

function pairedTokensLine(label: string, totals: TokenTotals): string {
  return `${label} ${totals.prompt_tokens} prompt tokens (cache read ${totals.cache_read_input_tokens}, hit ${percent(totals.cache_hit_ratio)}), ${totals.output_tokens} output tokens`;
}

/** Which pairs the paired totals count: both sides with usage; the others are named, not counted as 0. */
function pairedTokensText(labels: Labels, tokens: PairedTokens): string {
  const counted = `${tokens.pairs_counted} of ${tokens.pairs_counted + tokens.pairs_without_usage} pairs counted, those with usage on both sides; ${tokens.pairs_without_usage} without usage left out`;
  return `(${counted}): ${pairedTokensLine(labels.direct, tokens.direct)}; ${pairedTokensLine(labels.headroom, tokens.headroom)}; prompt tokens ${signed(tokens.prompt_tokens_delta)}`;
}

/** Cache writes by lifetime, for the lanes whose responses split them. */
function cacheLifetimeLines(labels: Labels, direct: LaneSummary, headroom: LaneSummary): string[] {
  const part = (label: string, lane: LaneSummary) => {
    const split = lane.tokens.cache_creation;
    return split ? `${label} 5-minute ${split.ephemeral_5m_input_tokens}, 1-hour ${split.ephemeral_1h_input_tokens}` : null;
  };
  const parts = [part(labels.direct, direct), part(labels.headroom, headroom)].filter(Boolean);
  return parts.length ? [`Cache writes by lifetime (\`usage.cache_creation\`): ${parts.join("; ")}.`, ""] : [];
}

/** `2 of 3 turns resent the previous turn unchanged; breaks at #7 `$.messages[2]…``, at most CELL_LIST_LIMIT breaks then `… N more`. */
function prefixText(summary: LaneSummary): string {
  const { turns, stable, breaks } = summary.cache_prefix;
  const shown = breaks.slice(0, CELL_LIST_LIMIT).map((item) => `#${orDash(item.sequence)} ${code(item.path)}`);
  const more = breaks.length > CELL_LIST_LIMIT ? `, … ${breaks.length - CELL_LIST_LIMIT} more` : "";
  return `${stable} of ${turns} turns resent the previous turn unchanged${breaks.length ? `; breaks at ${shown.join(", ")}${more}` : ""}`;
}

/** Each lane's prompt-cache prefix breaks (cache-prefix.ts). */
function cachePrefixLines(labels: Labels, direct: LaneSummary, headroom: LaneSummary): string[] {
  const lane = (label: string, summary: LaneSummary) => `- ${capitalized(label)}: ${prefixText(summary)}`;
  return [
    "### Prompt-cache prefix",
    "",
    "Within each conversation, every turn should start with the previous turn's tools, system and messages unchanged (compared without `cache_control`); the first path where it does not is where the provider's prompt cache stops reading.",
    "",
    lane(labels.direct, direct),
    lane(labels.headroom, headroom),
    "",
  ];
}

function errorLines(name: string, lane: LaneSummary): string[] {
  if (lane.errors.length === 0) return [];
  return [
    `### Errors in the ${name} lane`,
    "",
    ...lane.errors.map((error) => `- ${code(`#${orDash(error.sequence)} ${error.route}`)}: ${code(error.kind)} ${code(error.message)}`),
    "",
  ];
}

function pairDetails(pair: PairDiff, number: number, labels: Labels): string {
  const list = (title: string, items: readonly string[]) =>
    items.length ? [`**${title} (${items.length})**`, "", ...items.map((item) => `- ${code(item)}`), ""] : [];
  return [
    "<details>",
    `<summary>Pair ${number}: ${html(pair.route)} (sequence ${html(sequenceCell(pair))})</summary>`,
    "",
    ...deltaLists(pair, labels).flatMap(([title, items]) => list(title, items)),
    "</details>",
    "",
  ].join("\n");
}

const PAIR_HEADER = ["Seq", "Route", "Status", "Body Bytes", "Body SHA", "Header Delta", "JSON Delta", "Tokens, First Byte"];
const PAIR_ALIGN = ["l", "l", "l", "r", "l", "l", "l", "l"];
/** Rows are formatted by markdown-table in batches of this many. */
const ROW_BATCH = 200;

function pairRow(pair: PairDiff, labels: Labels): string[] {
  return [
    sequenceCell(pair),
    routeCell(pair),
    `${orDash(pair.status.direct)} -> ${orDash(pair.status.headroom)}`,
    bytesCell(pair),
    shaCell(pair),
    headerCell(pair),
    jsonCell(pair, labels),
    tokensCell(pair),
  ];
}

function usd(value: number): string {
  return `$${value.toFixed(value !== 0 && Math.abs(value) < 1 ? 4 : 2)}`;
}

/** The estimated cost line(s), when the report was given prices. */
function costLines(report: ReportHead): string[] {
  const cost = report.summary.cost;
  if (!cost) return [];
  const { direct: d, headroom: h } = report.labels;
  const { paired } = cost;
  const change = paired.direct.usd > 0 ? ` (${signed(Number(((paired.usd_delta / paired.direct.usd) * 100).toFixed(1)))}%)` : "";
  const lines = [
    `- Estimated cost (USD, prices from ${code(cost.prices_file)}): ${d} ${usd(cost.direct.usd)}, ${h} ${usd(cost.headroom.usd)}; over the pairs with usage on both sides ${d} ${usd(paired.direct.usd)}, ${h} ${usd(paired.headroom.usd)}, ${paired.usd_delta <= 0 ? "saving" : "adding"} ${usd(Math.abs(paired.usd_delta))}${change}`,
  ];
  const unpriced = [...new Set([...cost.direct.unpriced_models, ...cost.headroom.unpriced_models])];
  if (unpriced.length) {
    lines.push(`- Not priced (no entry for their model): ${cost.direct.unpriced_exchanges} ${d} and ${cost.headroom.unpriced_exchanges} ${h} exchanges — ${unpriced.map(code).join(", ")}`);
  }
  return lines;
}

/** `direct` -> `Direct`, for headings and sentence starts. */
function capitalized(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

function headText(report: ReportHead, extras: DeltaExtras): string {
  const { summary } = report;
  const { direct: d, headroom: h } = report.labels;
  const lines: string[] = [
    "# Differential Network Capture Report",
    "",
    verdictText(report),
    "",
    `Generated: ${code(report.generated_at)}`,
    "",
    `- ${capitalized(d)} capture: ${code(report.inputs.direct)}`,
    `- ${capitalized(h)} capture: ${code(report.inputs.headroom)}`,
    `- Paired by: ${code(report.pair_by)}`,
    "",
    "## Summary",
    "",
    `- ${capitalized(d)} exchanges: ${report.direct_count}`,
    `- ${capitalized(h)} exchanges: ${report.headroom_count}`,
    `- Paired exchanges: ${summary.paired}`,
    `- Only ${d}: ${summary.only_direct}`,
    `- Only ${h}: ${summary.only_headroom}`,
    `- Request bytes: ${d} ${summary.direct.request_bytes}, ${h} ${summary.headroom.request_bytes} (${signed(summary.headroom.request_bytes - summary.direct.request_bytes)})`,
    `- Paired tokens ${pairedTokensText(report.labels, summary.paired_tokens)}`,
    ...costLines(report),
    ...noiseLines(report, extras),
    "",
    "### Tokens, cache and latency per lane",
    "",
    table(
      [
        ["Lane", "Exchanges", "With Usage", "Request Bytes", "Prompt Tokens", "Input", "Cache Write", "Cache Read", "Cache Hit", "Output", "Errors", "First Byte ms", "Total ms"],
        laneTokensRow(d, summary.direct),
        laneTokensRow(h, summary.headroom),
      ],
      ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    "Prompt tokens = input + cache write + cache read, from each response's `usage`, over the exchanges whose response carried usage (With Usage). First Byte / Total ms: medians of each exchange's time from request start to the first response byte / to the end, as the lane's mitmproxy saw it.",
    "",
    ...cacheLifetimeLines(report.labels, summary.direct, summary.headroom),
    ...cachePrefixLines(report.labels, summary.direct, summary.headroom),
    ...errorLines(d, summary.direct),
    ...errorLines(h, summary.headroom),
    ...proxyAccountLines(report),
  ];
  if (report.warnings.length) lines.push("## Warnings", "", ...report.warnings.map((warning) => `- ${code(warning)}`), "");
  const leftovers = (title: string, refs: ReportHead["only_direct_exchanges"]) =>
    refs.length
      ? [
          `## ${title}`,
          "",
          ...refs.map(
            (ref) =>
              `- ${code(ref.route)} (sequence ${orDash(ref.sequence)}, line ${ref.line}, status ${orDash(ref.status)}${ref.retried_by !== undefined ? `; retried by #${orDash(ref.retried_by)}, not paired` : ""})`,
          ),
          "",
        ]
      : [];
  lines.push(
    ...leftovers(`Only ${capitalized(d)}`, report.only_direct_exchanges),
    ...leftovers(`Only ${capitalized(h)}`, report.only_headroom_exchanges),
  );
  lines.push(...templateSection(report));
  lines.push("## Paired Exchanges", "");
  return `${lines.join("\n")}\n`;
}

/**
 * Renders one report piece by piece: `start()`, `pair()` per paired row (returns finished table
 * lines in batches), `end()` (the rest of the table and the full lists of capped pairs).
 */
export class MarkdownRenderer {
  private rows: string[][] = [];
  private count = 0;
  private readonly details: string[] = [];

  constructor(
    private readonly head: ReportHead,
    private readonly extras: DeltaExtras = {},
  ) {}

  start(): string {
    return headText(this.head, this.extras);
  }

  private flush(): string {
    if (this.rows.length === 0) return "";
    const text = table([PAIR_HEADER, ...this.rows], PAIR_ALIGN);
    const first = this.count === this.rows.length;
    this.rows = [];
    // Every batch is a table with the same header; only the first keeps header and delimiter rows.
    return `${first ? text : text.slice(text.indexOf("\n", text.indexOf("\n") + 1) + 1)}\n`;
  }

  pair(diff: PairDiff): string {
    this.count += 1;
    this.rows.push(pairRow(diff, this.head.labels));
    if (isDeltaCapped(diff)) this.details.push(pairDetails(diff, this.count, this.head.labels));
    return this.rows.length >= ROW_BATCH ? this.flush() : "";
  }

  end(): string {
    const rest = this.count === 0 ? "No paired exchanges.\n" : this.flush();
    const details = this.details.length
      ? ["", "## Full Lists", "", "Pairs whose lists were cut short in the table above.", "", ...this.details].join("\n")
      : "";
    return `${rest}${details}`;
  }
}

/** The whole report as one string (for small reports and tests). */
export function renderMarkdown(report: Report): string {
  const renderer = new MarkdownRenderer(report);
  return renderer.start() + report.paired.map((diff) => renderer.pair(diff)).join("") + renderer.end();
}

/** `headroom-analyze summary FILE`: one lane's exchanges as a table. */
export function renderLaneSummary(file: string, exchanges: readonly Exchange[], lane: LaneSummary, warnings: readonly string[]): string {
  const rows = exchanges.map((exchange) => [
    orDash(exchange.sequence ?? `line ${exchange.line}`),
    code(exchange.route),
    orDash(exchange.response_status),
    orDash(exchange.anthropic.model),
    orDash(exchange.request_body_size),
    exchange.json ? String(exchange.anthropic.tools_count) : "-",
    exchange.anthropic.stream === null ? "-" : exchange.anthropic.stream ? "yes" : "no",
    orDash(promptTokens(exchange.usage)),
    orDash(exchange.usage?.cache_read_input_tokens),
    orDash(exchange.usage?.output_tokens),
    milliseconds(exchange.timings?.first_byte_ms ?? null),
  ]);
  const t = lane.tokens;
  return [
    `# Capture Summary: ${code(file)}`,
    "",
    `- Exchanges: ${lane.exchanges}`,
    `- Request bytes: ${lane.request_bytes}`,
    `- Tokens: ${t.prompt_tokens} prompt (cache read ${t.cache_read_input_tokens}, hit ${percent(t.cache_hit_ratio)}), ${t.output_tokens} output`,
    `- Errors: ${lane.errors.length}`,
    `- Prompt-cache prefix: ${prefixText(lane)}`,
    `- Median first byte / total: ${milliseconds(lane.first_byte_ms_median)} / ${milliseconds(lane.end_ms_median)} ms`,
    ...warnings.map((warning) => `- Warning: ${code(warning)}`),
    "",
    table(
      [["Sequence", "Route", "Status", "Model", "Body Bytes", "Tools", "Stream", "Prompt Tokens", "Cache Read", "Output", "First Byte ms"], ...rows],
      ["r", "l", "l", "l", "r", "r", "l", "r", "r", "r", "r"],
    ),
    "",
    ...errorLines("this", lane),
  ].join("\n");
}
