/**
 * The proxy's own account, checked against the wire.
 *
 * A proxy like Headroom says what it did: per request in its response headers (`x-headroom-tokens-before`,
 * `-after`, `-saved`, `x-headroom-transforms`, `x-headroom-compression-failed`) and for the whole run on its stats
 * endpoint (saved by the runner as `<arm>-proxy-stats.json`). This module sets those claims beside what the
 * captures measured — request bytes on each side, the prompt tokens the upstream billed — flags disagreements above
 * TOLERANCE, and names what changed in each request: which tool results (by tool name and id) came out shorter,
 * and the transforms the proxy named for it.
 *
 * Two small hooks feed it: normalize fills `Exchange.proxy` with proxyFactsOf(), and summarize adds
 * proxyAccountOf() to the report head (present only when a proxy said something or a tool result changed).
 */
import { readFileSync } from "node:fs";
import { InputError } from "./errors.js";
import type { Exchange } from "./exchange.js";
import { hashText } from "./hash.js";
import { PathTable } from "./json-leaves.js";
import type { Pairing } from "./pair.js";

/**
 * How far the proxy's token figures may be from the billed ones before they are flagged: 20 %. A proxy counts with
 * its own tokenizer (Headroom 0.42 prices Claude with tiktoken, or estimates by characters when that vocabulary is
 * missing) while the API bills with Claude's, and Headroom documents its estimate as within ~10-20 %.
 */
export const TOLERANCE = 0.2;

/** What the proxy's response headers said about one request. */
export interface ProxyClaim {
  tokens_before: number | null;
  tokens_after: number | null;
  tokens_saved: number | null;
  transforms: string[];
  compression_failed: boolean;
}

/** One tool_result block of a request, enough to tell whether a proxy changed it. */
export interface ToolResultFact {
  tool_use_id: string;
  /** The tool that produced it (from the matching tool_use), or "?" when the request does not say. */
  tool: string;
  /** Index of the message holding it. */
  message: number;
  chars: number;
  /** A 53-bit hash of its text, in hex (equal texts, equal digests). */
  digest: string;
}

export interface ProxyFacts {
  claim: ProxyClaim | null;
  tool_results: ToolResultFact[];
}

const HEADER_PREFIX = "x-headroom-";

function headerMap(headers: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (typeof headers !== "object" || headers === null) return map;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof value === "string" && name.toLowerCase().startsWith(HEADER_PREFIX)) map.set(name.toLowerCase(), value);
  }
  return map;
}

