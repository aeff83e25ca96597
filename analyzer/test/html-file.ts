/** Reading back an HTML report file (network-diff's or aggregate's) in the tests. */
import { readFileSync, statSync } from "node:fs";
import { expect } from "vitest";
import type { CliResult } from "./helpers.js";

/** The data a report page carries, read back from the file. */
export function pageData<T>(file: string): T {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(readFileSync(file, "utf8"));
  if (!match) throw new Error("no report data in the page");
  return JSON.parse(match[1] as string) as T;
}

/** The run succeeded and wrote `html` as one private (0600) page that loads nothing from anywhere. */
export function expectPrivateSelfContainedPage(result: CliResult, html: string): void {
  expect(result.status, result.stderr).toBe(0);
  expect(result.stderr).toContain(`Wrote HTML report: ${html}`);
  expect(statSync(html).mode & 0o777).toBe(0o600);
  const text = readFileSync(html, "utf8");
  expect(text).toContain("<title>Differential Network Capture Report</title>");
  expect(text).toContain("default-src 'none'");
  expect(text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
}
