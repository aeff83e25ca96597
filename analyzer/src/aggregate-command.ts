/**
 * `headroom-analyze aggregate REPORT.json|DIR...`: the command line over aggregate.ts, its
 * Markdown and JSON outputs, and its gates.
 */
import { statSync } from "node:fs";
import { basename, resolve, sep } from "node:path";
import stringify from "fast-json-stable-stringify";
import type { Argv } from "yargs";
import { aggregateGateHelp, aggregateGateValues, aggregateReports, DEFAULT_SEED, reportFiles, type AggregateRun } from "./aggregate.js";
import { gateOptions, publishGates } from "./ci-outputs.js";
import { UsageError } from "./errors.js";
import { evaluateGates, parseGates } from "./gates.js";
import { writeAggregateHtml } from "./html-aggregate.js";
import { renderAggregateMarkdown } from "./render-aggregate.js";
import { ReportFile } from "./output-file.js";
import { METRICS } from "./run-metrics.js";

interface AggregateArgs {
  reports: string[];
  output?: string;
  "json-output"?: string;
  "html-output"?: string;
  quiet: boolean;
  "equivalence-margin"?: number;
  seed: number;
  "fail-on"?: string[];
  junit?: string;
  "github-step-summary": boolean;
}

export interface CommandIo {
  warn: (message: string) => void;
  stdout: (text: string) => Promise<void>;
}

const METRICS_HELP = `Metrics (per arm: mean, median, sd, n; runs without the figure are "not counted", never 0):
${METRICS.map((metric) => `  ${metric.name}: ${metric.description}`).join("\n")}

Gates (--fail-on 'METRIC OP NUMBER', OP one of < <= > >= == !=; a true condition fails, exit 3):
${aggregateGateHelp().map((line) => `  ${line}`).join("\n")}

Verdict per metric: better / worse when the whole 95 % bootstrap interval of the difference lies on one side of 0, otherwise "no detectable difference". With --equivalence-margin PCT, a TOST (90 % interval inside ±PCT; percentage points for cache_hit) says whether the arms are equivalent within that margin.`;

/** Where a report would overwrite an input: a report named on the command line, or a report.json below a folder named. */
function inputAt(path: string, inputs: readonly string[]): string | null {
  for (const input of inputs.map((file) => resolve(file))) {
    if (path === input) return input;
    const folder = statSync(input, { throwIfNoEntry: false })?.isDirectory() ?? false;
    if (folder && path.startsWith(input + sep) && basename(path) === "report.json") return input;
  }
  return null;
}

/** An output must not overwrite an input report, nor another output. */
function checkOutputs(args: AggregateArgs): void {
  const named = (["output", "json-output", "html-output"] as const)
    .filter((option) => Boolean(args[option]))
    .map((option) => ({ option, path: resolve(args[option] as string) }));
  for (const { option, path } of named) {
    const input = inputAt(path, args.reports);
    if (input) throw new UsageError(`--${option} ${path} would overwrite the input report${input === path ? "" : "s below"} ${input}; write it elsewhere`);
  }
  for (const [i, a] of named.entries()) {
    const b = named.slice(i + 1).find((other) => other.path === a.path);
    if (b) throw new UsageError(`--${a.option} and --${b.option} name the same file`);
  }
}

