/**
 * Read a network-diff JSON report without its `paired` rows.
 *
 * Why not JSON.parse: a report of a long session holds thousands of pair rows (hundreds of MB),
 * while `aggregate` needs only the summary. The file is scanned as bytes, the top-level `paired`
 * value is skipped without building strings or objects, and only the other members are parsed.
 * Strings are skipped with Buffer.indexOf, so the scan runs at memory speed.
 */
import { readFile } from "node:fs/promises";
import { InputError } from "./errors.js";
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, skipWhitespace, stringEnd } from "./json-bytes.js";
import type { ReportHeadJson } from "./run-metrics.js";

class Malformed extends Error {}

/** `at` is an opening quote; returns the position after the closing one. */
function skipString(bytes: Buffer, at: number): number {
  const end = stringEnd(bytes, at);
  if (end < 0) throw new Malformed("unterminated string");
  return end;
}

/** Returns the position after the JSON value starting at `at`. */
function skipValue(bytes: Buffer, at: number): number {
  const first = bytes[at];
  if (first === QUOTE) return skipString(bytes, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let position = at;
    while (position < bytes.length) {
      const byte = bytes[position]!;
      if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || byte <= 0x20) break;
      position += 1;
    }
    if (position === at) throw new Malformed("value expected");
    return position;
  }
  let depth = 0;
  let position = at;
  while (position < bytes.length) {
    const byte = bytes[position]!;
    if (byte === QUOTE) {
      position = skipString(bytes, position);
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return position + 1;
    }
    position += 1;
  }
  throw new Malformed("unexpected end of file");
}

/** The top-level members of a JSON object, parsed, except `skip` (whose value is scanned over). */
export function topLevelMembers(bytes: Buffer, skip: string): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let position = skipWhitespace(bytes, bom);
  if (bytes[position] !== OPEN_BRACE) throw new Malformed("not a JSON object");
  position = skipWhitespace(bytes, position + 1);
  if (bytes[position] === CLOSE_BRACE) return members;
  for (;;) {
    if (bytes[position] !== QUOTE) throw new Malformed("member name expected");
    const keyEnd = skipString(bytes, position);
    const key = JSON.parse(bytes.toString("utf8", position, keyEnd)) as string;
    position = skipWhitespace(bytes, keyEnd);
    if (bytes[position] !== COLON) throw new Malformed("':' expected");
    const valueStart = skipWhitespace(bytes, position + 1);
    const valueEnd = skipValue(bytes, valueStart);
    if (key !== skip) members[key] = JSON.parse(bytes.toString("utf8", valueStart, valueEnd));
    position = skipWhitespace(bytes, valueEnd);
    if (bytes[position] === CLOSE_BRACE) return members;
    if (bytes[position] !== COMMA) throw new Malformed("',' or '}' expected");
    position = skipWhitespace(bytes, position + 1);
  }
}

/**
 * The head of the network-diff JSON report in `file`. Anything else — not JSON, not an object,
 * not a network-diff report — is an InputError naming the file.
 */
export async function readReportHead(file: string): Promise<ReportHeadJson> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new InputError(`${file}: cannot read the report (${code})`);
  }
  let head: Record<string, unknown>;
  try {
    head = topLevelMembers(bytes, "paired");
  } catch (error) {
    const reason = error instanceof Malformed ? error.message : "invalid JSON";
    throw new InputError(`${file}: not a network-diff JSON report (${reason})`);
  }
  const summary = head.summary;
  if (head.schema_version !== 1 || !summary || typeof summary !== "object") {
    throw new InputError(`${file}: not a network-diff JSON report (no schema_version 1 with a summary; write one with network-diff --json-output)`);
  }
  return head;
}
