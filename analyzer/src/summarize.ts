/**
 * Stage 5 — summarize: the figures a reader wants before the per-pair rows — how many exchanges,
 * how many paired, how many bytes and tokens each lane sent, how well the prompt cache hit, and
 * which exchanges failed. Also assembles the whole report object both renderers draw from.
 */
import type { PairDiff } from "./compare.js";
import type { Exchange, Lane } from "./exchange.js";
import type { GateResult } from "./gates.js";
import type { PairBy, Pairing } from "./pair.js";
import { costOf, type Cost, type PriceTable } from "./prices.js";

export interface TokenTotals {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** input + cache creation + cache read: everything the model was sent. */
  prompt_tokens: number;
  /** Exchanges whose response carried usage. */
  exchanges_with_usage: number;
  /** cache_read / prompt_tokens (0..1); null without prompt tokens. */
  cache_hit_ratio: number | null;
}

export interface ExchangeRef {
  route: string;
  sequence: number | null;
  line: number;
  status: number | null;
}

export interface LaneError extends ExchangeRef {
  kind: string;
  message: string;
}

export interface LaneSummary {
  file: string;
  exchanges: number;
  request_bytes: number;
  response_bytes: number;
  /** Response status -> count; `none` for exchanges without a response. */
  statuses: Record<string, number>;
  tokens: TokenTotals;
  /** Median of timings.end_ms over exchanges that have it. */
  end_ms_median: number | null;
  /** Median of timings.first_byte_ms (time to first response byte) over exchanges that have it. */
  first_byte_ms_median: number | null;
  errors: LaneError[];
}

/** What the report calls each side (default `direct` / `headroom`); JSON keys keep the original names. */
export interface Labels {
  direct: string;
  headroom: string;
}

export const DEFAULT_LABELS: Labels = { direct: "direct", headroom: "headroom" };

export interface Report {
  schema_version: 1;
  generated_at: string;
  inputs: { direct: string; headroom: string };
  labels: Labels;
  pair_by: PairBy;
  direct_count: number;
  headroom_count: number;
  /** Routes of exchanges that found no partner, in capture order (original harness layout). */
  only_direct: string[];
  only_headroom: string[];
  only_direct_exchanges: ExchangeRef[];
  only_headroom_exchanges: ExchangeRef[];
  /** Paired exchanges in direct capture order. */
  paired: PairDiff[];
  summary: {
    direct: LaneSummary;
    headroom: LaneSummary;
    paired: number;
    only_direct: number;
    only_headroom: number;
    /** Token totals over paired exchanges only, so the two sides cover the same requests. */
    paired_tokens: { direct: TokenTotals; headroom: TokenTotals; prompt_tokens_delta: number };
    /** Headroom's tools count minus direct's on the pair where they differ most (removals win ties); null without pairs. */
    tools_count_delta: number | null;
    /** Present with --prices: USD per lane and over the paired exchanges (same requests on both sides). */
    cost?: {
      prices_file: string;
      direct: Cost;
      headroom: Cost;
      paired: { direct: Cost; headroom: Cost; usd_delta: number };
    };
  };
  warnings: string[];
  /** The scenario or task the runs performed (`--scenario`), so `aggregate` can group by it. */
  scenario?: string;
  /** `--fail-on` gates and how they came out. */
  gates?: GateResult[];
}

export function exchangeRef(exchange: Exchange): ExchangeRef {
  return { route: exchange.route, sequence: exchange.sequence, line: exchange.line, status: exchange.response_status };
}

/** Token totals over some exchanges; missing (null) figures count as 0. */
export function tokenTotals(exchanges: readonly Exchange[]): TokenTotals {
  const totals = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, exchanges_with_usage: 0 };
  for (const { usage } of exchanges) {
    if (!usage) continue;
    totals.exchanges_with_usage += 1;
    totals.input_tokens += usage.input_tokens ?? 0;
    totals.output_tokens += usage.output_tokens ?? 0;
    totals.cache_creation_input_tokens += usage.cache_creation_input_tokens ?? 0;
    totals.cache_read_input_tokens += usage.cache_read_input_tokens ?? 0;
  }
  const prompt = totals.input_tokens + totals.cache_creation_input_tokens + totals.cache_read_input_tokens;
  return { ...totals, prompt_tokens: prompt, cache_hit_ratio: prompt > 0 ? totals.cache_read_input_tokens / prompt : null };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Milliseconds to 0.1 ms: the capture's own resolution, without float noise (243.35000000000002). */
