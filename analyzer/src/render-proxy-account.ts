/**
 * The proxy's own account as a Markdown section (see proxy-account.ts): its claims beside the bytes and the bill,
 * one row per paired request, the tool results it changed, and every disagreement above the tolerance.
 */
import type { ProxyAccount, ProxyAccountRow } from "./proxy-account.js";
import { cappedList, code } from "./render-markdown.js";
import type { ReportHead } from "./summarize.js";

const dash = (value: number | null | undefined) => (value === null || value === undefined ? "-" : String(value));

function claimCell(row: ProxyAccountRow): string {
  const c = row.claim;
  if (!c) return "-";
  return `${dash(c.tokens_before)} -> ${dash(c.tokens_after)} (saved ${dash(c.tokens_saved)})${c.compression_failed ? ", failed" : ""}`;
}

function changedCell(row: ProxyAccountRow): string {
  if (row.changed_tool_results.length === 0) return "-";
  return row.changed_tool_results
    .map((r) => {
      const seen = r.first_changed_in;
      const where = seen.sequence === row.direct_sequence ? "" : ` (as in #${dash(seen.sequence)}${seen.transforms.length ? `: ${cappedList(seen.transforms)}` : ""})`;
      return `${code(`${r.tool} ${r.tool_use_id}`)} ${r.chars.direct} -> ${dash(r.chars.headroom)} chars${where}`;
    })
    .join("<br>");
}

function row(r: ProxyAccountRow): string {
  const cells = [
    `#${dash(r.direct_sequence)} -> #${dash(r.headroom_sequence)}`,
    `${dash(r.request_bytes.direct)} -> ${dash(r.request_bytes.headroom)}`,
    `${dash(r.billed_prompt_tokens.direct)} / ${dash(r.billed_prompt_tokens.headroom)}`,
    claimCell(r),
    cappedList(r.claim?.transforms ?? []),
    changedCell(r),
    r.flags.length ? `**${r.flags.map((f) => f.replace(/\|/g, "\\|")).join("; ")}**` : "agrees",
  ];
  return `| ${cells.join(" | ")} |`;
}

export function proxyAccountLines(report: ReportHead): string[] {
  const account: ProxyAccount | undefined = report.proxy_account;
  if (!account) return [];
  const { direct: d, headroom: h } = report.labels;
  const t = account.totals;
  const tolerance = `${Math.round(account.tolerance * 100)} %`;
  const lines = [
    "## Proxy's own account, checked against the wire",
    "",
    `What the proxy said it did (its \`x-headroom-*\` response headers${account.stats ? ` and its stats, ${code(account.stats.file)}` : ""}) beside what the captures measured. Token figures more than ${tolerance} apart are flagged: the proxy counts with its own tokenizer, the API bills with Claude's.`,
    "",
    `- Requests with the proxy's figures: ${t.requests_with_claims} of ${account.rows.length} paired; claimed ${t.claimed_before} tokens before, ${t.claimed_after} after, ${t.claimed_saved} saved`,
    `- Measured over the same requests: request bytes ${d} ${t.request_bytes.direct}, ${h} ${t.request_bytes.headroom}; prompt tokens billed ${d} ${t.billed_prompt_tokens.direct}, ${h} ${t.billed_prompt_tokens.headroom}`,
    `- Tool results changed on the way: ${t.changed_tool_results}`,
  ];
  if (account.stats) {
    const s = account.stats;
    lines.push(`- Proxy stats (mode ${code(s.mode ?? "?")}): ${dash(s.requests)} requests, ${dash(s.tokens_before)} tokens before, ${dash(s.tokens_after)} after, ${dash(s.tokens_saved)} saved`);
  }
  lines.push(`- Disagreements above ${tolerance}: ${account.disagreements}`, ...account.flags.map((f) => `  - **${f}**`), "");
  lines.push(
    `| Request (${d} -> ${h}) | Request Bytes | Billed Prompt Tokens (${d} / ${h}) | Proxy's Tokens (before -> after) | Transforms | Tool Results Changed | Check |`,
    "| :- | -: | -: | -: | :- | :- | :- |",
    ...account.rows.map(row),
    "",
  );
  return lines;
}
