/**
 * Stage 6b — render the report as JSON for programs.
 *
 * Why stable stringify: keys in a fixed (sorted) order make two reports diffable and tests exact.
 * The layout keeps the original harness's fields (generated_at, direct_count, headroom_count,
 * only_direct, only_headroom, paired[]) so its consumers keep working; `schema_version` says which
 * layout this is. The output is written in pieces — head, one piece per pair, tail, the head's
 * large members split too — so a report with thousands of pairs is never one big string; the bytes
 * are exactly those of `stringify(report)`.
 */
import stringify from "fast-json-stable-stringify";
import type { PairDiff } from "./compare.js";
import type { Report, ReportHead } from "./summarize.js";

/** Characters per piece of a large value (stringifyInPieces). */
const PIECE = 1 << 13;

/** A value stringify renders itself (a scalar, or an object with toJSON), not walked here. */
function isWalked(node: unknown): node is object {
  return node !== null && typeof node === "object" && typeof (node as { toJSON?: unknown }).toJSON !== "function";
}

/**
 * `stringify(value)` in pieces of about PIECE characters, split between array elements and object
 * members at any depth: a head member such as the proxy account's rows (one per pair, megabytes in
 * all) is never built as one string.
 */
export function* stringifyInPieces(value: unknown): Generator<string> {
  let pending = "";
  function* add(text: string): Generator<string> {
    pending += text;
    if (pending.length >= PIECE) {
      yield pending;
      pending = "";
    }
  }
  function* walk(node: object): Generator<string> {
    if (Array.isArray(node)) {
      yield* add("[");
      for (let i = 0; i < node.length; i++) {
        if (i > 0) yield* add(",");
        const element: unknown = node[i];
        if (isWalked(element)) yield* walk(element);
        else yield* add(stringify(element) ?? "null");
      }
      yield* add("]");
      return;
    }
    yield* add("{");
    let first = true;
    for (const key of Object.keys(node).sort()) {
      const member: unknown = (node as Record<string, unknown>)[key];
      const name = `${first ? "" : ","}${JSON.stringify(key)}:`;
      if (isWalked(member)) {
        yield* add(name);
        yield* walk(member);
      } else {
        const text = stringify(member);
        if (text === undefined) continue; // undefined and functions are left out, as stringify does
        yield* add(name + text);
      }
      first = false;
    }
    yield* add("}");
  }
  if (isWalked(value)) yield* walk(value);
  else pending = stringify(value) ?? "";
  if (pending !== "") yield pending;
}

/** Renders one report piece by piece: `start()`, `pair()` per paired row, `end()`. */
export class JsonRenderer {
  private readonly before: string[];
  private readonly after: string[];
  private count = 0;

  constructor(private readonly head: ReportHead) {
    const keys = Object.keys({ ...head, paired: null }).sort();
    const index = keys.indexOf("paired");
    this.before = keys.slice(0, index).filter((key) => head[key as keyof ReportHead] !== undefined);
    this.after = keys.slice(index + 1).filter((key) => head[key as keyof ReportHead] !== undefined);
  }

  /** `"key":value` for each key, separated by commas, in pieces. */
  private *members(keys: string[]): Generator<string> {
    for (const [i, key] of keys.entries()) {
      yield `${i > 0 ? "," : ""}${JSON.stringify(key)}:`;
      yield* stringifyInPieces(this.head[key as keyof ReportHead]);
    }
  }

  *start(): Generator<string> {
    yield "{";
    yield* this.members(this.before);
    yield `${this.before.length > 0 ? "," : ""}"paired":[`;
  }

  pair(diff: PairDiff): string {
    this.count += 1;
    return (this.count > 1 ? "," : "") + stringify(diff);
  }

  *end(): Generator<string> {
    yield this.after.length > 0 ? "]," : "]";
    yield* this.members(this.after);
    yield "}\n";
  }
}

/** The whole report as one string (for small reports and tests). */
export function renderJson(report: Report): string {
  return `${stringify(report)}\n`;
}
