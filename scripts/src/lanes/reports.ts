/**
 * The reports a run ends with, from the lane captures in one folder:
 *   report.md / report.json / report.html  direct lane vs headroom-client lane (how the client behaves through the
 *                                          proxy); with direct-baseline.jsonl present, set against that noise baseline
 *   proxy-report.md / .json / .html        headroom-client lane vs headroom-upstream lane (what the proxy changed)
 * and, for every further arm X of the proxy lane (lanes.yml x-arms, e.g. headroom-passthrough):
 *   direct-vs-X.md / .json               direct lane vs X-upstream (what routing through the proxy alone changes)
 *   X-vs-headroom.md / .json             X-upstream vs headroom-upstream (what the optimizing arm changes on top)
 *   X-proxy-report.md / .json            X-client vs X-upstream
 *
 *   node --import tsx scripts/src/lanes/reports.ts DIR     (what `make report` runs)
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { DEFAULT_ARM, readLaneDescription } from "./lane-description.js";
import { proxyStatsFile } from "./proxy-stats.js";
import { ANALYZER_CLI } from "./repo.js";

export interface ArmReport {
  title: string;
  markdown: string;
  json: string;
}

export interface Reports {
  markdown: string;
  json: string;
  html: string;
  proxyMarkdown: string;
  proxyJson: string;
  proxyHtml: string;
  /** The further arms' reports (none when only the default arm ran). */
  armReports: ArmReport[];
}

/** The noise baseline capture: a second run of the direct lane (`--baseline` of the runner and the Compose demo). */
export const BASELINE_CAPTURE = "direct-baseline.jsonl";

export async function buildReports(capturesDir: string, arms: string[] = ["headroom"], scenario?: string): Promise<Reports> {
  const file = (name: string) => path.join(capturesDir, name);
  const [primary = "headroom", ...others] = arms;
  const reports: Reports = {
    markdown: file("report.md"),
    json: file("report.json"),
    html: file("report.html"),
    proxyMarkdown: file("proxy-report.md"),
    proxyJson: file("proxy-report.json"),
    proxyHtml: file("proxy-report.html"),
    armReports: [],
  };
  const baseline = existsSync(file(BASELINE_CAPTURE)) && (await analyzerHasOption("--baseline")) ? ["--baseline", file(BASELINE_CAPTURE)] : [];
  // The scenario goes into report.json, so `aggregate` groups repetitions of one task together.
  const task = scenario ? ["--scenario", path.basename(scenario, ".yml")] : [];
  await analyze(file("direct.jsonl"), file(`${primary}-client.jsonl`), reports.markdown, reports.json, ["direct", primary], [...baseline, ...task, "--html-output", reports.html]);
  // The proxy's own account of the run (its saved /stats) goes beside what its two lanes measured.
  const stats = (arm: string) => (existsSync(proxyStatsFile(capturesDir, arm)) ? ["--proxy-stats", proxyStatsFile(capturesDir, arm)] : []);
  await analyze(file(`${primary}-client.jsonl`), file(`${primary}-upstream.jsonl`), reports.proxyMarkdown, reports.proxyJson, [
    `proxy input (${primary}-client)`,
    `proxy output (${primary}-upstream)`,
  ], [...stats(primary), "--html-output", reports.proxyHtml]);
  for (const arm of others) {
    const pairs: Array<[string, string, string, [string, string], string[]]> = [
      [`direct vs ${arm}`, "direct.jsonl", `${arm}-upstream.jsonl`, ["direct", `${arm} (upstream)`], []],
      [`${arm} vs ${primary}`, `${arm}-upstream.jsonl`, `${primary}-upstream.jsonl`, [`${arm} (upstream)`, `${primary} (upstream)`], []],
      [`${arm} proxy report`, `${arm}-client.jsonl`, `${arm}-upstream.jsonl`, [`proxy input (${arm}-client)`, `proxy output (${arm}-upstream)`], stats(arm)],
    ];
    for (const [title, left, right, labels, extra] of pairs) {
      const base = title.replace(/ /g, "-");
      const report = { title, markdown: file(`${base}.md`), json: file(`${base}.json`) };
      await analyze(file(left), file(right), report.markdown, report.json, labels, extra);
      reports.armReports.push(report);
    }
  }
  return reports;
}

/** The arms of lanes.yml whose captures are in `dir`, the default arm first (what `make report` reports on). */
export function armsIn(dir: string): string[] {
  const names = Object.keys(readLaneDescription().arms).filter((arm) => existsSync(path.join(dir, `${arm}-client.jsonl`)));
  return [DEFAULT_ARM, ...names.filter((arm) => arm !== DEFAULT_ARM)];
}

/** Whether the built analyzer knows an option (so a capture-side feature can wait for the analyzer side). */
async function analyzerHasOption(option: string): Promise<boolean> {
  const help = await execa(process.execPath, [ANALYZER_CLI, "network-diff", "--help"], { reject: false, stdin: "ignore" });
  return String(help.stdout).includes(option);
}

async function analyze(
  direct: string,
  headroom: string,
  markdown: string,
  json: string,
  labels: [string, string],
  extra: string[] = [],
): Promise<void> {
  const result = await execa(
    process.execPath,
    [ANALYZER_CLI, "network-diff", "--direct", direct, "--headroom", headroom, "--output", markdown, "--json-output", json,
      "--direct-label", labels[0], "--headroom-label", labels[1], "--quiet", ...extra],
    { reject: false, stdin: "ignore" },
  );
  if (result.exitCode !== 0) {
    throw new Error(`headroom-analyze failed (exit ${result.exitCode}): ${String(result.stderr).trim()}`);
  }
}