function tenth(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

export function summarizeLane(file: string, exchanges: readonly Exchange[]): LaneSummary {
  const statuses: Record<string, number> = {};
  let requestBytes = 0;
  let responseBytes = 0;
  const ends: number[] = [];
  const firstBytes: number[] = [];
  const errors: LaneError[] = [];
  for (const exchange of exchanges) {
    const status = exchange.response_status === null ? "none" : String(exchange.response_status);
    statuses[status] = (statuses[status] ?? 0) + 1;
    requestBytes += exchange.request_body_size ?? 0;
    responseBytes += exchange.response_body_size ?? 0;
    if (exchange.timings?.end_ms != null) ends.push(exchange.timings.end_ms);
    if (exchange.timings?.first_byte_ms != null) firstBytes.push(exchange.timings.first_byte_ms);
    if (exchange.error) errors.push({ ...exchangeRef(exchange), ...exchange.error });
  }
  return {
    file,
    exchanges: exchanges.length,
    request_bytes: requestBytes,
    response_bytes: responseBytes,
    statuses,
    tokens: tokenTotals(exchanges),
    end_ms_median: tenth(median(ends)),
    first_byte_ms_median: tenth(median(firstBytes)),
    errors,
  };
}

/** The largest change of the tools count over the pairs, signed; a removal wins a tie (dropped tools matter more). */
export function toolsCountDelta(pairing: Pairing): number | null {
  let largest: number | null = null;
  for (const pair of pairing.pairs) {
    const delta = pair.headroom.anthropic.tools_count - pair.direct.anthropic.tools_count;
    if (largest === null || Math.abs(delta) > Math.abs(largest) || (Math.abs(delta) === Math.abs(largest) && delta < largest)) largest = delta;
  }
  return largest;
}

function laneCosts(prices: PriceTable, direct: Lane, headroom: Lane, pairing: Pairing) {
  const pairedDirect = costOf(pairing.pairs.map((pair) => pair.direct), prices);
  const pairedHeadroom = costOf(pairing.pairs.map((pair) => pair.headroom), prices);
  return {
    prices_file: prices.file,
    direct: costOf(direct.exchanges, prices),
    headroom: costOf(headroom.exchanges, prices),
    paired: { direct: pairedDirect, headroom: pairedHeadroom, usd_delta: pairedHeadroom.usd - pairedDirect.usd },
  };
}

/** Everything in the report except the per-pair rows, which are rendered one by one as they are compared. */
export type ReportHead = Omit<Report, "paired">;

/** The report head: what render-markdown and render-json draw before and around the paired rows. */
export function buildReportHead(options: {
  direct: Lane;
  headroom: Lane;
  pairing: Pairing;
  pairBy: PairBy;
  generatedAt?: Date;
  labels?: Labels;
  prices?: PriceTable;
}): ReportHead {
  const { direct, headroom, pairing, pairBy } = options;
  const directTokens = tokenTotals(pairing.pairs.map((pair) => pair.direct));
  const headroomTokens = tokenTotals(pairing.pairs.map((pair) => pair.headroom));
  return {
    schema_version: 1,
    generated_at: (options.generatedAt ?? new Date()).toISOString(),
    inputs: { direct: direct.file, headroom: headroom.file },
    labels: options.labels ?? DEFAULT_LABELS,
    pair_by: pairBy,
    direct_count: direct.exchanges.length,
    headroom_count: headroom.exchanges.length,
    only_direct: pairing.onlyDirect.map((exchange) => exchange.route),
    only_headroom: pairing.onlyHeadroom.map((exchange) => exchange.route),
    only_direct_exchanges: pairing.onlyDirect.map(exchangeRef),
    only_headroom_exchanges: pairing.onlyHeadroom.map(exchangeRef),
    summary: {
      direct: summarizeLane(direct.file, direct.exchanges),
      headroom: summarizeLane(headroom.file, headroom.exchanges),
      paired: pairing.pairs.length,
      only_direct: pairing.onlyDirect.length,
      only_headroom: pairing.onlyHeadroom.length,
      paired_tokens: {
        direct: directTokens,
        headroom: headroomTokens,
        prompt_tokens_delta: headroomTokens.prompt_tokens - directTokens.prompt_tokens,
      },
      tools_count_delta: toolsCountDelta(pairing),
      ...(options.prices ? { cost: laneCosts(options.prices, direct, headroom, pairing) } : {}),
    },
    warnings: [...direct.warnings, ...headroom.warnings],
  };
}
