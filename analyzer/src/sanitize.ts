/**
 * sanitize — captures made safe to attach to a bug report that still give the same report.
 *
 * Every string a person or program wrote is replaced by a keyed stand-in of the same JSON length
 * (pseudonyms.ts); keys, structure, numbers, booleans and sizes stay. What stays readable is what
 * the report needs and what is not secret: method, host, URL path and non-sensitive query (as the
 * report shows them, redacted), lane, and the structural values of the Messages API (`type`,
 * `role`, `model`, tool `name`, `media_type`, cache `ttl`, ...) outside tool inputs and metadata.
 * Header values stay only for an allow-list of non-sensitive headers; others get a stand-in, and
 * those named like a secret become `<redacted>`. Body and response hashes become keyed digests:
 * equal exactly when the originals were, but no longer the SHA-256 of anything in the file.
 *
 * One key for all files of a run, so ids and strings match across lanes; every input line gives
 * one output line (blank where the input had nothing to keep), so `file:line` stays valid.
 */
import { headerValue } from "./anthropic-summary.js";
import { InputError } from "./errors.js";
import { JsonTooDeepError, MAX_JSON_DEPTH } from "./json-leaves.js";
import { fileSize, loadRecords } from "./load.js";
import { PrivateOutput } from "./output-file.js";
import { Pseudonyms } from "./pseudonyms.js";
import { REDACTED, redactHeaders, redactUrl } from "./redact.js";
import { bodyBytes, requestBody } from "./request-body.js";

/** Header values kept as they are: protocol and client facts, never credentials or ids. */
const KEPT_HEADERS = new Set([
  "accept",
  "accept-encoding",
  "accept-language",
  "anthropic-beta",
  "anthropic-dangerous-direct-browser-access",
  "anthropic-version",
  "cache-control",
  "connection",
  "content-encoding",
  "content-length",
  "content-type",
  "date",
  "host",
  "retry-after",
  "server",
  "transfer-encoding",
  "user-agent",
  "vary",
  "x-app",
  "x-should-retry",
]);
/** Header families kept as they are (client runtime facts, rate-limit figures). */
const KEPT_HEADER_PREFIXES = ["x-stainless-", "anthropic-ratelimit-"];

/** Record fields kept as they are when they are plain values. */
const KEPT_FIELDS = new Set([
  "schema_version",
  "lane",
  "sequence",
  "timestamp",
  "method",
  "host",
  "http_version",
  "request_body_truncated",
  "request_content_encoding",
  "response_status",
  "response_body_size",
  "response_stream",
]);

/** Record fields that describe the request body; written by Sanitizer.requestBodyFields. */
const BODY_FIELDS = new Set(["request_json", "request_body_b64", "request_body", "request_body_size", "request_body_sha256"]);

/**
 * Keys whose string values are Messages API structure, not content (outside DATA_KEYS): block and
 * schema types, roles, the model, tool and MCP server names, cache ttl. Whether a string is kept
 * depends only on the keys on its path, so a value at the same path is treated alike in every
 * exchange and lane, and "changed or not" survives sanitizing.
 */
const STRUCTURE_KEYS = new Set(["type", "role", "model", "name", "media_type", "ttl", "service_tier", "stop_reason"]);
/** Top-level keys that make a body a Messages API body. */
const MESSAGES_API_KEYS = ["messages", "model", "tools", "system"];
/** Keys holding what a user or tool wrote, whatever it looks like: every string below is replaced. */
const DATA_KEYS = new Set(["input", "metadata"]);

type Mode = "structure" | "data";

export interface SanitizeJob {
  input: string;
  output: string;
}

export interface SanitizeOptions {
  /** Same salt, same stand-ins (sanitize lanes in separate runs); default: a random key per run. */
  salt?: string;
  onBytes?: (bytes: number) => void;
  onWarning?: (message: string) => void;
}

export interface SanitizeResult {
  records: number;
  /** Short strings that had to share a stand-in (see pseudonyms.ts). */
  clashes: number;
}

