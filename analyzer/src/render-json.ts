/**
 * Stage 6b — render the report as JSON for programs.
 *
 * Why stable stringify: keys in a fixed (sorted) order make two reports diffable and tests exact.
 * The layout keeps the original harness's fields (generated_at, direct_count, headroom_count,
 * only_direct, only_headroom, paired[]) so its consumers keep working; `schema_version` says which
 * layout this is. The output is written in pieces — head, one piece per pair, tail — so a report
 * with thousands of pairs is never one big object; the bytes are exactly those of
 * `stringify(report)`.
 */
import stringify from "fast-json-stable-stringify";
import type { PairDiff } from "./compare.js";
import type { Report, ReportHead } from "./summarize.js";

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

  private members(keys: string[]): string {
    return keys.map((key) => `${JSON.stringify(key)}:${stringify(this.head[key as keyof ReportHead])},`).join("");
  }

  start(): string {
    return `{${this.members(this.before)}"paired":[`;
  }

  pair(diff: PairDiff): string {
    this.count += 1;
    return (this.count > 1 ? "," : "") + stringify(diff);
  }

  end(): string {
    const tail = this.members(this.after);
    return `]${tail ? `,${tail.slice(0, -1)}` : ""}}\n`;
  }
}

/** The whole report as one string (for small reports and tests). */
export function renderJson(report: Report): string {
  return `${stringify(report)}\n`;
}
