/**
 * Markdown text primitives shared by the report renderers: code spans, table cells, capped lists.
 */
import { markdownTable } from "markdown-table";

/** How many items a table cell lists before `… N more`. */
export const CELL_LIST_LIMIT = 10;

/** A Markdown code span holding `text` on one line, whatever backticks it contains. */
export function code(text: string): string {
  if (!/[`\r\n]/.test(text) && text !== "") return `\`${text}\``;
  const flat = text.replace(/\r\n|\r|\n/g, " ");
  const runs = flat.match(/`+/g) ?? [];
  const fence = "`".repeat(Math.max(0, ...runs.map((run) => run.length)) + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat === "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Make text safe inside a table cell: one line, pipes escaped. */
export function cell(text: string): string {
  if (!/[|\r\n]/.test(text)) return text;
  return text.replace(/\r\n|\r|\n/g, " ").replace(/\|/g, "\\|");
}

/** Escape text for HTML (used inside <summary>). */
export function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** `a, b, c` as code spans, at most `limit` of them then `… N more`; `-` when empty. */
export function cappedList(items: readonly string[], limit = CELL_LIST_LIMIT): string {
  if (items.length === 0) return "-";
  const shown = items.slice(0, limit).map(code).join(", ");
  return items.length > limit ? `${shown}, … ${items.length - limit} more` : shown;
}

/** `+3`, `-3`, `+0`. */
export function signed(value: number): string {
  return value >= 0 ? `+${value}` : String(value);
}

/** A Markdown table with every cell made safe (one line, pipes escaped). */
export function table(rows: string[][], align?: string[]): string {
  return markdownTable(rows.map((row) => row.map(cell)), { align, alignDelimiters: false });
}
