/**
 * The data an HTML report carries: written by html-report.ts into the page, read by the app in
 * analyzer/html/. Types only, so the app's bundle takes nothing else from the analyzer.
 *
 * Why this shape: a report must stay small enough to open (the README states the budget) on
 * captures of hundreds of MB, where every request repeats the whole conversation so far. So request
 * bodies are stored once per distinct prompt element (a tool, a system block, a message) in
 * `elements`, keyed by content hash; a pair refers to them by id, row by row, already aligned.
 */
import type { Timings, Usage } from "./exchange.js";
import type { ExchangeRef, Labels, Report } from "./summarize.js";

export const HTML_TITLE = "Differential Network Capture Report";

/** What `--html-bodies` puts into the file. */
export type HtmlBodies = "none" | "changed" | "all";
export const HTML_BODIES_CHOICES: readonly HtmlBodies[] = ["none", "changed", "all"];

/** A pair's two sides, direct first. */
export type Sides<T> = [T, T];

/**
 * A JSON value as the page holds it: a string longer than the limit becomes a `TruncatedText`
 * (its head, its full length and a hash of the whole, so two cut strings still compare right).
 */
export type ViewValue = null | boolean | number | string | TruncatedText | ViewValue[] | { [key: string]: ViewValue };

export interface TruncatedText {
  /** Marker key: the object is a cut string, not a JSON object of the body. */
  $cut: string;
  /** The last characters of the string. */
  tail: string;
  /** Length of the whole string in characters. */
  length: number;
  /** Hash of the whole string. */
  hash: string;
}

/** One distinct prompt element (tool, system block, message), stored once for the whole report. */
export interface ElementEntry {
  /** Compact JSON bytes of the element as sent. */
  bytes: number;
  /** Tool name or message role ("" for system blocks). */
  label: string;
  /** The element with long strings cut; null when its value was left out (`--html-bodies`, or the size budget). */
  value: ViewValue | null;
}

/** How two aligned elements relate: `moved` = same content at another place in the order. */
export type RowState = "same" | "moved" | "changed" | "only_direct" | "only_headroom";
export const ROW_STATES: readonly RowState[] = ["same", "moved", "changed", "only_direct", "only_headroom"];
/** Added to a packed row's state code for Claude Code's per-request billing-header block (metadata, not prompt). */
export const METADATA_FLAG = 8;
/** State code of a packed run of same rows. */
export const SAME_RUN = 5;

/** One row of an aligned array: the element on each side as [index in its request, element id]. */
export interface AlignedRow {
  state: RowState;
  direct: [number, number] | null;
  headroom: [number, number] | null;
  /** Metadata rather than prompt (Claude Code's per-request billing header block). */
  metadata?: boolean;
}

/**
 * Rows as the page stores them (a long session has ~100,000): `[state code (+8 for metadata),
 * direct index, direct element, headroom index, headroom element]` with -1 for a missing side, or
 * a run of same rows, `[5, direct start, headroom start, element…]` (same rows hold one element on
 * both sides, at consecutive indexes).
 */
export type PackedRow = number[];

export interface PairView {
  /** Request headers per side as indexes into `HtmlReportData.headers` (names as sent, sensitive values `<redacted>`). */
  headers: Sides<number[]>;
  /** The body's other top-level members (model, max_tokens, metadata, …), long strings cut. */
  params: Sides<{ [key: string]: ViewValue } | null>;
  /** tools, system, messages: aligned rows (tools by name, system blocks and messages by content). */
  arrays: Array<{ name: "tools" | "system" | "messages"; rows: PackedRow[] }>;
  /** Why a side has no body to show (not JSON, cut short in the capture), when so. */
  notes: string[];
}

export interface HtmlPair {
  /** 0-based position in the report's `paired[]`. */
  index: number;
  route: string;
  headroom_route: string;
  sequence: Sides<number | null>;
  line: Sides<number>;
  status: Sides<number | null>;
  /** Conversation (1-based, in order of first appearance) and turn within it; null off /v1/messages. */
  conversation: number | null;
  turn: number | null;
  model: Sides<string | null>;
  bytes: Sides<number | null>;
  body_same: boolean | null;
  tools_count: Sides<number>;
  tools_added: string[];
  tools_removed: string[];
  tools_reordered: boolean;
  message_count: Sides<number | null>;
  headers: { only_direct: string[]; only_headroom: string[]; changed: string[]; noise: string[] };
  /** JSON paths whose difference the report classed as noise (--baseline); the view greys them out. At most 500. */
  json_noise: string[];
  /** Numbers of JSON paths only in one side, changed, moved, classed as noise. */
  json: { only_direct: number; only_headroom: number; changed: number; moved: number; noise: number };
  usage: Sides<Usage | null>;
  timings: Sides<Timings | null>;
  error: Sides<{ kind: string; message: string } | null>;
  /** What a reader should know about this pair (failed, usage missing, model differs, …). */
  warnings: string[];
  /** The side-by-side view; null when the bodies could not be read back. */
  view: PairView | null;
}

export interface HtmlReportData {
  title: string;
  generated_at: string;
  inputs: { direct: string; headroom: string };
  labels: Labels;
  pair_by: string;
  /** The report's verdict paragraph (Markdown: `**bold**` and code spans only). */
  verdict: string | null;
  /** The JSON report's `summary`, unchanged: the page shows these exact figures. */
  summary: Report["summary"];
  only_direct_exchanges: ExchangeRef[];
  only_headroom_exchanges: ExchangeRef[];
  warnings: string[];
  pairs: HtmlPair[];
  /** Distinct prompt elements; rows refer to them by index. */
  elements: ElementEntry[];
  /** Distinct request headers `[name, value]`; views refer to them by index. */
  headers: Array<[string, string]>;
  bodies: {
    mode: HtmlBodies;
    /** Strings longer than this many characters are cut. */
    value_chars: number;
    /** Elements whose values were left out to stay within the size budget. */
    left_out: number;
    budget_bytes: number;
  };
}
