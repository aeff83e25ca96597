/**
 * Stage 2 — normalize and redact: turn one raw record (schema v1 or the original harness's
 * layout) into an Exchange, keeping only what the report needs.
 *
 * Why here: redaction (redact.ts) happens before anything is compared or written, so no later
 * stage ever sees a secret. And since a request body can be megabytes, the JSON body is reduced
 * right away to its leaves (json-leaves.ts), an Anthropic summary (anthropic-summary.ts) and its
 * prompt elements (prompt.ts); the body itself is dropped.
 */
import { anthropicSummary, headerValue, type ToolsCache } from "./anthropic-summary.js";
import { InputError } from "./errors.js";
import type { Exchange, Timings, Usage } from "./exchange.js";
import { flattenJson, JsonTooDeepError, MAX_JSON_DEPTH, PathTable, type Flattened } from "./json-leaves.js";
import type { RawRecord } from "./load.js";
import { bodyLeaves, ElementKeys, promptOf } from "./prompt.js";
import { KnownToolResults, proxyFactsOf } from "./proxy-account.js";
import { recordSecrets, redactHeaders, redactUrl, scrubJson, scrubSecrets, scrubText, secretForms } from "./redact.js";
import { requestBody } from "./request-body.js";
import { SharedCopies } from "./shared-copies.js";
import { routeHost } from "./routes.js";

// The names that lived here before the split, for importers that still expect them here.
export { anthropicSummary } from "./anthropic-summary.js";
export { hashText } from "./hash.js";
export { flattenJson, leafPaths, PathTable, remapLeaves, sameJson, type Flattened } from "./json-leaves.js";
export { REDACTED, redactHeaders, redactQuery, redactUrl, scrubText, type RedactedUrl } from "./redact.js";

/** Shared state of one run (one per thread): the path table and the tools facts already computed. */
export interface NormalizeContext {
  paths: PathTable;
  tools: ToolsCache;
  /** Prompt element keys over `paths`. */
  keys: ElementKeys;
  /** Repeated strings and prompt elements of lanes read in worker threads, one copy each (shared-copies.ts). */
  shared: SharedCopies;
  /** Tool result facts already seen, shared by the exchanges that repeat them. */
  toolResults: KnownToolResults;
  /** The last exchange's request headers, whose equal pairs the next exchange shares. */
  lastHeaders: ReadonlyArray<readonly [string, string]>;
}

