/**
 * Stage 5 — summarize: the figures a reader wants before the per-pair rows — how many exchanges,
 * how many paired, how many bytes and tokens each lane sent, how well the prompt cache hit, and
 * which exchanges failed. Also assembles the whole report object both renderers draw from.
 */
import { cachePrefix, type CachePrefix } from "./cache-prefix.js";
import { sharesResponse, type PairDiff } from "./compare.js";
import type { Exchange, Lane } from "./exchange.js";
import type { GateResult } from "./gates.js";
import type { JsonTemplate } from "./json-templates.js";
import type { NoiseSummary } from "./noise.js";
import { viewLane, type LaneView, type Pair, type PairBy, type Pairing } from "./pair.js";
import { costOf, isComplete, type Cost, type PriceTable } from "./prices.js";
import { proxyAccountOf, type ProxyAccount, type ProxyStatsTotals } from "./proxy-account.js";
import { cacheWrites, hasUsage } from "./usage.js";
import { pairingWarnings } from "./warnings.js";

export interface TokenTotals {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /**
   * Cache writes by lifetime, over the exchanges whose response split them
   * (`usage.cache_creation`); null when none did.
   */
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } | null;
  /** input + cache creation + cache read: everything the model was sent. */
  prompt_tokens: number;
  /** Exchanges whose response carried usage (`input_tokens` a number); only these are counted. */
  exchanges_with_usage: number;
  /** cache_read / prompt_tokens (0..1); null without prompt tokens. */
  cache_hit_ratio: number | null;
}

export interface ExchangeRef {
  route: string;
  sequence: number | null;
  line: number;
  status: number | null;
  /** Present when this exchange failed and was sent again: the sequence of the retry. */
  retried_by?: number | null;
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
  /** Where consecutive turns of a conversation stopped resending the earlier turn unchanged (cache-prefix.ts). */
  cache_prefix: CachePrefix;
  /** Anthropic API exchanges (`/v1/...`) that failed: status >= 400, a transport error, or no response. */
  api_errors: number;
  /** Messages API conversations (conversation.ts) and their turns, retried exchanges not counted. */
  conversations: { count: number; turns: number };
}

/** Token totals over the pairs where both sides carry usage, so both cover the same requests. */
export interface PairedTokens {
  direct: TokenTotals;
  headroom: TokenTotals;
  prompt_tokens_delta: number;
  /** Pairs counted in the totals: both responses carried usage. */
  pairs_counted: number;
  /** Pairs left out because one side or both had no usage (an error, a 529, usage that could not be read). */
  pairs_without_usage: number;
  /**
   * Counted pairs whose two sides carry the very same response (same response body hash: a proxy's input and output
   * lanes). When every counted pair does, the usage is one response's seen twice and a delta means nothing.
   */
  shared_responses: number;
}

/** How many pairs differ in each respect (noise already set apart where a baseline was given). */
export interface PairsChanged {
  /** Tools added, removed or reordered, or a tool's definition changed. */
  tools: number;
  /** A header only in one lane or with a different value. */
  headers: number;
  /** A JSON path only in one lane or with a different value. */
  json: number;
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
  /** `baseline` only with --baseline. */
  inputs: { direct: string; headroom: string; baseline?: string };
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
    paired_tokens: PairedTokens;
    pairs_changed: PairsChanged;
    /** Headroom's tools count minus direct's on the pair where they differ most (removals win ties); null without pairs. */
    tools_count_delta: number | null;
    /** JSON change templates (`$.messages[*].content[*].text`) per kind, with the number of pairs showing each; most frequent first. */
    json_templates: JsonTemplate[];
    /** With --baseline: how many differences were classed as noise; null without. */
    noise: NoiseSummary | null;
    /** Present with --prices: USD per lane and over the counted pairs (same requests on both sides, both with usage). */
    cost?: {
      prices_file: string;
      direct: Cost;
      headroom: Cost;
      /** usd_delta is null when a side has exchanges it could not price (its total would be too low). */
      paired: { direct: Cost; headroom: Cost; usd_delta: number | null };
    };
  };
  warnings: string[];
  /** The scenario or task the runs performed (`--scenario`), so `aggregate` can group by it. */
  scenario?: string;
  /** `--fail-on` gates and how they came out. */
  gates?: GateResult[];
  /** The proxy's own account checked against the wire (proxy-account.ts); present when a proxy said something. */
  proxy_account?: ProxyAccount;
}

