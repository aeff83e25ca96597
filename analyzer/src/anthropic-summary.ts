/**
 * The Anthropic summary of a request: tools count, bytes, hash and names, model, stream, beta
 * header, message count — the figures the report shows per pair without any content.
 */
import { createHash } from "node:crypto";
import stringify from "fast-json-stable-stringify";
import type { AnthropicSummary, JsonLeaves } from "./exchange.js";
import type { Flattened } from "./json-leaves.js";

/** What the summary says about one distinct tools array. */
export interface ToolsInfo {
  bytes: number;
  sha256: string;
  names: readonly string[];
}

/** Tools facts of one run, keyed by a fingerprint of the tools' leaves: computed once per distinct tools array. */
export type ToolsCache = Map<string, ToolsInfo>;

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
function toolsInfo(tools: unknown[], flat: Flattened, cache: ToolsCache): ToolsInfo {
  const range = flat.tools;
  const key = range ? leavesFingerprint(flat.leaves, range.start, range.end) : "";
  const known = key ? cache.get(key) : undefined;
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
  if (key) cache.set(key, info);
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
  cache: ToolsCache,
): AnthropicSummary {
  const object = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const tools = Array.isArray(object.tools) ? object.tools : null;
  const info = tools && flat ? toolsInfo(tools, flat, cache) : null;
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

