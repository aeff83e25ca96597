/**
 * The request body of one record, as the analyzer understands it: schema v1's `request_json`, or
 * for the original harness's records the raw bytes (`request_body_b64`, else `request_body`) with
 * any content-encoding undone and parsed as JSON; plus the body's size and SHA-256 (recorded, or
 * computed from the bytes when the record has none).
 *
 * Why its own module: normalize.ts (for the report) and sanitize.ts (for a shareable capture)
 * must agree exactly on what the body is, or a sanitized capture would not give the same report.
 *
 * Decompression is bounded: a record's few hundred KB of gzip can expand to gigabytes (a
 * "decompression bomb"); past MAX_DECODED_BODY_BYTES the record is bad input, not a reason to
 * take the machine's memory.
 */
import { createHash } from "node:crypto";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { InputError } from "./errors.js";

/**
 * The most bytes a content-encoded body may expand to: twice the Messages API's 32 MB request
 * limit, far above any request Claude Code sends.
 */
export const MAX_DECODED_BODY_BYTES = 64 << 20;

export interface RequestBody {
  /** The body as JSON; undefined when there is none, it is not JSON, or it was cut short. */
  json: unknown;
  /** Bytes on the wire (recorded, else the raw bytes' length when they are complete); null when unknown. */
  size: number | null;
  /** SHA-256 of the bytes on the wire (recorded, else computed from complete raw bytes); null when unknown. */
  sha256: string | null;
  /** The record's raw bytes are only the first part of the body, so neither JSON nor hash can come from them. */
  truncated: boolean;
  /** Where `json` came from: the record's request_json, its raw bytes, or nowhere. */
  source: "request_json" | "bytes" | null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The raw request body of an original-harness record: request_body_b64, else request_body. */
export function bodyBytes(record: Record<string, unknown>): Buffer | null {
  if (typeof record.request_body_b64 === "string") return Buffer.from(record.request_body_b64, "base64");
  if (typeof record.request_body === "string") return Buffer.from(record.request_body, "utf8");
  return null;
}

/**
 * The bytes with their content-encoding undone; the bytes themselves when the encoding is unknown
 * or they do not decode. Throws InputError (naming `where`) when they would expand past the bound.
 */
export function undoContentEncoding(bytes: Buffer, encoding: string | null, where: string): Buffer {
  const bound = { maxOutputLength: MAX_DECODED_BODY_BYTES };
  const name = (encoding ?? "").toLowerCase().trim();
  try {
    switch (name) {
      case "gzip":
      case "x-gzip":
        return gunzipSync(bytes, bound);
      case "deflate":
        return inflateSync(bytes, bound);
      case "br":
        return brotliDecompressSync(bytes, bound);
      default:
        return bytes;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new InputError(
        `${where}: request body (${name}, ${bytes.length} bytes) expands past ${MAX_DECODED_BODY_BYTES >> 20} MiB when decoded (a decompression bomb?)`,
      );
    }
    return bytes;
  }
}

function parseJsonBytes(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The request body of `record`. `encoding` is the request's content-encoding header (the record's
 * `request_content_encoding` wins); `where` (`file:line`) names the record in errors.
 */
export function requestBody(record: Record<string, unknown>, encodingHeader: string | null, where: string): RequestBody {
  let json: unknown = record.request_json ?? undefined;
  let source: RequestBody["source"] = json === undefined ? null : "request_json";
  let size = numberOrNull(record.request_body_size);
  let sha = typeof record.request_body_sha256 === "string" && record.request_body_sha256 !== "" ? record.request_body_sha256 : null;
  let truncated = record.request_body_truncated === true;
  // request_body_decoded (the addon): the copy is the body with its content-encoding undone, not the bytes as sent.
  const decoded = record.request_body_decoded === true;
  const bytes = json === undefined || sha === null || size === null ? bodyBytes(record) : null;
  if (bytes) {
    if (truncated && !decoded && size !== null && bytes.length >= size) truncated = false;
    if (!truncated) {
      if (!decoded) {
        size ??= bytes.length;
        sha ??= createHash("sha256").update(bytes).digest("hex");
      }
      if (json === undefined) {
        const encoding = typeof record.request_content_encoding === "string" ? record.request_content_encoding : encodingHeader;
        json = parseJsonBytes(decoded ? bytes : undoContentEncoding(bytes, encoding, where));
        if (json !== undefined) source = "bytes";
      }
    }
  }
  return { json, size, sha256: sha, truncated, source };
}
