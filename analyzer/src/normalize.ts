/**
 * Stage 2 — normalize and redact: turn one raw record (schema v1 or the original harness's
 * layout) into an Exchange, keeping only what the report needs.
 *
 * Why here: redaction happens before anything is compared or written, so no later stage ever sees
 * a secret. And since a request body can be megabytes, the JSON body is reduced right away to its
 * leaves (path -> 53-bit value hash) and an Anthropic summary; the body itself is dropped.
 */
import { createHash, hash as oneShotHash } from "node:crypto";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import stringify from "fast-json-stable-stringify";
import { InputError } from "./errors.js";
import type { AnthropicSummary, Exchange, JsonLeaves, Timings, Usage } from "./exchange.js";
import type { RawRecord } from "./load.js";

export const REDACTED = "<redacted>";
/** Header names containing one of these (case-insensitive) have their value redacted. */
const SENSITIVE_HEADER = /authorization|api-key|apikey|token|secret|cookie/i;
/** URL query keys containing one of these (case-insensitive) have their value redacted. */
const SENSITIVE_QUERY_KEY = /key|token|secret|signature|code/i;
/** How a redacted query value appears in a URL (percent-encoded `<redacted>`). */
const REDACTED_QUERY_VALUE = encodeURIComponent(REDACTED);

// ---------------------------------------------------------------------------------------------
// Redaction

/** Header list with sensitive values replaced; accepts `{name: value}` or `[[name, value], ...]`. */
export function redactHeaders(headers: unknown): Array<[string, string]> {
  const entries: Array<[string, unknown]> = Array.isArray(headers)
    ? headers.filter((pair): pair is [string, unknown] => Array.isArray(pair) && pair.length >= 2).map((p) => [String(p[0]), p[1]])
    : headers !== null && typeof headers === "object"
      ? Object.entries(headers as Record<string, unknown>)
      : [];
  return entries.map(([name, value]) => {
    const text = Array.isArray(value) ? value.map(String).join(", ") : value == null ? "" : String(value);
    return [name, SENSITIVE_HEADER.test(name) && text !== "" ? REDACTED : text];
  });
}

function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key;
  }
}

/** The query string (without `?`) with sensitive values redacted; other parts keep their encoding. */
export function redactQuery(query: string): string {
  if (query === "") return "";
  return query
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      const key = eq === -1 ? part : part.slice(0, eq);
      if (!SENSITIVE_QUERY_KEY.test(decodedKey(key))) return part;
      return `${key}=${REDACTED_QUERY_VALUE}`;
    })
    .join("&");
}

export interface RedactedUrl {
  url: string;
  host: string;
  /** Path plus `?query` when there is one. */
  path: string;
}

/**
 * Redact a URL: sensitive query values become `<redacted>` (percent-encoded), user:password and
 * the fragment are dropped. A bare path (`/v1/messages`) is completed with `host`.
 * Returns null when it cannot be parsed as a URL at all.
 */
export function redactUrl(url: string, host: string): RedactedUrl | null {
  let parsed: URL;
  try {
    parsed = url.startsWith("/") ? new URL(url, `http://${host || "unknown-host"}`) : new URL(url);
  } catch {
    return null;
  }
  const query = redactQuery(parsed.search.startsWith("?") ? parsed.search.slice(1) : "");
  const path = (parsed.pathname || "/") + (query ? `?${query}` : "");
  const finalHost = url.startsWith("/") ? host.toLowerCase() : parsed.host || host.toLowerCase();
  const origin = finalHost ? `${parsed.protocol}//${finalHost}` : parsed.protocol;
  return { url: origin + path, host: finalHost, path };
}