async function runAggregate(args: AggregateArgs, io: CommandIo): Promise<void> {
  const margin = args["equivalence-margin"];
  if (margin !== undefined && !(Number.isFinite(margin) && margin > 0)) throw new UsageError(`--equivalence-margin must be a positive number of percent, got ${String(margin)}`);
  if (!Number.isInteger(args.seed)) throw new UsageError(`--seed must be an integer, got ${String(args.seed)}`);
  checkOutputs(args);
  const gates = parseGates(args["fail-on"] ?? [], new Set(aggregateGateValues(emptyResult()).keys()));
  const runs: AggregateRun[] = [];
  const result = await aggregateReports(reportFiles(args.reports), {
    equivalenceMarginPct: margin,
    seed: args.seed,
    onWarning: io.warn,
    onRun: args["html-output"] ? (run) => runs.push(run) : undefined,
  });
  const gateResults = evaluateGates(gates, aggregateGateValues(result));
  const markdown = renderAggregateMarkdown(result, gateResults);
  if (args.output) {
    const file = new ReportFile(args.output, "Markdown");
    await file.write(markdown);
    await file.close(args.quiet);
  } else await io.stdout(markdown);
  if (args["json-output"]) {
    const file = new ReportFile(args["json-output"], "JSON");
    await file.write(`${stringify({ ...result, gates: gateResults })}\n`);
    await file.close(args.quiet);
  }
  if (args["html-output"]) {
    await writeAggregateHtml(args["html-output"], result, gateResults, runs);
    if (!args.quiet) process.stderr.write(`Wrote HTML report: ${args["html-output"]}\n`);
  }
  process.exitCode = await publishGates(gateResults, {
    junit: args.junit,
    stepSummary: args["github-step-summary"],
    summary: markdown,
    suite: "headroom-analyze aggregate",
    warn: io.warn,
  });
}

/** A result with no runs: only its gate names matter, to check --fail-on before reading anything. */
function emptyResult() {
  const empty = { n: 0, mean: null, median: null, sd: null, not_counted: 0 };
  const metric = { description: "", unit: "", better: null, delta_kind: "relative" as const, direct: empty, headroom: empty, delta: { value: null, ci_low: null, ci_high: null }, verdict: null };
  return {
    schema_version: 1 as const,
    kind: "aggregate" as const,
    runs: 0,
    labels: { direct: "direct", headroom: "headroom" },
    confidence: 0.95,
    bootstrap: { resamples: 0, seed: DEFAULT_SEED },
    equivalence_margin_pct: null,
    metrics: Object.fromEntries(METRICS.map((definition) => [definition.name, metric])),
    warnings: [],
  };
}

/** Register `aggregate` on the command line. */
export function aggregateCommand<T>(y: Argv<T>, io: CommandIo): Argv<T> {
  return y.command(
    "aggregate <reports..>",
    "Merge network-diff JSON reports (repetitions, tasks, other machines' jobs): per metric and arm mean, median, sd, n; the difference with a 95 % bootstrap interval; a verdict",
    (command) =>
      gateOptions(command)
        .positional("reports", { type: "string", array: true, demandOption: true, describe: "network-diff JSON reports, or folders: every report.json below a folder (what the runner writes per run)" })
        .option("output", { alias: "o", type: "string", requiresArg: true, describe: "Write the Markdown here instead of stdout (parent folders are created)" })
        .option("json-output", { type: "string", requiresArg: true, describe: "Also write the aggregate as JSON here (runs, metrics, groups, gates)" })
        .option("html-output", {
          type: "string",
          requiresArg: true,
          describe: "Also write a self-contained HTML report here: the verdict, the figures, gates, each run's value per arm against the interval, the list of runs (private: 0600)",
        })
        .option("quiet", { alias: "q", type: "boolean", default: false, describe: "No 'Wrote … report' lines (warnings still shown)" })
        .option("equivalence-margin", { type: "number", requiresArg: true, describe: "Also test equivalence (TOST) within ±PCT percent (percentage points for cache_hit)" })
        .option("seed", { type: "number", default: DEFAULT_SEED, describe: "Seed of the bootstrap (same reports and seed, same intervals)" })
        .epilog(METRICS_HELP)
        .example("$0 aggregate captures/runs", "Every runs/<i>/report.json the runner wrote with --repeat")
        .example("$0 aggregate captures/runs -o aggregate.md --html-output aggregate.html", "Also a page with a chart per metric to open in a browser")
        .example("$0 aggregate reports/ --fail-on 'prompt_tokens_delta_pct_ci_low > 0' --junit gates.xml --github-step-summary", "CI: fail when prompt tokens went up beyond doubt"),
    async (args) => runAggregate(args as unknown as AggregateArgs, io),
  );
}