/** An object without a prototype, so a `__proto__` key in the input is just a key. */
function emptyObject(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

function isPlain(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

/** The rules of one run: one key (one Pseudonyms) for every file. */
export class Sanitizer {
  readonly pseudonyms: Pseudonyms;

  constructor(salt?: string) {
    this.pseudonyms = new Pseudonyms(salt);
  }

  /** Any JSON value: strings replaced, except the values of structure keys in structure mode. */
  json(value: unknown, depth: number, mode: Mode, key: string | null): unknown {
    if (typeof value === "string") return mode === "structure" && key !== null && STRUCTURE_KEYS.has(key) ? value : this.pseudonyms.text(value);
    if (isPlain(value)) return value;
    if (depth >= MAX_JSON_DEPTH) throw new JsonTooDeepError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(value)) return value.map((item) => this.json(item, depth + 1, mode, key));
    const out = emptyObject();
    for (const child in value as Record<string, unknown>) {
      const childMode = mode === "data" || DATA_KEYS.has(child) ? "data" : "structure";
      out[child] = this.json((value as Record<string, unknown>)[child], depth + 1, childMode, child);
    }
    return out;
  }

  /**
   * A request body. A Messages API body (an object with a `messages`, `model`, `tools` or
   * `system` key) keeps its structure (STRUCTURE_KEYS); in any other body (telemetry, say) every
   * string is replaced. Keys decide, not values, so a pair's two bodies are treated alike.
   */
  body(value: unknown): unknown {
    const object = isPlain(value) || Array.isArray(value) ? null : (value as Record<string, unknown>);
    const messagesApi = object !== null && MESSAGES_API_KEYS.some((key) => key in object);
    return this.json(value, 0, messagesApi ? "structure" : "data", null);
  }

  /** Headers in the record's own shape (`{name: value}` or `[[name, value], ...]`). */
  headers(value: unknown): unknown {
    const kept = (name: string) => {
      const lower = name.toLowerCase();
      return KEPT_HEADERS.has(lower) || KEPT_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
    };
    const one = (name: string, raw: unknown): string => {
      const [[, redacted] = ["", ""]] = redactHeaders([[name, raw]]);
      return redacted === REDACTED || kept(name) ? redacted : this.pseudonyms.text(redacted);
    };
    if (Array.isArray(value)) {
      return value.map((pair) => (Array.isArray(pair) && pair.length >= 2 ? [String(pair[0]), one(String(pair[0]), pair[1])] : this.json(pair, 1, "data", null)));
    }
    if (isPlain(value)) return this.json(value, 0, "data", null);
    const out = emptyObject();
    for (const name in value as Record<string, unknown>) out[name] = one(name, (value as Record<string, unknown>)[name]);
    return out;
  }

  /** A URL as the report shows it: sensitive query values redacted, user:password and fragment dropped. */
  url(value: unknown, host: unknown): unknown {
    if (typeof value !== "string") return this.json(value, 0, "data", null);
    const trimmed = value.trim();
    const redacted = redactUrl(trimmed, typeof host === "string" ? host : "");
    if (!redacted) return this.pseudonyms.text(value);
    return trimmed.startsWith("/") ? redacted.path : redacted.url;
  }

  /** An exchange's error: its kind stays, its message is replaced. */
  error(value: unknown): unknown {
    if (isPlain(value) || Array.isArray(value)) return this.json(value, 0, "data", null);
    const out = emptyObject();
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = key === "kind" && typeof item === "string" ? item : this.json(item, 1, "data", key);
    }
    return out;
  }

  /**
   * The request body fields: request_json (also for a body the record only had as bytes, whose
   * bytes then go), stand-in bytes for a body that is not JSON, and size and hash written
   * explicitly so the analyzer never derives them from stand-in bytes.
   */
  private requestBodyFields(record: Record<string, unknown>, where: string): Record<string, unknown> {
    const fields = emptyObject();
    const encoding = headerValue(redactHeaders(record.request_headers), "content-encoding");
    const body = requestBody(record, encoding, where);
    if (body.json !== undefined) fields.request_json = this.body(body.json);
    if (body.source !== "bytes") {
      const bytes = bodyBytes(record);
      if (typeof record.request_body_b64 === "string" && bytes) fields.request_body_b64 = this.pseudonyms.bytes(bytes).toString("base64");
      else if (typeof record.request_body === "string" && bytes) fields.request_body = this.pseudonyms.bytes(bytes).toString("latin1");
    }
    if (body.size !== null) fields.request_body_size = body.size;
    if (body.sha256 !== null) fields.request_body_sha256 = this.pseudonyms.digest(body.sha256);
    return fields;
  }

  /** One capture record, its fields in their order. Throws InputError naming `where` for a record nested too deeply or a decompression bomb. */
  record(record: Record<string, unknown>, where: string): Record<string, unknown> {
    try {
      const body = this.requestBodyFields(record, where);
      const out = emptyObject();
      for (const key in record) {
        const value = record[key];
        if (BODY_FIELDS.has(key)) {
          if (key in body) out[key] = body[key];
        } else if (KEPT_FIELDS.has(key) && isPlain(value)) out[key] = value;
        else if (key === "url") out[key] = this.url(value, record.host);
        else if (key === "request_headers" || key === "response_headers") out[key] = this.headers(value);
        else if (key === "response_body_sha256" && typeof value === "string") out[key] = this.pseudonyms.digest(value);
        else if (key === "error") out[key] = this.error(value);
        else if (key === "usage") out[key] = this.json(value, 1, "structure", key);
        else out[key] = this.json(value, 1, "data", key);
      }
      for (const key in body) if (!(key in out)) out[key] = body[key];
      return out;
    } catch (error) {
      if (error instanceof JsonTooDeepError) throw new InputError(`${where}: record is JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      throw error;
    }
  }
}

/** Sanitize one capture into `output` (already opened); returns its record count. */
async function sanitizeFile(job: SanitizeJob, output: PrivateOutput, sanitizer: Sanitizer, options: SanitizeOptions): Promise<number> {
  let written = 0;
  let records = 0;
  for await (const { line, record } of loadRecords(job.input, options)) {
    // Blank lines where the input had blank or skipped lines, so every record keeps its line number.
    const sanitized = JSON.stringify(sanitizer.record(record, `${job.input}:${line}`));
    await output.write("\n".repeat(line - written - 1) + sanitized + "\n");
    written = line;
    records += 1;
  }
  return records;
}

/**
 * Sanitize every job's input into its output with one key, so strings and ids match across the
 * files. All or nothing: outputs appear only when every input was read without error.
 */
export async function sanitizeCaptures(jobs: readonly SanitizeJob[], options: SanitizeOptions = {}): Promise<SanitizeResult> {
  for (const job of jobs) await fileSize(job.input);
  const sanitizer = new Sanitizer(options.salt);
  const outputs = jobs.map((job) => new PrivateOutput(job.output, "sanitized capture"));
  let records = 0;
  try {
    for (const [index, job] of jobs.entries()) {
      const output = outputs[index] as PrivateOutput;
      await output.open();
      records += await sanitizeFile(job, output, sanitizer, options);
    }
    for (const output of outputs) await output.finish();
  } catch (error) {
    await Promise.all(outputs.map((output) => output.discard()));
    throw error;
  }
  return { records, clashes: sanitizer.pseudonyms.clashes };
}