export function exchangeRef(exchange: Exchange, retriedBy?: Exchange): ExchangeRef {
  const ref: ExchangeRef = { route: exchange.route, sequence: exchange.sequence, line: exchange.line, status: exchange.response_status };
  return retriedBy ? { ...ref, retried_by: retriedBy.sequence } : ref;
}

/** Token totals over the exchanges that carry usage (see usage.ts); other figures missing (null) count as 0. */
export function tokenTotals(exchanges: readonly Exchange[]): TokenTotals {
  const totals = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, exchanges_with_usage: 0 };
  let split: TokenTotals["cache_creation"] = null;
  for (const exchange of exchanges) {
    if (!hasUsage(exchange)) continue;
    const { usage } = exchange;
    totals.exchanges_with_usage += 1;
    totals.input_tokens += usage.input_tokens;
    totals.output_tokens += usage.output_tokens ?? 0;
    totals.cache_creation_input_tokens += usage.cache_creation_input_tokens ?? 0;
    totals.cache_read_input_tokens += usage.cache_read_input_tokens ?? 0;
    if (usage.cache_creation) {
      const writes = cacheWrites(usage);
      split ??= { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
      split.ephemeral_5m_input_tokens += writes.fiveMinute;
      split.ephemeral_1h_input_tokens += writes.oneHour;
    }
  }
  const prompt = totals.input_tokens + totals.cache_creation_input_tokens + totals.cache_read_input_tokens;
  return { ...totals, cache_creation: split, prompt_tokens: prompt, cache_hit_ratio: prompt > 0 ? totals.cache_read_input_tokens / prompt : null };
}

/** The pairs whose two responses both carried usage: the only ones paired totals and costs count. */
export function countedPairs(pairs: readonly Pair[]): Pair[] {
  return pairs.filter((pair) => hasUsage(pair.direct) && hasUsage(pair.headroom));
}

export function pairedTokens(pairs: readonly Pair[]): PairedTokens {
  const counted = countedPairs(pairs);
  const direct = tokenTotals(counted.map((pair) => pair.direct));
  const headroom = tokenTotals(counted.map((pair) => pair.headroom));
  return {
    direct,
    headroom,
    prompt_tokens_delta: headroom.prompt_tokens - direct.prompt_tokens,
    pairs_counted: counted.length,
    pairs_without_usage: pairs.length - counted.length,
    shared_responses: counted.filter((pair) => sharesResponse(pair.direct, pair.headroom)).length,
  };
}