function count(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

/** The proxy's claim from a record's response headers; null when it sent none of them. */
export function proxyClaimOf(responseHeaders: unknown): ProxyClaim | null {
  const h = headerMap(responseHeaders);
  const claim: ProxyClaim = {
    tokens_before: count(h.get("x-headroom-tokens-before")),
    tokens_after: count(h.get("x-headroom-tokens-after")),
    tokens_saved: count(h.get("x-headroom-tokens-saved")),
    transforms: (h.get("x-headroom-transforms") ?? "").split(",").map((t) => t.trim()).filter(Boolean),
    compression_failed: (h.get("x-headroom-compression-failed") ?? "").trim().toLowerCase() === "true",
  };
  const said = claim.tokens_before !== null || claim.tokens_after !== null || claim.tokens_saved !== null;
  return said || claim.transforms.length > 0 || claim.compression_failed ? claim : null;
}

type Block = { type?: unknown; id?: unknown; name?: unknown; tool_use_id?: unknown; content?: unknown; text?: unknown };

function blocks(content: unknown): Block[] {
  return Array.isArray(content) ? (content.filter((b) => typeof b === "object" && b !== null) as Block[]) : [];
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  return blocks(content)
    .map((b) => (typeof b.text === "string" ? b.text : JSON.stringify(b)))
    .join("\n");
}

/**
 * A digest of a tool result's text. With the run's path table, a text equal to the one at the
 * same path in the previous request reuses that hash (json-leaves.ts): every request repeats the
 * conversation's tool results, so hashing each anew would cost O(conversation) per request.
 */
function resultDigest(content: unknown, text: string, paths: PathTable | undefined, message: number, block: number): string {
  if (paths === undefined || typeof content !== "string") return hashText(text).toString(16);
  const messages = paths.key(PathTable.ROOT, "messages");
  const node = paths.key(paths.index(paths.key(paths.index(messages, message), "content"), block), "content");
  return paths.textHash(node, text).toString(16);
}

/**
 * The facts of the tool results seen last, by tool_use_id: a request repeats every earlier tool
 * result, so an equal fact is the same object and thousands of exchanges hold few copies.
 */
export class KnownToolResults {
  private readonly facts = new Map<string, ToolResultFact>();
  /** Bound on remembered facts (an odd capture with millions of tool calls costs copies, not memory). */
  private static readonly MAX = 1 << 16;

  share(fact: ToolResultFact): ToolResultFact {
    const known = this.facts.get(fact.tool_use_id);
    if (known && known.tool === fact.tool && known.message === fact.message && known.chars === fact.chars && known.digest === fact.digest) return known;
    if (this.facts.size >= KnownToolResults.MAX) this.facts.clear();
    this.facts.set(fact.tool_use_id, fact);
    return fact;
  }
}

/** The tool results a Messages request carries, each named by the tool whose call it answers. */
export function toolResultsOf(body: unknown, paths?: PathTable, known?: KnownToolResults): ToolResultFact[] {
  const messages = (body as { messages?: unknown } | null | undefined)?.messages;
  if (!Array.isArray(messages)) return [];
  const toolNames = new Map<string, string>();
  const out: ToolResultFact[] = [];
  messages.forEach((message, index) => {
    const content = (message as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return;
    content.forEach((item: unknown, position) => {
      if (typeof item !== "object" || item === null) return;
      const block = item as Block;
      if (block.type === "tool_use" && typeof block.id === "string") toolNames.set(block.id, String(block.name ?? "?"));
      if (block.type !== "tool_result") return;
      const id = typeof block.tool_use_id === "string" ? block.tool_use_id : "?";
      const text = resultText(block.content);
      const fact = { tool_use_id: id, tool: toolNames.get(id) ?? "?", message: index, chars: text.length, digest: resultDigest(block.content, text, paths, index, position) };
      out.push(known ? known.share(fact) : fact);
    });
  });
  return out;
}

/** The hook normalize calls: the proxy's claim and the request's tool results; null when there is neither. */
export function proxyFactsOf(body: unknown, responseHeaders: unknown, paths?: PathTable, known?: KnownToolResults): ProxyFacts | null {
  const claim = proxyClaimOf(responseHeaders);
  const toolResults = toolResultsOf(body, paths, known);
  return claim || toolResults.length > 0 ? { claim, tool_results: toolResults } : null;
}

// --- the report section ------------------------------------------------------------------------------------------

/** A tool result that differs between the two sides of a pair. */
export interface ChangedToolResult {
  tool: string;
  tool_use_id: string;
  message: number;
  chars: { direct: number; headroom: number | null };
  /**
   * The request (left-side sequence) where this tool result first came out changed, and the transforms the proxy
   * named there: in Headroom's cache mode a result compressed once is sent compressed in every later turn, where
   * the headers name no transform for it.
   */
  first_changed_in: { sequence: number | null; transforms: string[] };
}

export interface ProxyAccountRow {
  route: string;
  direct_sequence: number | null;
  headroom_sequence: number | null;
  request_bytes: { direct: number | null; headroom: number | null };
  /** Prompt tokens (input + cache write + cache read) each side's response billed. */
  billed_prompt_tokens: { direct: number | null; headroom: number | null };
  claim: ProxyClaim | null;
  changed_tool_results: ChangedToolResult[];
  /** Disagreements between the claim and the wire, in words; empty when they agree. */
  flags: string[];
}

/** Headroom's /stats, the figures the account sets beside the captures. */
export interface ProxyStatsTotals {
  file: string;
  requests: number | null;
  tokens_before: number | null;
  tokens_after: number | null;
  tokens_saved: number | null;
  mode: string | null;
}

export interface ProxyAccount {
  tolerance: number;
  rows: ProxyAccountRow[];
  totals: {
    claimed_before: number;
    claimed_after: number;
    claimed_saved: number;
    requests_with_claims: number;
    billed_prompt_tokens: { direct: number; headroom: number };
    request_bytes: { direct: number; headroom: number };
    changed_tool_results: number;
  };
  stats: ProxyStatsTotals | null;
  /** Run-level disagreements (stats vs captures). */
  flags: string[];
  disagreements: number;
}

function billedPrompt(exchange: Exchange): number | null {
  const u = exchange.usage;
  if (!u || (u.input_tokens === null && u.cache_creation_input_tokens === null && u.cache_read_input_tokens === null)) return null;
  return (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
}

function off(claimed: number, measured: number): number {
  return measured === 0 ? (claimed === 0 ? 0 : 1) : Math.abs(claimed - measured) / measured;
}

const pct = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

type FirstChanges = Map<string, ChangedToolResult["first_changed_in"]>;

function changedToolResults(direct: Exchange, headroom: Exchange, claim: ProxyClaim | null, first: FirstChanges): ChangedToolResult[] {
  const after = new Map((headroom.proxy?.tool_results ?? []).map((r) => [r.tool_use_id, r]));
  return (direct.proxy?.tool_results ?? []).flatMap((before) => {
    const other = after.get(before.tool_use_id);
    if (other && other.digest === before.digest) return [];
    const key = `${before.tool_use_id}\n${before.digest}\n${other?.digest ?? ""}`;
    if (!first.has(key)) first.set(key, { sequence: direct.sequence, transforms: claim?.transforms ?? [] });
    return [{
      tool: before.tool,
      tool_use_id: before.tool_use_id,
      message: before.message,
      chars: { direct: before.chars, headroom: other?.chars ?? null },
      first_changed_in: first.get(key)!,
    }];
  });
}

/** The checks of one request: the proxy's figures against the bytes and the bill. */
function rowFlags(row: Omit<ProxyAccountRow, "flags">, tolerance: number): string[] {
  const flags: string[] = [];
  const { claim } = row;
  const billedAfter = row.billed_prompt_tokens.headroom;
  const billedBefore = row.billed_prompt_tokens.direct;
  const { direct: bytesBefore, headroom: bytesAfter } = row.request_bytes;
  const shrank = bytesBefore !== null && bytesAfter !== null && bytesAfter < bytesBefore * 0.99;
  if (claim?.compression_failed) flags.push("the proxy says compression failed (x-headroom-compression-failed)");
  if (claim?.tokens_after != null && billedAfter !== null && off(claim.tokens_after, billedAfter) > tolerance) {
    flags.push(`claimed ${claim.tokens_after} tokens after, upstream billed ${billedAfter} (${pct(off(claim.tokens_after, billedAfter))} apart)`);
  }
  // Where the two sides were billed separately (direct lane vs proxy lane), the claimed saving can be checked too.
  if (claim?.tokens_saved != null && billedBefore !== null && billedAfter !== null && billedBefore !== billedAfter) {
    const measured = billedBefore - billedAfter;
    if (Math.abs(claim.tokens_saved - measured) > tolerance * Math.max(billedBefore, 1)) {
      flags.push(`claimed ${claim.tokens_saved} tokens saved, the bills differ by ${measured}`);
    }
  }
  if (claim && (claim.tokens_saved ?? 0) > 0 && bytesBefore !== null && bytesAfter !== null && bytesAfter >= bytesBefore) {
    flags.push(`claims ${claim.tokens_saved} tokens saved but the forwarded body is not smaller (${bytesBefore} -> ${bytesAfter} bytes)`);
  }
  if (shrank && claim && claim.tokens_saved === 0 && row.changed_tool_results.length > 0) {
    flags.push(`the body shrank ${bytesBefore! - bytesAfter!} bytes and tool results changed, but the proxy claims no saving`);
  }
  return flags;
}

function statsFlags(stats: ProxyStatsTotals, rows: ProxyAccountRow[], billedAfter: number, tolerance: number): string[] {
  const flags: string[] = [];
  const claimed = rows.filter((r) => r.claim).length;
  if (stats.requests !== null && stats.requests !== claimed) {
    flags.push(`stats count ${stats.requests} requests, the capture holds ${claimed} with the proxy's headers`);
  }
  if (stats.tokens_after !== null && billedAfter > 0 && off(stats.tokens_after, billedAfter) > tolerance) {
    flags.push(`stats say ${stats.tokens_after} tokens after, upstream billed ${billedAfter} (${pct(off(stats.tokens_after, billedAfter))} apart)`);
  }
  return flags;
}

/**
 * The account over the paired exchanges. The claim is read from whichever side carries it (the proxy answers the
 * client, so in the proxy report it is the client lane, the report's left side). Null when no exchange carries a
 * claim, no tool result changed and no stats were given: nothing to account for.
 */
export function proxyAccountOf(pairing: Pairing, stats: ProxyStatsTotals | null = null, tolerance = TOLERANCE): ProxyAccount | null {
  const rows: ProxyAccountRow[] = [];
  const first: FirstChanges = new Map();
  for (const { direct, headroom } of pairing.pairs) {
    const claim = direct.proxy?.claim ?? headroom.proxy?.claim ?? null;
    const changed = changedToolResults(direct, headroom, claim, first);
    const row = {
      route: direct.route,
      direct_sequence: direct.sequence,
      headroom_sequence: headroom.sequence,
      request_bytes: { direct: direct.request_body_size, headroom: headroom.request_body_size },
      billed_prompt_tokens: { direct: billedPrompt(direct), headroom: billedPrompt(headroom) },
      claim,
      changed_tool_results: changed,
    };
    rows.push({ ...row, flags: rowFlags(row, tolerance) });
  }
  const relevant = rows.some((r) => r.claim || r.changed_tool_results.length > 0);
  if (!relevant && !stats) return null;
  const sum = (f: (r: ProxyAccountRow) => number | null | undefined) => rows.reduce((total, r) => total + (f(r) ?? 0), 0);
  const totals = {
    claimed_before: sum((r) => r.claim?.tokens_before),
    claimed_after: sum((r) => r.claim?.tokens_after),
    claimed_saved: sum((r) => r.claim?.tokens_saved),
    requests_with_claims: rows.filter((r) => r.claim).length,
    billed_prompt_tokens: { direct: sum((r) => r.billed_prompt_tokens.direct), headroom: sum((r) => r.billed_prompt_tokens.headroom) },
    request_bytes: { direct: sum((r) => r.request_bytes.direct), headroom: sum((r) => r.request_bytes.headroom) },
    changed_tool_results: sum((r) => r.changed_tool_results.length),
  };
  const flags = stats ? statsFlags(stats, rows, totals.billed_prompt_tokens.headroom, tolerance) : [];
  return { tolerance, rows, totals, stats, flags, disagreements: flags.length + rows.filter((r) => r.flags.length > 0).length };
}

function numberAt(value: unknown, ...path: string[]): number | null {
  let current = value;
  for (const key of path) current = typeof current === "object" && current !== null ? (current as Record<string, unknown>)[key] : undefined;
  return typeof current === "number" && Number.isFinite(current) ? current : null;
}

/** Headroom's saved /stats (`--proxy-stats FILE`): the run's totals. A file that is not JSON is an InputError. */
export function readProxyStats(file: string): ProxyStatsTotals {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not valid JSON";
    throw new InputError(`${file}: ${reason} (expected the proxy's saved /stats)`);
  }
  const mode = (doc as { summary?: { mode?: unknown } }).summary?.mode;
  return {
    file,
    requests: numberAt(doc, "agent_usage", "totals", "requests") ?? numberAt(doc, "summary", "api_requests"),
    tokens_before: numberAt(doc, "agent_usage", "totals", "before_tokens") ?? numberAt(doc, "summary", "compression", "total_tokens_before"),
    tokens_after: numberAt(doc, "agent_usage", "totals", "after_tokens"),
    tokens_saved: numberAt(doc, "agent_usage", "totals", "tokens_saved") ?? numberAt(doc, "summary", "compression", "total_tokens_removed"),
    mode: typeof mode === "string" ? mode : null,
  };
}
