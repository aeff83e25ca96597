/**
 * `headroom-analyze network-diff`: the command over the pipeline (pipeline.ts): checks the
 * outputs, reads the options' files, runs the comparison and writes the Markdown, JSON and HTML
 * reports and the gates' outputs. The CLI runs it in a worker thread (network-diff-worker.ts);
 * what it shows the user goes through `DiffIo`.
 */
import { resolve } from "node:path";
import { publishGates } from "./ci-outputs.js";
import { UsageError } from "./errors.js";
import { evaluateGates, parseGates, renderGatesMarkdown, type GateResult } from "./gates.js";
import type { HtmlBodies } from "./html-data.js";
import { HtmlCollector, writeHtmlReport } from "./html-report.js";
import { fileSize } from "./load.js";
import { ReportFile } from "./output-file.js";
import type { PairBy } from "./pair.js";
import { networkDiff } from "./pipeline.js";
import { loadPrices } from "./prices.js";
import type { Progress } from "./progress.js";
import { readProxyStats } from "./proxy-account.js";
import { renderRunFigures } from "./render-run-figures.js";
import { runGateValues, type ReportHeadJson } from "./run-metrics.js";
import type { ReportHead } from "./summarize.js";

/** What the command shows the user: warnings, the Markdown report when no --output is given, a progress bar. */
export interface DiffIo {
  warn(message: string): void;
  stdout(text: string): Promise<void>;
  progress(total: number, quiet: boolean): Progress;
}

export interface DiffArgs {
  direct: string;
  headroom: string;
  output?: string;
  "json-output"?: string;
  "html-output"?: string;
  "html-bodies": HtmlBodies;
  "pair-by": PairBy;
  "direct-label": string;
  "headroom-label": string;
  prices?: string;
  "proxy-stats"?: string;
  baseline?: string;
  quiet: boolean;
  scenario?: string;
  "fail-on"?: string[];
  junit?: string;
  "github-step-summary": boolean;
}

/** A label fit for headings and table cells: one line, trimmed; the default when nothing is left. */
function oneLine(label: string, fallback: string): string {
  return label.replace(/\s+/g, " ").trim() || fallback;
}

/** A report must not overwrite an input, nor another report. */
function checkOutputs(args: DiffArgs): void {
  const named = (["output", "json-output", "html-output"] as const)
    .filter((option) => Boolean(args[option]))
    .map((option) => ({ option, path: resolve(args[option] as string) }));
  const inputs = [args.direct, args.headroom, args.baseline].filter((file): file is string => Boolean(file)).map((file) => resolve(file));
  for (const { path } of named) {
    if (inputs.includes(path)) throw new UsageError(`${path} is an input capture; write the report elsewhere`);
  }
  for (const [i, a] of named.entries()) {
    const b = named.slice(i + 1).find((other) => other.path === a.path);
    if (b) throw new UsageError(`--${a.option} and --${b.option} name the same file`);
  }
}

/** Run network-diff: read, compare, write the reports; returns the exit code (0, or 3 when a gate failed). */
export async function runNetworkDiff(args: DiffArgs, io: DiffIo): Promise<number> {
  checkOutputs(args);
  const gates = parseGates(args["fail-on"] ?? [], new Set(runGateValues({}).keys()));
  let gateResults: GateResult[] = [];
  const prices = args.prices ? loadPrices(args.prices) : undefined;
  const proxyStats = args["proxy-stats"] ? readProxyStats(args["proxy-stats"]) : undefined;
  const total = (await fileSize(args.direct)) + (await fileSize(args.headroom)) + (args.baseline ? await fileSize(args.baseline) : 0);
  const progress = io.progress(total, args.quiet);
  const markdownFile = args.output ? new ReportFile(args.output, "Markdown") : null;
  const jsonFile = args["json-output"] ? new ReportFile(args["json-output"], "JSON") : null;
  const html = args["html-output"] ? new HtmlCollector() : null;
  let loaded = false;
  const head = await networkDiff(
    {
      direct: args.direct,
      headroom: args.headroom,
      pairBy: args["pair-by"],
      labels: { direct: oneLine(args["direct-label"], "direct"), headroom: oneLine(args["headroom-label"], "headroom") },
      prices,
      proxyStats,
      baseline: args.baseline,
      onHead: (head) => {
        gateResults = evaluateGates(gates, runGateValues(head as unknown as ReportHeadJson));
        const scenario = args.scenario === undefined ? {} : { scenario: oneLine(args.scenario, "") || undefined };
        return gates.length ? { ...scenario, gates: gateResults } : scenario;
      },
      onBytes: (bytes) => progress.advance(bytes),
      onWarning: (message) => {
        progress.clear();
        io.warn(message);
      },
    },
    {
      markdown: (chunk) => {
        if (!loaded) {
          loaded = true;
          progress.done();
        }
        return markdownFile ? markdownFile.write(chunk) : io.stdout(chunk);
      },
      json: jsonFile?.write,
      pair: html?.pair,
    },
  ).finally(() => progress.done());
  const gatesMarkdown = renderGatesMarkdown(gateResults);
  if (gatesMarkdown) await (markdownFile ? markdownFile.write(gatesMarkdown) : io.stdout(gatesMarkdown));
  await markdownFile?.close(args.quiet);
  await jsonFile?.close(args.quiet);
  if (html && args["html-output"]) await writeHtml(args["html-output"], head, html, args, io);
  return publishGates(gateResults, {
    junit: args.junit,
    stepSummary: args["github-step-summary"],
    summary: renderRunFigures(head, gateResults),
    suite: "headroom-analyze network-diff",
    warn: io.warn,
  });
}

/** The HTML report, after the others: it reads the captures a second time for the bodies it shows. */
async function writeHtml(file: string, head: ReportHead, html: HtmlCollector, args: DiffArgs, io: DiffIo): Promise<void> {
  const data = await writeHtmlReport(file, { head, pairs: html.pairs, bodies: args["html-bodies"] });
  if (data.bodies.left_out > 0 && args["html-bodies"] !== "none") {
    io.warn(`HTML report: the values of ${data.bodies.left_out} request elements were left out to stay within ${data.bodies.budget_bytes >> 20} MB`);
  }
  if (!args.quiet) process.stderr.write(`Wrote HTML report: ${file}\n`);
}

