/**
 * Stage 6b — render the report as JSON for programs.
 *
 * Why stable stringify: keys in a fixed (sorted) order make two reports diffable and tests exact.
 * The layout keeps the original harness's fields (generated_at, direct_count, headroom_count,
 * only_direct, only_headroom, paired[]) so its consumers keep working; `schema_version` says which
 * layout this is.
 */
import stringify from "fast-json-stable-stringify";
import type { Report } from "./summarize.js";

export function renderJson(report: Report): string {
  return `${stringify(report)}\n`;
}
