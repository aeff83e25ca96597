/**
 * The reports a run ends with, from the three lane captures in one folder:
 *   report.md / report.json              direct lane vs headroom-client lane (how the client behaves through the proxy)
 *   proxy-report.md / proxy-report.json  headroom-client lane vs headroom-upstream lane (what the proxy changed)
 */
import path from "node:path";
import { execa } from "execa";
import { ANALYZER_CLI } from "./repo.js";

export interface Reports {
  markdown: string;
  json: string;
  proxyMarkdown: string;
  proxyJson: string;
}

export async function buildReports(capturesDir: string): Promise<Reports> {
  const file = (name: string) => path.join(capturesDir, name);
  const reports: Reports = {
    markdown: file("report.md"),
    json: file("report.json"),
    proxyMarkdown: file("proxy-report.md"),
    proxyJson: file("proxy-report.json"),
  };
  await analyze(file("direct.jsonl"), file("headroom-client.jsonl"), reports.markdown, reports.json, ["direct", "headroom"]);
  await analyze(file("headroom-client.jsonl"), file("headroom-upstream.jsonl"), reports.proxyMarkdown, reports.proxyJson, [
    "proxy input (headroom-client)",
    "proxy output (headroom-upstream)",
  ]);
  return reports;
}

async function analyze(direct: string, headroom: string, markdown: string, json: string, labels: [string, string]): Promise<void> {
  const result = await execa(
    process.execPath,
    [ANALYZER_CLI, "network-diff", "--direct", direct, "--headroom", headroom, "--output", markdown, "--json-output", json,
      "--direct-label", labels[0], "--headroom-label", labels[1], "--quiet"],
    { reject: false, stdin: "ignore" },
  );
  if (result.exitCode !== 0) {
    throw new Error(`headroom-analyze failed (exit ${result.exitCode}): ${String(result.stderr).trim()}`);
  }
}

/** One `## Heading` section of a Markdown report, for printing to the terminal. */
export function reportSection(markdown: string, heading: string): string {
  const start = markdown.search(new RegExp(`^## ${heading}`, "m"));
  if (start < 0) return "";
  const rest = markdown.slice(start);
  const next = rest.slice(1).search(/^## /m);
  return (next < 0 ? rest : rest.slice(0, next + 1)).trim();
}