export function createContext(): NormalizeContext {
  const paths = new PathTable();
  return { paths, tools: new Map(), keys: new ElementKeys(paths), shared: new SharedCopies(), toolResults: new KnownToolResults(), lastHeaders: [] };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

/** The named fields of an object as numbers (null where absent or not a number); null when it is not an object. */
function numbersOf<K extends string>(value: unknown, keys: readonly K[]): Record<K, number | null> | null {
  if (value === null || typeof value !== "object") return null;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(keys.map((key) => [key, numberOrNull(object[key])])) as Record<K, number | null>;
}

const USAGE_FIELDS = ["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"] as const;
const TIMING_FIELDS = ["response_headers_ms", "first_byte_ms", "end_ms"] as const;

const CACHE_CREATION_FIELDS = ["ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"] as const;

function usageOf(value: unknown): Usage | null {
  const usage: Usage | null = numbersOf(value, USAGE_FIELDS);
  const split = usage ? numbersOf((value as { cache_creation?: unknown }).cache_creation, CACHE_CREATION_FIELDS) : null;
  return usage && split ? { ...usage, cache_creation: split } : usage;
}

function timingsOf(value: unknown): Timings | null {
  return numbersOf(value, TIMING_FIELDS);
}

function errorOf(value: unknown): Exchange["error"] {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return { kind: "other", message: scrubText(value) };
  if (typeof value !== "object") return null;
  const error = value as Record<string, unknown>;
  return { kind: stringOr(error.kind, "other"), message: scrubText(stringOr(error.message, "")) };
}

function scrubError(error: Exchange["error"], scrub: (text: string) => string): Exchange["error"] {
  return error ? { kind: error.kind, message: scrub(error.message) } : null;
}

/** flattenJson, with a body nested too deeply reported as bad input at `where`. */
function flattenAt(body: unknown, table: PathTable, where: string): Flattened {
  try {
    return flattenJson(body, table);
  } catch (error) {
    if (error instanceof JsonTooDeepError) throw new InputError(`${where}: request body is JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    throw error;
  }
}

/**
 * Consecutive requests of a lane send nearly the same headers: a pair equal to the last
 * exchange's pair at the same place is that pair, so thousands of exchanges hold few copies.
 */
function sharedPairs(headers: Array<readonly [string, string]>, context: NormalizeContext): Array<readonly [string, string]> {
  const last = context.lastHeaders;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i] as readonly [string, string];
    const before = last[i];
    if (before !== undefined && before[0] === pair[0] && before[1] === pair[1]) headers[i] = before;
  }
  context.lastHeaders = headers;
  return headers;
}

/**
 * One raw record -> one Exchange. Throws InputError (naming file:line) for a record with no method
 * or url, a url that is not a URL, a body nested too deeply or one that decodes to too many bytes.
 */
export function normalizeRecord(raw: RawRecord, context: NormalizeContext): Exchange {
  const { record, file, line } = raw;
  const where = `${file}:${line}`;
  const method = record.method;
  if (typeof method !== "string" || method.trim() === "") throw new InputError(`${where}: record has no method`);
  const rawUrl = record.url;
  if (typeof rawUrl !== "string" || rawUrl.trim() === "") throw new InputError(`${where}: record has no url`);
  const redacted = redactUrl(rawUrl.trim(), stringOr(record.host, ""));
  if (!redacted) throw new InputError(`${where}: url is not a valid URL`);

  // Secrets a record still carries in the clear (records of other tools may) are removed from everything kept.
  const query = rawUrl.split("#")[0]?.split("?").slice(1).join("?") ?? "";
  const forms = secretForms(recordSecrets([record.request_headers, record.response_headers], query));
  const scrub = (text: string): string => (forms.length ? scrubSecrets(text, forms) : text);
  const headers = sharedPairs(
    redactHeaders(record.request_headers).map(([name, value]): [string, string] => [name, scrub(value)]),
    context,
  );
  const upperMethod = method.trim().toUpperCase();
  const url = scrub(redacted.url);
  const path = scrub(redacted.path);

  // The body: v1 carries request_json; the original harness may carry only the raw bytes.
  const request = requestBody(record, headerValue(headers, "content-encoding"), where);
  const { size, sha256: sha, truncated } = request;
  const body = forms.length && request.json !== undefined ? scrubJson(request.json, forms) : request.json;
  const flat = body === undefined ? null : flattenAt(body, context.paths, where);
  const prompt = flat ? promptOf(body, flat, context.keys) : null;
  const status = numberOrNull(record.response_status);
  return {
    file,
    line,
    lane: stringOr(record.lane, ""),
    sequence: Number.isInteger(record.sequence) ? (record.sequence as number) : null,
    timestamp: numberOrNull(record.timestamp),
    method: upperMethod,
    url,
    host: redacted.host,
    path,
    route: `${upperMethod} ${routeHost(redacted.host)}${path}`,
    request_headers: headers,
    request_body_size: size,
    request_body_sha256: sha,
    request_body_truncated: truncated,
    response_status: status === null ? null : Math.trunc(status),
    response_body_size: numberOrNull(record.response_body_size),
    response_body_sha256: typeof record.response_body_sha256 === "string" && record.response_body_sha256 !== "" ? record.response_body_sha256 : null,
    response_stream: typeof record.response_stream === "boolean" ? record.response_stream : null,
    json: flat ? bodyLeaves(flat.leaves, prompt) : null,
    anthropic: anthropicSummary(body, flat, headers, context.tools),
    prompt,
    usage: usageOf(record.usage),
    timings: timingsOf(record.timings),
    error: scrubError(errorOf(record.error), scrub),
    proxy: proxyFactsOf(body, record.response_headers, context.paths, context.toolResults),
  };
}

/**
 * Capture order: ascending `sequence` when every record has one (the addon writes a record when
 * its exchange completes, so overlapping exchanges land out of order), else file order.
 */
export function inCaptureOrder(exchanges: Exchange[]): Exchange[] {
  const sorted = [...exchanges];
  if (sorted.every((exchange) => exchange.sequence !== null)) {
    sorted.sort((a, b) => (a.sequence as number) - (b.sequence as number) || a.line - b.line);
  } else {
    sorted.sort((a, b) => a.line - b.line);
  }
  return sorted;
}
