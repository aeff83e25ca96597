/**
 * The request bodies an HTML report shows, read back from the captures in a second streaming pass.
 *
 * Why a second pass: the first pass keeps only hashes of JSON values (a capture pair can be 600 MB),
 * and which records a report shows is known only after pairing. So once the pairs are known, each
 * capture is streamed again and only the paired records' bodies are kept, element by element: every
 * distinct tool, system block and message is stored once (Claude Code repeats the whole conversation
 * in every request, so distinct content is a small part of a capture), long strings cut to a head and
 * a tail, and the store bounded in characters. A record becomes a list of element references.
 */
import { hash } from "node:crypto";
import { loadRecords } from "./load.js";
import { headerValue } from "./anthropic-summary.js";
import { sameJson } from "./json-leaves.js";
import { REDACTED, redactHeaders } from "./redact.js";
import { requestBody } from "./request-body.js";
import type { TruncatedText, ViewValue } from "./html-data.js";

/** Strings longer than this are cut: this many characters from the start … */
export const HEAD_CHARS = 1500;
/** … and this many from the end. */
export const TAIL_CHARS = 500;
/** Characters of kept values across the whole store (the page's budget is smaller); past it, elements keep their size only. */
const STORE_CHARS = 24 << 20;
/** Claude Code's per-request system block: metadata that changes every request, not prompt. */
const BILLING_HEADER = "x-anthropic-billing-header:";

/** One element of a top-level prompt array as a record refers to it. */
export interface ElementRef {
  /** Hash of the content without `cache_control` (a one-text-block message hashes like its string): what alignment matches. */
  key: string;
  /** The element exactly as sent: its index in the store. */
  id: number;
  /** Tool name or message role ("" for system blocks). */
  name: string;
  /** Claude Code's billing-header system block. */
  metadata: boolean;
}

/** What the report keeps of one record's request. */
export interface RecordBody {
  headers: Array<[string, string]>;
  /** The other top-level members of a JSON object body; null when the body is not a JSON object. */
  params: { [key: string]: ViewValue } | null;
  tools: ElementRef[];
  system: ElementRef[];
  messages: ElementRef[];
  /** Why there is no body to show, when so. */
  note: string | null;
  /** Model + system prompt + first message: what makes requests one conversation; null without messages. */
  conversation: string | null;
}

export interface StoredElement {
  bytes: number;
  label: string;
  /** Null when the store was full. */
  value: ViewValue | null;
}

/** Distinct elements, numbered in order of first sight, with a bound on the characters kept. */
export class ElementStore {
  readonly elements: StoredElement[] = [];
  private readonly ids = new Map<string, number>();
  private chars = 0;
  /**
   * The last element seen at each place (array and index) and its reference: every request repeats
   * the conversation so far, so most elements equal the one at the same place in the previous
   * request, and an allocation-free comparison is far cheaper than serializing and hashing them.
   */
  private readonly last = new Map<string, { element: unknown; ref: ElementRef }>();

  /** The reference for `element` at `place`, when it is the same as the last element seen there. */
  known(place: string, element: unknown): ElementRef | undefined {
    const last = this.last.get(place);
    return last && sameJson(last.element, element) ? last.ref : undefined;
  }

  remember(place: string, element: unknown, ref: ElementRef): void {
    this.last.set(place, { element, ref });
  }

  /** The id of `element` (compact JSON `text`, exact hash `hash`), adding it when new. */
  add(hash: string, element: unknown, text: string, label: string): number {
    const known = this.ids.get(hash);
    if (known !== undefined) return known;
    const kept = Math.min(text.length, HEAD_CHARS + TAIL_CHARS);
    const value = this.chars + kept > STORE_CHARS ? null : viewValue(element);
    if (value !== null) this.chars += kept;
    const id = this.elements.length;
    this.elements.push({ bytes: Buffer.byteLength(text), label, value });
    this.ids.set(hash, id);
    return id;
  }
}

function shortHash(text: string): string {
  return (hash("sha1", text, "hex") as string).slice(0, 16);
}

