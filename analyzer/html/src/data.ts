/** The report's data, read once from the page's JSON script tag. */
import type { HtmlPair, HtmlReportData } from "../../src/html-data.js";

export type { AlignedRow, ElementEntry, HtmlPair, HtmlReportData, PackedRow, PairView, TruncatedText, ViewValue } from "../../src/html-data.js";

/** The data the CLI injected into the page: a network-diff report's, or (`T`) an aggregate's. */
export function readData<T = HtmlReportData>(): T {
  const element = document.getElementById("report-data");
  if (!element?.textContent) throw new Error("this page carries no report data");
  return JSON.parse(element.textContent) as T;
}

/** Prompt tokens of a usage: input + cache write + cache read; null without usage. */
export function promptTokens(usage: HtmlPair["usage"][number]): number | null {
  if (!usage) return null;
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

/** Do the two request bodies differ (or is one unknown)? Headers are left out: they differ between lanes by nature (host, ids). */
export function isChanged(pair: HtmlPair): boolean {
  return pair.body_same !== true;
}