interface ReportFigures {
  summary: {
    paired: number;
    direct: { request_bytes: number };
    headroom: { request_bytes: number };
    paired_tokens: { direct: { prompt_tokens: number }; headroom: { prompt_tokens: number }; pairs_counted?: number };
  };
  proxy_account?: { totals: { claimed_saved: number; requests_with_claims: number }; stats: { tokens_saved: number | null } | null; disagreements: number };
}

const change = (before: number, after: number) =>
  `${before} -> ${after} (${before === 0 ? "n/a" : `${after <= before ? "" : "+"}${(((after - before) / before) * 100).toFixed(1)} %`})`;

/**
 * The run's outcome in one paragraph, first thing under the reports: what the proxy saved in prompt tokens (the
 * paired exchanges of the main report), in request bytes (what it forwarded upstream against what it was sent),
 * and what it claims itself.
 */
export function savingParagraph(reports: Reports): string {
  const main = JSON.parse(readFileSync(reports.json, "utf8")) as ReportFigures;
  const proxy = JSON.parse(readFileSync(reports.proxyJson, "utf8")) as ReportFigures;
  const tokens = main.summary.paired_tokens;
  const lines = [
    `Prompt tokens billed over ${tokens.pairs_counted ?? main.summary.paired} paired requests with usage on both sides, direct -> through the proxy: ${change(tokens.direct.prompt_tokens, tokens.headroom.prompt_tokens)}.`,
    `Request bytes, proxy input -> what it forwarded upstream: ${change(proxy.summary.direct.request_bytes, proxy.summary.headroom.request_bytes)}.`,
  ];
  const account = proxy.proxy_account;
  if (account && account.totals.requests_with_claims > 0) {
    const stats = account.stats?.tokens_saved;
    lines.push(
      `The proxy's own account: ${account.totals.claimed_saved} tokens saved in its response headers${stats == null ? "" : `, ${stats} in its stats`}; ${account.disagreements} disagreement(s) with the wire (see ${path.basename(reports.proxyMarkdown)}).`,
    );
  }
  return lines.join("\n");
}

/**
 * The reports as the runner and the Compose demo print them: one block per comparison, each headed by what it
 * compares and where its files are, so a reader never has to guess which lanes a figure is about.
 */
export function reportsForTerminal(reports: Reports): string {
  const summary = reportSection(readFileSync(reports.markdown, "utf8"), "Summary").replace(/^## Summary\n+/, "");
  return [
    `== Direct lane vs headroom lane: Claude Code straight to the API against Claude Code through the proxy`,
    `   ${reports.markdown}`,
    `   ${reports.json}`,
    "",
    summary,
    "",
    `== What the proxy changed: its input (headroom-client lane) against its output (headroom-upstream lane)`,
    `   ${reports.proxyMarkdown}`,
    `   ${reports.proxyJson}`,
    "",
    ...proxyChanges(reports.proxyJson).map((line) => `  ${line}`),
    "",
  ].join("\n");
}

/** One `## Heading` section of a Markdown report, for printing to the terminal. */
export function reportSection(markdown: string, heading: string): string {
  const start = markdown.search(new RegExp(`^## ${heading}`, "m"));
  if (start < 0) return "";
  const rest = markdown.slice(start);
  const next = rest.slice(1).search(/^## /m);
  return (next < 0 ? rest : rest.slice(0, next + 1)).trim();
}

interface ProxyPair {
  route: string;
  headroom_sequence: number | null;
  request_body_size: { direct: number | null; headroom: number | null; delta: number | null };
  headers: { only_direct: string[]; only_headroom: string[]; changed: string[] };
  json: { only_direct: string[]; only_headroom: string[]; changed: string[] };
  anthropic: {
    direct: { tools_count: number };
    headroom: { tools_count: number };
    tools_added: string[];
    tools_removed: string[];
    tools_reordered?: boolean;
  };
}

/** One line per paired request of the proxy report: what the proxy did to it, for the terminal. */
export function proxyChanges(proxyJson: string): string[] {
  const report = JSON.parse(readFileSync(proxyJson, "utf8")) as { paired: ProxyPair[] };
  return report.paired.map((pair) => {
    const { direct, headroom, delta } = pair.request_body_size;
    const a = pair.anthropic;
    const toolNames = [
      ...a.tools_added.map((name) => `+${name}`),
      ...a.tools_removed.map((name) => `-${name}`),
      a.tools_reordered ? "reordered" : "",
    ].filter(Boolean);
    const headers = [...pair.headers.only_headroom.map((h) => `+${h}`), ...pair.headers.only_direct.map((h) => `-${h}`)];
    const parts = [
      `body ${direct} -> ${headroom} bytes${delta === null ? "" : ` (${delta >= 0 ? "+" : ""}${delta})`}`,
      `tools ${a.direct.tools_count} -> ${a.headroom.tools_count}${toolNames.length ? ` (${toolNames.join(", ")})` : ""}`,
      `headers ${headers.length ? headers.join(", ") : "same names"}${pair.headers.changed.length ? `, ${pair.headers.changed.length} changed` : ""}`,
      `JSON paths +${pair.json.only_headroom.length} -${pair.json.only_direct.length} ~${pair.json.changed.length}`,
    ];
    return `#${pair.headroom_sequence ?? "?"} ${pair.route}: ${parts.join("; ")}`;
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const [dir] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write("usage: reports.ts CAPTURES_DIR\n");
    process.exit(2);
  }
  try {
    const reports = await buildReports(dir, armsIn(dir));
    for (const file of Object.values(reports)) process.stderr.write(`Wrote report: ${file}\n`);
    for (const line of proxyChanges(reports.proxyJson)) process.stdout.write(`${line}\n`);
  } catch (error) {
    process.stderr.write(`reports: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