/** Secrets a body may hold in free text: bearer tokens and `sk-…` keys. */
export function scrubSecrets(text: string): string {
  return text.replace(/(bearer\s+)[^\s,;"']+/gi, `$1${REDACTED}`).replace(/sk-[A-Za-z0-9_-]{6,}/g, REDACTED);
}

/**
 * A copy of a piece of a longer string that does not keep the longer one alive (V8 may represent a
 * slice as a view of its parent, so a kept head of a tool result would hold the whole result).
 */
function detached(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}

/** A string as the page holds it: scrubbed, and cut to head + tail when long. */
export function viewText(text: string): string | TruncatedText {
  if (text.length <= HEAD_CHARS + TAIL_CHARS) return scrubSecrets(text);
  return { $cut: detached(scrubSecrets(text.slice(0, HEAD_CHARS))), tail: detached(scrubSecrets(text.slice(-TAIL_CHARS))), length: text.length, hash: shortHash(text) };
}

/** A JSON value as the page holds it (see ViewValue). */
export function viewValue(value: unknown): ViewValue {
  if (typeof value === "string") return viewText(value);
  if (value === null || typeof value !== "object") return typeof value === "number" || typeof value === "boolean" ? value : null;
  if (Array.isArray(value)) return value.map(viewValue);
  const out: { [key: string]: ViewValue } = {};
  for (const key in value) out[key] = viewValue((value as Record<string, unknown>)[key]);
  return out;
}

function withoutCacheControl(key: string, value: unknown): unknown {
  return key === "cache_control" ? undefined : value;
}

/** A message whose content is one text block, as the same text given as a string (the API treats them alike). */
function plainMessage(message: Record<string, unknown>): unknown {
  const content = message.content;
  if (!Array.isArray(content) || content.length !== 1) return message;
  const block = content[0] as Record<string, unknown> | null;
  if (!block || block.type !== "text" || typeof block.text !== "string") return message;
  if (Object.keys(block).some((key) => key !== "type" && key !== "text" && key !== "cache_control")) return message;
  return { ...message, content: block.text };
}

function elementRef(element: unknown, kind: "tools" | "system" | "messages", store: ElementStore): ElementRef {
  const text = JSON.stringify(element) ?? "null";
  const object = element !== null && typeof element === "object" ? (element as Record<string, unknown>) : null;
  const comparable = kind === "messages" && object ? plainMessage(object) : element;
  const bare = comparable !== element || text.includes('"cache_control"') ? (JSON.stringify(comparable, withoutCacheControl) ?? "null") : text;
  const exact = shortHash(text);
  const name = kind === "tools" ? object?.name : kind === "messages" ? object?.role : "";
  const label = typeof name === "string" ? name : "";
  const metadata = kind === "system" && typeof object?.text === "string" && object.text.startsWith(BILLING_HEADER);
  return { key: bare === text ? exact : shortHash(bare), id: store.add(exact, element, text, label), name: label, metadata };
}

function elementRefs(elements: unknown, kind: "tools" | "system" | "messages", store: ElementStore): ElementRef[] {
  if (kind === "system" && typeof elements === "string") elements = [{ type: "text", text: elements }];
  if (!Array.isArray(elements)) return [];
  return elements.map((element, index) => {
    const place = `${kind}[${index}]`;
    const known = store.known(place, element);
    if (known) return known;
    const ref = elementRef(element, kind, store);
    store.remember(place, element, ref);
    return ref;
  });
}

/** The request body of a raw record (request-body.ts, as the comparison read it), or why there is none. */
function bodyOf(record: Record<string, unknown>, headers: Array<[string, string]>, where: string): { body: unknown; note: string | null } {
  const { json, truncated } = requestBody(record, headerValue(headers, "content-encoding"), where);
  if (json !== undefined) return { body: json, note: null };
  if (truncated) return { body: undefined, note: "the body was cut short in the capture" };
  return { body: undefined, note: "the body is missing or not JSON" };
}

/** One record's request as the report keeps it. */
export function recordBody(record: Record<string, unknown>, store: ElementStore, where = ""): RecordBody {
  const headers = redactHeaders(record.request_headers);
  const { body, note } = bodyOf(record, headers, where);
  const result: RecordBody = { headers, params: null, tools: [], system: [], messages: [], note, conversation: null };
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    if (body !== undefined) result.note = "the body is not a JSON object";
    return result;
  }
  const params: { [key: string]: ViewValue } = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === "tools" || key === "messages" || (key === "system" && (Array.isArray(value) || typeof value === "string"))) {
      result[key] = elementRefs(value, key, store);
    } else {
      params[key] = viewValue(value);
    }
  }
  result.params = params;
  const model = (body as Record<string, unknown>).model;
  if (result.messages.length > 0) {
    const system = result.system.filter((ref) => !ref.metadata).map((ref) => ref.key);
    result.conversation = shortHash(JSON.stringify([typeof model === "string" ? model : null, system, result.messages[0]?.key]));
  }
  return result;
}

/**
 * Stream `file` and keep the bodies of the records on `lines` (1-based line numbers), their
 * elements going into `store`. Input errors were already reported by the first pass.
 */
export async function readBodies(file: string, lines: ReadonlySet<number>, store: ElementStore): Promise<Map<number, RecordBody>> {
  const bodies = new Map<number, RecordBody>();
  if (lines.size === 0) return bodies;
  for await (const raw of loadRecords(file)) {
    if (lines.has(raw.line)) bodies.set(raw.line, recordBody(raw.record, store, `${file}:${raw.line}`));
  }
  return bodies;
}