/** Count the pairs that differ in tools, headers and JSON. */
export function pairsChanged(diffs: readonly PairDiff[]): PairsChanged {
  const changed: PairsChanged = { tools: 0, headers: 0, json: 0 };
  for (const diff of diffs) {
    const { anthropic, headers, json } = diff;
    if (anthropic.tools_added.length || anthropic.tools_removed.length || anthropic.tools_reordered || anthropic.direct.tools_sha256 !== anthropic.headroom.tools_sha256) changed.tools += 1;
    if (headers.only_direct.length || headers.only_headroom.length || headers.changed.length) changed.headers += 1;
    if (json.only_direct.length || json.only_headroom.length || json.changed.length) changed.json += 1;
  }
  return changed;
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

/**
 * One lane's figures. `view` (viewLane) and `paths` (the run's JSON path names) serve the
 * cache-prefix check; without paths it names elements only (`$.messages[3]`).
 */
export function summarizeLane(file: string, exchanges: readonly Exchange[], view: LaneView = viewLane(exchanges), paths: readonly string[] = []): LaneSummary {
  const statuses: Record<string, number> = {};
  let requestBytes = 0;
  let responseBytes = 0;
  const ends: number[] = [];
  const firstBytes: number[] = [];
  const errors: LaneError[] = [];
  let apiErrors = 0;
  for (const exchange of exchanges) {
    if (isFailedApiCall(exchange)) apiErrors += 1;
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
    cache_prefix: cachePrefix(view, paths),
    api_errors: apiErrors,
    conversations: conversationCounts(view),
  };
}

/** A call to the Anthropic API (`/v1/...`) that failed. Other routes (Claude Code's settings, telemetry) are not the model's. */
function isFailedApiCall(exchange: Exchange): boolean {
  if (!exchange.path.startsWith("/v1/")) return false;
  return exchange.error !== null || exchange.response_status === null || exchange.response_status >= 400;
}

/** How many conversations a lane held and how many turns they took (a retried exchange is not a turn). */
function conversationCounts(view: LaneView): { count: number; turns: number } {
  let turns = 0;
  for (const conversation of view.conversations.list) turns += conversation.turns.filter((turn) => !view.retries.has(turn)).length;
  return { count: view.conversations.list.length, turns };
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
  const counted = countedPairs(pairing.pairs);
  const pairedDirect = costOf(counted.map((pair) => pair.direct), prices);
  const pairedHeadroom = costOf(counted.map((pair) => pair.headroom), prices);
  return {
    prices_file: prices.file,
    direct: costOf(direct.exchanges, prices),
    headroom: costOf(headroom.exchanges, prices),
    paired: {
      direct: pairedDirect,
      headroom: pairedHeadroom,
      usd_delta: isComplete(pairedDirect) && isComplete(pairedHeadroom) ? pairedHeadroom.usd - pairedDirect.usd : null,
    },
  };
}

/** Everything in the report except the per-pair rows, which are rendered one by one after it. */
export type ReportHead = Omit<Report, "paired">;

/**
 * The report head: what render-markdown and render-json draw before and around the paired rows.
 * `diffs` (every pair compared) give the changed-pair counts; `views` and `paths` serve the
 * cache-prefix check (both derived when absent).
 */
export function buildReportHead(options: {
  direct: Lane;
  headroom: Lane;
  pairing: Pairing;
  pairBy: PairBy;
  diffs?: readonly PairDiff[];
  views?: { direct: LaneView; headroom: LaneView };
  paths?: readonly string[];
  generatedAt?: Date;
  labels?: Labels;
  prices?: PriceTable;
  proxyStats?: ProxyStatsTotals;
}): ReportHead {
  const { direct, headroom, pairing, pairBy } = options;
  const labels = options.labels ?? DEFAULT_LABELS;
  const views = options.views ?? { direct: viewLane(direct.exchanges), headroom: viewLane(headroom.exchanges) };
  const refs = (exchanges: readonly Exchange[]) => exchanges.map((exchange) => exchangeRef(exchange, pairing.retriedBy.get(exchange)));
  const proxyAccount = proxyAccountOf(pairing, options.proxyStats ?? null);
  return {
    schema_version: 1,
    generated_at: (options.generatedAt ?? new Date()).toISOString(),
    inputs: { direct: direct.file, headroom: headroom.file },
    labels,
    pair_by: pairBy,
    direct_count: direct.exchanges.length,
    headroom_count: headroom.exchanges.length,
    only_direct: pairing.onlyDirect.map((exchange) => exchange.route),
    only_headroom: pairing.onlyHeadroom.map((exchange) => exchange.route),
    only_direct_exchanges: refs(pairing.onlyDirect),
    only_headroom_exchanges: refs(pairing.onlyHeadroom),
    summary: {
      direct: summarizeLane(direct.file, direct.exchanges, views.direct, options.paths),
      headroom: summarizeLane(headroom.file, headroom.exchanges, views.headroom, options.paths),
      paired: pairing.pairs.length,
      only_direct: pairing.onlyDirect.length,
      only_headroom: pairing.onlyHeadroom.length,
      paired_tokens: pairedTokens(pairing.pairs),
      pairs_changed: pairsChanged(options.diffs ?? []),
      tools_count_delta: toolsCountDelta(pairing),
      json_templates: [],
      noise: null,
      ...(options.prices ? { cost: laneCosts(options.prices, direct, headroom, pairing) } : {}),
    },
    warnings: [
      ...direct.warnings,
      ...headroom.warnings,
      ...pairingWarnings({ pairing, direct: direct.exchanges, headroom: headroom.exchanges, pairBy, labels }),
    ],
    ...(proxyAccount ? { proxy_account: proxyAccount } : {}),
  };
}
