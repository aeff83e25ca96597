/**
 * The verdict: the report's first paragraph, for people who read only that.
 *
 * Why one paragraph of figures the rest of the report already holds: "what did the proxy change,
 * and what did that cost or save" should be answerable without reading tables. It names the prompt
 * tokens and cost before -> after over the pairs where both sides carry usage (and how many pairs
 * that is), the cache hit ratio change, prompt-cache prefix breaks per lane, how many pairs changed
 * tools and headers, how many differences a baseline classed as noise, and the warnings.
 */
import { code } from "./markdown-text.js";
import type { LaneSummary, ReportHead } from "./summarize.js";

function number(value: number): string {
  return value.toLocaleString("en-US");
}

function percentChange(before: number, after: number): string {
  if (before === 0) return "";
  const change = ((after - before) / before) * 100;
  return `, ${change > 0 ? "+" : change < 0 ? "−" : "±"}${Math.abs(change).toFixed(1)}%`;
}

function ratio(value: number | null): string {
  return value === null ? "-" : `${(value * 100).toFixed(1)}%`;
}

function usd(value: number): string {
  return `$${value.toFixed(value !== 0 && Math.abs(value) < 1 ? 4 : 2)}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${number(n)} ${n === 1 ? one : many}`;
}

function tokensSentence(head: ReportHead): string {
  const { paired_tokens: tokens, paired, cost } = head.summary;
  const { direct: d, headroom: h } = head.labels;
  if (tokens.pairs_counted === 0) {
    return paired === 0 ? "No exchanges paired, so nothing to compare." : `None of the ${plural(paired, "pair")} has usage on both sides, so tokens and cost could not be compared.`;
  }
  const left = tokens.pairs_without_usage ? ` (${plural(tokens.pairs_without_usage, "pair")} without usage left out)` : "";
  const before = tokens.direct.prompt_tokens;
  const after = tokens.headroom.prompt_tokens;
  const delta = after - before;
  const amount = delta === 0 ? "the same prompt tokens as" : `${number(Math.abs(delta))} ${delta < 0 ? "fewer" : "more"} prompt tokens than`;
  let sentence = `Over ${plural(tokens.pairs_counted, "pair")} with usage on both sides${left}, ${h} sent ${amount} ${d} (${number(before)} → ${number(after)}${percentChange(before, after)})`;
  if (cost) {
    const { direct: cd, headroom: ch, usd_delta } = cost.paired;
    sentence += `, estimated cost ${usd(cd.usd)} → ${usd(ch.usd)} (${usd_delta <= 0 ? "saving" : "adding"} ${usd(Math.abs(usd_delta))}${percentChange(cd.usd, ch.usd)})`;
  }
  const hitBefore = tokens.direct.cache_hit_ratio;
  const hitAfter = tokens.headroom.cache_hit_ratio;
  const change = hitBefore !== null && hitAfter !== null ? (hitAfter - hitBefore) * 100 : null;
  const points = change === null ? "" : ` (${change > 0 ? "+" : change < 0 ? "−" : "±"}${Math.abs(change).toFixed(1)} points)`;
  return `${sentence}; cache hit ratio ${ratio(hitBefore)} → ${ratio(hitAfter)}${points}.`;
}

function laneBreaks(label: string, lane: LaneSummary): string {
  const { turns, breaks } = lane.cache_prefix;
  const first = breaks[0];
  const where = first ? `, first at #${first.sequence ?? "?"} ${code(first.path)}` : "";
  return `${label} ${number(breaks.length)} of ${plural(turns, "turn")}${where}`;
}

function changesSentence(head: ReportHead): string {
  const { pairs_changed: changed, paired } = head.summary;
  if (paired === 0) return "";
  return `Tools changed in ${number(changed.tools)} and headers in ${number(changed.headers)} of ${plural(paired, "pair")}.`;
}

function noiseSentence(head: ReportHead): string {
  const { noise } = head.summary;
  if (!noise) return "No baseline capture given (`--baseline`), so no difference is set apart as noise.";
  const { json, headers } = noise;
  return `${plural(json + headers, "difference")} (${number(json)} JSON paths, ${number(headers)} headers) classed as noise: they also differ between ${head.labels.direct} and the baseline ${code(noise.baseline)} (${plural(noise.pairs_with_baseline, "pair")} with a baseline counterpart).`;
}

function warningsSentence(head: ReportHead): string {
  const { warnings } = head;
  if (warnings.length === 0) return "No warnings.";
  return `${warnings.length === 1 ? "Warning" : `${warnings.length} warnings`}: ${warnings.map(code).join("; ")}.`;
}

/** The verdict paragraph (Markdown, one line). */
export function verdictText(head: ReportHead): string {
  const { direct: d, headroom: h } = head.labels;
  const breaks = `Prompt-cache prefix breaks: ${laneBreaks(d, head.summary.direct)}; ${laneBreaks(h, head.summary.headroom)}.`;
  return ["**Verdict.**", tokensSentence(head), breaks, changesSentence(head), noiseSentence(head), warningsSentence(head)].filter(Boolean).join(" ");
}