/** Free text (an error message) with obvious secrets removed: bearer tokens, sk-… keys, key=value. */
export function scrubText(text: string): string {
  return text
    .replace(/(bearer\s+)[^\s,;"']+/gi, `$1${REDACTED}`)
    .replace(/sk-[A-Za-z0-9_-]{6,}/g, REDACTED)
    .replace(/([?&;\s]?[^\s=&?;]*(?:key|token|secret|signature|code|cookie|authorization)[^\s=&?;]*=)[^&\s;]+/gi, `$1${REDACTED}`)
    .slice(0, 500);
}

// ---------------------------------------------------------------------------------------------
// JSON flattening

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/**
 * Memory bounds for the reuse caches below, so an odd input (a request with a million messages)
 * costs time, not memory: characters of remembered strings, and leaves of remembered blocks.
 */
const MAX_REMEMBERED_CHARS = 32 << 20;
const MAX_REMEMBERED_LEAVES = 2 << 20;

/**
 * Every JSON path seen in this run gets a small integer id; paths are built once per distinct
 * path (a trie of object keys and array indexes), not once per leaf per request.
 */
export class PathTable {
  readonly paths: string[] = [];
  /** Id of every path by its text; built on first use by intern() (merging another table's ids). */
  private ids: Map<string, number> | null = null;
  private readonly objectChildren: Array<Map<string, number> | undefined> = [];
  private readonly arrayChildren: Array<number[] | undefined> = [];
  /**
   * The last string seen at each path and its hash. Every Claude Code request repeats the whole
   * conversation so far, so most strings equal the one at the same path in the previous request:
   * comparing them (a memcmp) is far cheaper than hashing them again.
   */
  private readonly lastText: Array<string | undefined> = [];
  private readonly lastHash: number[] = [];
  private rememberedChars = 0;
  /**
   * The same idea one level up: per block path (a top-level value, or an element of a top-level
   * array such as `$.messages[3]` or `$.tools[5]`), the last block seen there and its leaves. A
   * block equal to the last one (checked by a walk with no lookups) reuses those leaves.
   */
  private readonly lastBlock: unknown[] = [];
  private readonly lastBlockLeaves: Array<JsonLeaves | undefined> = [];
  private rememberedLeaves = 0;
  static readonly ROOT = 0;

  constructor() {
    this.add("$");
  }

  get size(): number {
    return this.paths.length;
  }

  private add(path: string): number {
    const id = this.paths.length;
    this.paths.push(path);
    this.ids?.set(path, id);
    this.objectChildren.push(undefined);
    this.arrayChildren.push(undefined);
    this.lastText.push(undefined);
    this.lastHash.push(0);
    this.lastBlock.push(undefined);
    this.lastBlockLeaves.push(undefined);
    return id;
  }

  /** Hash of the string `text` found at path `id`, reusing the last result when it is the same string. */
  textHash(id: number, text: string): number {
    const last = this.lastText[id];
    if (last === text) return this.lastHash[id] as number;
    const hash = hashText(text);
    const growth = text.length - (last?.length ?? 0);
    if (this.rememberedChars + growth <= MAX_REMEMBERED_CHARS) {
      this.rememberedChars += growth;
      this.lastText[id] = text;
      this.lastHash[id] = hash;
    }
    return hash;
  }

  /** The leaves last seen for the block at `id` if `block` is the same JSON, else undefined. */
  sameBlockLeaves(id: number, block: object): JsonLeaves | undefined {
    const leaves = this.lastBlockLeaves[id];
    return leaves !== undefined && sameJson(this.lastBlock[id], block) ? leaves : undefined;
  }

  /** Remember `block` and its leaves at `id` (within the memory bound). */
  rememberBlock(id: number, block: object, leaves: JsonLeaves): void {
    const growth = leaves.pathIds.length - (this.lastBlockLeaves[id]?.pathIds.length ?? 0);
    if (this.rememberedLeaves + growth > MAX_REMEMBERED_LEAVES) return;
    this.rememberedLeaves += growth;
    this.lastBlock[id] = block;
    this.lastBlockLeaves[id] = leaves;
  }

  /** Id of the path `parent` + `.key`. */
  key(parent: number, key: string): number {
    let children = this.objectChildren[parent];
    if (children === undefined) {
      children = new Map();
      this.objectChildren[parent] = children;
    }
    let id = children.get(key);
    if (id === undefined) {
      const segment = IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      id = this.add(this.paths[parent] + segment);
      children.set(key, id);
    }
    return id;
  }

  /** Id of the path `parent` + `[index]`. */
  index(parent: number, index: number): number {
    let children = this.arrayChildren[parent];
    if (children === undefined) {
      children = [];
      this.arrayChildren[parent] = children;
    }
    let id = children[index];
    if (id === undefined) {
      id = this.add(`${this.paths[parent]}[${index}]`);
      children[index] = id;
    }
    return id;
  }

  /**
   * Id of a path given as text (added when new), for paths numbered by another table. Used on a
   * table that flattens nothing itself (the main thread's, when workers read the lanes).
   */
  intern(path: string): number {
    if (this.ids === null) this.ids = new Map(this.paths.map((text, id) => [text, id]));
    return this.ids.get(path) ?? this.add(path);
  }
}

const HASH_NULL = 1;
const HASH_TRUE = 2;
const HASH_FALSE = 3;
const HASH_EMPTY_OBJECT = 4;
const HASH_EMPTY_ARRAY = 5;
const SEED_STRING = 0x2f6b1d3a;
const SEED_NUMBER = 0x51ed270b;
/** Strings longer than this are hashed natively (SHA-1); shorter ones by an inline JS loop. */
const NATIVE_HASH_FROM = 192;

/** 53-bit hash of a string: equal strings, equal hashes; different ones collide with ~2^-53 odds. */
export function hashText(text: string, seed: number = SEED_STRING): number {
  const length = text.length;
  if (length >= NATIVE_HASH_FROM) {
    const digest = oneShotHash("sha1", text, "buffer") as unknown as Buffer;
    return ((digest.readUInt32LE(0) ^ seed) & 0x1fffff) * 4294967296 + digest.readUInt32LE(4);
  }
  let h1 = seed ^ length;
  let h2 = 0x9747b28c ^ seed;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (((h1 ^ h2) >>> 0) & 0x1fffff) * 4294967296 + (Math.imul(h2, 0x27d4eb2d) >>> 0) + 8;
}

/** Hash of a number: integers mixed directly, others via their text. */
function hashNumber(value: number): number {
  if (!Number.isInteger(value) || value > 0x7fffffff || value < -0x80000000) return hashText(String(value), SEED_NUMBER);
  let h = Math.imul(value ^ SEED_NUMBER, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((value >>> 11) & 0x1fffff) * 4294967296 + (h >>> 0) + 16;
}

/** Growable scratch space for one body's leaves; copied out once per exchange. */
let scratchIds = new Int32Array(1 << 14);
let scratchHashes = new Float64Array(1 << 14);
let scratchCount = 0;

function reserve(extra: number): void {
  if (scratchCount + extra <= scratchIds.length) return;
  let size = scratchIds.length * 2;
  while (size < scratchCount + extra) size *= 2;
  const ids = new Int32Array(size);
  ids.set(scratchIds);
  scratchIds = ids;
  const hashes = new Float64Array(size);
  hashes.set(scratchHashes);
  scratchHashes = hashes;
}

function pushLeaf(pathId: number, valueHash: number): void {
  if (scratchCount === scratchIds.length) reserve(1);
  scratchIds[scratchCount] = pathId;
  scratchHashes[scratchCount] = valueHash;
  scratchCount += 1;
}

function walk(value: unknown, node: number, table: PathTable): void {
  if (typeof value === "string") {
    pushLeaf(node, table.textHash(node, value));
  } else if (typeof value === "number") {
    pushLeaf(node, hashNumber(value));
  } else if (typeof value === "boolean") {
    pushLeaf(node, value ? HASH_TRUE : HASH_FALSE);
  } else if (value === null || typeof value !== "object") {
    pushLeaf(node, HASH_NULL);
  } else if (Array.isArray(value)) {
    if (value.length === 0) pushLeaf(node, HASH_EMPTY_ARRAY);
    for (let i = 0; i < value.length; i++) walk(value[i], table.index(node, i), table);
  } else {
    let position = 0;
    for (const key in value) {
      walk((value as Record<string, unknown>)[key], table.key(node, key), table);
      position += 1;
    }
    if (position === 0) pushLeaf(node, HASH_EMPTY_OBJECT);
  }
}

export interface Flattened {
  leaves: JsonLeaves;
  /** Index range of the leaves under top-level `tools`, when there is one. */
  tools: { start: number; end: number } | null;
}

/**
 * Flatten a JSON value to leaves in document order: `$.a.b[0].c` for scalars, and the path of an
 * empty object or array for the container itself.
 */
/** Same JSON value? (Key order may differ; the leaves are the same set.) Allocates nothing. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  let count = 0;
  for (const key in a) {
    const other = (b as Record<string, unknown>)[key];
    if (other === undefined || !sameJson((a as Record<string, unknown>)[key], other)) return false;
    count += 1;
  }
  for (const _key in b) count -= 1;
  return count === 0;
}

/** Flatten one block, reusing the leaves of the last block at this path when it is the same. */
function walkBlock(value: unknown, node: number, table: PathTable): void {
  if (typeof value !== "object" || value === null) {
    walk(value, node, table);
    return;
  }
  const leaves = table.sameBlockLeaves(node, value);
  if (leaves !== undefined) {
    reserve(leaves.pathIds.length);
    scratchIds.set(leaves.pathIds, scratchCount);
    scratchHashes.set(leaves.hashes, scratchCount);
    scratchCount += leaves.pathIds.length;
    return;
  }
  const start = scratchCount;
  walk(value, node, table);
  table.rememberBlock(node, value, { pathIds: scratchIds.slice(start, scratchCount), hashes: scratchHashes.slice(start, scratchCount) });
}

/** Flatten a top-level value: an array block by block (messages, tools, system), else as one block. */
function walkTopLevel(value: unknown, node: number, table: PathTable): void {
  if (Array.isArray(value) && value.length > 0) {
    for (let i = 0; i < value.length; i++) walkBlock(value[i], table.index(node, i), table);
  } else {
    walkBlock(value, node, table);
  }
}

export function flattenJson(value: unknown, table: PathTable): Flattened {
  scratchCount = 0;
  let tools: Flattened["tools"] = null;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    let empty = true;
    for (const key in value) {
      empty = false;
      const start = scratchCount;
      walkTopLevel((value as Record<string, unknown>)[key], table.key(PathTable.ROOT, key), table);
      if (key === "tools") tools = { start, end: scratchCount };
    }
    if (empty) pushLeaf(PathTable.ROOT, HASH_EMPTY_OBJECT);
  } else {
    walk(value, PathTable.ROOT, table);
  }
  return {
    leaves: { pathIds: scratchIds.slice(0, scratchCount), hashes: scratchHashes.slice(0, scratchCount) },
    tools,
  };
}

/**
 * Rewrite leaves numbered by another PathTable (`theirPaths`, e.g. from a worker thread) into
 * `table`'s ids, in place.
 */
export function remapLeaves(leaves: JsonLeaves, theirPaths: readonly string[], table: PathTable, memo: Int32Array): void {
  const ids = leaves.pathIds;
  for (let i = 0; i < ids.length; i++) {
    const theirs = ids[i] as number;
    let ours = memo[theirs] as number;
    if (ours === -1) {
      ours = table.intern(theirPaths[theirs] as string);
      memo[theirs] = ours;
    }
    ids[i] = ours;
  }
}

/** Path strings for the given leaf indexes (for tests and debugging). */
export function leafPaths(leaves: JsonLeaves, table: PathTable): string[] {
  return Array.from(leaves.pathIds, (id) => table.paths[id] ?? "?");
}

// ---------------------------------------------------------------------------------------------
// Anthropic summary

interface ToolsInfo {
  bytes: number;
  sha256: string;
  names: readonly string[];
}

/** Shared state of one run: the path table and serialized-tools facts keyed by the tools' leaves. */
export interface NormalizeContext {
  paths: PathTable;
  tools: Map<string, ToolsInfo>;
}

export function createContext(): NormalizeContext {
  return { paths: new PathTable(), tools: new Map() };
}

function leavesFingerprint(leaves: JsonLeaves, start: number, end: number): string {
  let a = 0x12345678;
  let b = 0x7654321;
  for (let i = start; i < end; i++) {
    const h = leaves.hashes[i] ?? 0;
    const id = leaves.pathIds[i] ?? 0;
    a = Math.imul(a ^ id, 0x01000193) ^ (h >>> 0);
    a = Math.imul(a ^ (a >>> 15), 0x85ebca6b);
    b = Math.imul(b ^ Math.floor(h / 4294967296), 0x5bd1e995) ^ id;
    b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  }
  return `${end - start}:${a >>> 0}:${b >>> 0}`;
}

/** Tools facts (bytes as compact sorted-key JSON, its SHA-256, names), computed once per distinct tools array. */
function toolsInfo(tools: unknown[], flat: Flattened, context: NormalizeContext): ToolsInfo {
  const range = flat.tools;
  const key = range ? leavesFingerprint(flat.leaves, range.start, range.end) : "";
  const known = key ? context.tools.get(key) : undefined;
  if (known) return known;
  const serialized = stringify(tools);
  const info: ToolsInfo = {
    bytes: Buffer.byteLength(serialized),
    sha256: createHash("sha256").update(serialized).digest("hex"),
    names: tools.map((tool) => {
      const name = (tool as { name?: unknown } | null)?.name;
      return typeof name === "string" ? name : "";
    }),
  };
  if (key) context.tools.set(key, info);
  return info;
}

export function headerValue(headers: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value;
  return null;
}

export function anthropicSummary(
  body: unknown,
  flat: Flattened | null,
  headers: ReadonlyArray<readonly [string, string]>,
  context: NormalizeContext,
): AnthropicSummary {
  const object = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const tools = Array.isArray(object.tools) ? object.tools : null;
  const info = tools && flat ? toolsInfo(tools, flat, context) : null;
  return {
    tools_count: tools ? tools.length : 0,
    tools_bytes: info ? info.bytes : 0,
    tools_sha256: info ? info.sha256 : null,
    tool_names: info ? info.names : [],
    anthropic_beta: headerValue(headers, "anthropic-beta"),
    model: typeof object.model === "string" ? object.model : null,
    stream: typeof object.stream === "boolean" ? object.stream : null,
    message_count: Array.isArray(object.messages) ? object.messages.length : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Records

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

function usageOf(value: unknown): Usage | null {
  return numbersOf(value, USAGE_FIELDS);
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

export function undoContentEncoding(bytes: Buffer, encoding: string | null): Buffer {
  try {
    switch ((encoding ?? "").toLowerCase().trim()) {
      case "gzip":
      case "x-gzip":
        return gunzipSync(bytes);
      case "deflate":
        return inflateSync(bytes);
      case "br":
        return brotliDecompressSync(bytes);
      default:
        return bytes;
    }
  } catch {
    return bytes;
  }
}

/** The raw request body of an original-harness record: request_body_b64, else request_body. */
export function bodyBytes(record: Record<string, unknown>): Buffer | null {
  if (typeof record.request_body_b64 === "string") return Buffer.from(record.request_body_b64, "base64");
  if (typeof record.request_body === "string") return Buffer.from(record.request_body, "utf8");
  return null;
}

export function parseJsonBytes(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * One raw record -> one Exchange. Throws InputError (naming file:line) for a record with no method
 * or url, or a url that is not a URL.
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

  const headers = redactHeaders(record.request_headers);
  const upperMethod = method.trim().toUpperCase();

  // The body: v1 carries request_json; the original harness may carry only the raw bytes.
  let body: unknown = record.request_json ?? undefined;
  let size = numberOrNull(record.request_body_size);
  let sha = typeof record.request_body_sha256 === "string" && record.request_body_sha256 !== "" ? record.request_body_sha256 : null;
  let truncated = record.request_body_truncated === true;
  const bytes = body === undefined || sha === null || size === null ? bodyBytes(record) : null;
  if (bytes) {
    if (truncated && size !== null && bytes.length >= size) truncated = false;
    if (!truncated) {
      size ??= bytes.length;
      sha ??= createHash("sha256").update(bytes).digest("hex");
      if (body === undefined) {
        const encoding = typeof record.request_content_encoding === "string" ? record.request_content_encoding : headerValue(headers, "content-encoding");
        body = parseJsonBytes(undoContentEncoding(bytes, encoding));
      }
    }
  }

  const flat = body === undefined ? null : flattenJson(body, context.paths);
  const status = numberOrNull(record.response_status);
  return {
    file,
    line,
    lane: stringOr(record.lane, ""),
    sequence: Number.isInteger(record.sequence) ? (record.sequence as number) : null,
    timestamp: numberOrNull(record.timestamp),
    method: upperMethod,
    url: redacted.url,
    host: redacted.host,
    path: redacted.path,
    route: `${upperMethod} ${redacted.host}${redacted.path}`,
    request_headers: headers,
    request_body_size: size,
    request_body_sha256: sha,
    request_body_truncated: truncated,
    response_status: status === null ? null : Math.trunc(status),
    response_body_size: numberOrNull(record.response_body_size),
    response_stream: typeof record.response_stream === "boolean" ? record.response_stream : null,
    json: flat ? flat.leaves : null,
    anthropic: anthropicSummary(body, flat, headers, context),
    prompt: null,
    usage: usageOf(record.usage),
    timings: timingsOf(record.timings),
    error: errorOf(record.error),
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
