#!/usr/bin/env node
/**
 * headroom-analyze — the command line over the analyzer pipeline (see pipeline.ts).
 *
 * Why a top-level handler: the user gets one line on stderr and a documented exit code for every
 * failure, never a stack trace.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { aggregateCommand } from "./aggregate-command.js";
import { gateOptions } from "./ci-outputs.js";
import { EXIT, InputError, OutputError, UsageError } from "./errors.js";
import { HTML_BODIES_CHOICES, type HtmlBodies } from "./html-data.js";
import { fileSize } from "./load.js";
import { createContext } from "./normalize.js";
import { PAIR_BY_CHOICES, type PairBy } from "./pair.js";
import { runNetworkDiff, type DiffArgs, type DiffIo } from "./network-diff-command.js";
import { canRunInWorker, mainThreadIsLean, runNetworkDiffInWorker } from "./network-diff-worker.js";
import { readLane } from "./pipeline.js";
import { createProgress } from "./progress.js";
import { renderLaneSummary } from "./render-markdown.js";
import { runGateHelp } from "./run-metrics.js";
import { sanitizeCaptures, type SanitizeJob } from "./sanitize.js";
import { summarizeLane } from "./summarize.js";

const NAME = "headroom-analyze";

const EPILOG = `Input: JSONL, one record per exchange — schema v1 (schema/capture-record.v1.schema.json, written by addons/mitm_capture.py) or the records of Headroom's own "headroom capture" harness (request_json, or request_body_b64 / request_body).
Secrets: header values whose name contains authorization, api-key, apikey, token, secret or cookie, and URL query values whose key contains key, token, secret, signature or code, are redacted before anything is compared or written.

Exit codes:
  0   success (a record cut short — an interrupted capture — is skipped with a warning)
  1   a report or sanitized capture could not be written, an unexpected failure, or
      a Node.js older than the package's engines range
  2   bad input: a missing or unreadable file; a line that is not JSON, a record
      without method or url, a body nested deeper than 1024 levels or one that decodes
      to more than 64 MiB (all named as file:line); a file aggregate cannot read as a report
  3   a --fail-on gate failed (its condition holds, or its value could not be counted);
      the reports are written in full
  64  bad command line (unknown option, missing --direct/--headroom, bad --pair-by or
      --html-bodies, a report path that is an input or another report, sanitize files
      not in IN OUT pairs or an output that is an input, an unknown metric or a
      malformed --fail-on expression)`;

/** network-diff's --fail-on metrics, for --help. */
const GATES_HELP = `Gates (--fail-on 'METRIC OP NUMBER', OP one of < <= > >= == !=; a true condition fails, exit 3):\n${runGateHelp().map((line) => `  ${line}`).join("\n")}`;

function warn(message: string): void {
  process.stderr.write(`${NAME}: warning: ${message}\n`);
}

function writeStdout(text: string): Promise<void> {
  return new Promise((done) => {
    process.stdout.write(text, () => done());
  });
}

/** A reader that stops early (`| head`) is fine: stop quietly. Any other stdout failure is one line. */
function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") process.stderr.write(`${NAME}: error: cannot write to stdout (${error.code ?? error.message})\n`);
  process.exit(error.code === "EPIPE" ? EXIT.ok : EXIT.failure);
}

/** What network-diff shows the user, from this thread. */
const DIFF_IO: DiffIo = {
  warn,
  stdout: writeStdout,
  progress: (total, quiet) => createProgress(total, process.stderr, !quiet),
};

/** network-diff, in a worker thread when built and node's own young generation is the default (network-diff-worker.ts says why). */
async function networkDiffCommand(args: DiffArgs): Promise<void> {
  process.exitCode = await (canRunInWorker() && !mainThreadIsLean() ? runNetworkDiffInWorker(args, DIFF_IO) : runNetworkDiff(args, DIFF_IO));
}

async function runSummary(args: { file: string; quiet: boolean }): Promise<void> {
  const progress = createProgress(await fileSize(args.file), process.stderr, !args.quiet);
  const context = createContext();
  const lane = await readLane("lane", args.file, context, {
    onBytes: (bytes) => progress.advance(bytes),
    onWarning: (message) => {
      progress.clear();
      warn(message);
    },
  }).finally(() => progress.done());
  await writeStdout(renderLaneSummary(args.file, lane.exchanges, summarizeLane(args.file, lane.exchanges, undefined, context.paths.paths), lane.warnings));
}

/** IN OUT [IN OUT ...] -> jobs; an output must not be an input or another output. */
function sanitizeJobs(files: string[]): SanitizeJob[] {
  if (files.length % 2 !== 0) throw new UsageError("sanitize takes pairs of files: IN OUT [IN OUT ...]");
  const jobs: SanitizeJob[] = [];
  for (let i = 0; i < files.length; i += 2) jobs.push({ input: files[i] as string, output: files[i + 1] as string });
  const inputs = new Set(jobs.map((job) => resolve(job.input)));
  const outputs = new Set<string>();
  for (const { output } of jobs) {
    const target = resolve(output);
    if (inputs.has(target)) throw new UsageError(`${output} is an input capture; write the sanitized capture elsewhere`);
    if (outputs.has(target)) throw new UsageError(`${output} is named as output twice`);
    outputs.add(target);
  }
  return jobs;
}

async function runSanitize(args: { files: string[]; salt?: string; quiet: boolean }): Promise<void> {
  const jobs = sanitizeJobs(args.files);
  if (args.salt !== undefined && args.salt.trim() === "") throw new UsageError("--salt needs a text (or leave it out for a random key)");
  let total = 0;
  for (const job of jobs) total += await fileSize(job.input);
  const progress = createProgress(total, process.stderr, !args.quiet);
  const result = await sanitizeCaptures(jobs, {
    salt: args.salt,
    onBytes: (bytes) => progress.advance(bytes),
    onWarning: (message) => {
      progress.clear();
      warn(message);
    },
  }).finally(() => progress.done());
  if (jobs.length === 1 && args.salt === undefined) {
    warn("sanitized with a one-off key: captures sanitized in another run will not match this one (name them all in one call, or give each run the same --salt)");
  }
  if (result.clashes > 0) warn(`${result.clashes} short strings share a stand-in with another string of their length; paths holding them may show as unchanged`);
  if (!args.quiet) for (const job of jobs) process.stderr.write(`Wrote sanitized capture: ${job.output}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const cli = yargs(argv)
    .scriptName(NAME)
    .usage(`$0 [network-diff] --direct FILE --headroom FILE [options]\n$0 summary FILE\n$0 sanitize IN OUT [IN OUT ...] [--salt TEXT]\n$0 aggregate REPORT.json|DIR... [options]\n\nCompare two lane captures (direct vs. through an LLM proxy such as Headroom) request by request.`)
    .command(
      ["network-diff", "$0"],
      "Compare a direct capture with a headroom capture; Markdown report to stdout or --output (default command)",
      (y) =>
        gateOptions(y)
          .option("direct", { type: "string", demandOption: true, describe: "Capture of the direct lane (JSONL)" })
          .option("headroom", { type: "string", demandOption: true, describe: "Capture of the headroom lane (JSONL)" })
          .option("output", { alias: "o", type: "string", describe: "Write the Markdown report here instead of stdout (parent folders are created)" })
          .option("json-output", { type: "string", describe: "Also write the JSON report here (parent folders are created)" })
          .option("html-output", {
            type: "string",
            describe: "Also write a self-contained HTML report here (charts, pair list, side-by-side requests; private like the captures: 0600)",
          })
          .option("html-bodies", {
            choices: HTML_BODIES_CHOICES,
            default: "changed" as HtmlBodies,
            describe: "Request content in the HTML report: none (structure, sizes and hashes only), changed (values of elements that differ), all",
          })
          .option("pair-by", {
            choices: PAIR_BY_CHOICES,
            default: "conversation" as PairBy,
            describe:
              "How exchanges pair: conversation = /v1/messages turns grouped into conversations (model + system + first message) and aligned turn by turn, other routes by path; path = n-th exchange of each method + path with query; route = method + host + path with query; model = path + the request's model",
          })
          .option("direct-label", { type: "string", default: "direct", describe: "What the report calls the --direct side (JSON keys stay direct/headroom)" })
          .option("headroom-label", { type: "string", default: "headroom", describe: "What the report calls the --headroom side" })
          .option("prices", {
            type: "string",
            describe: "JSON file of USD per million tokens by model (input, output, cache_write, cache_read, optional cache_write_1h; keys: exact id, prefix*, or *): adds an estimated cost per lane and over the pairs with usage on both sides (see analyzer/prices.example.json)",
          })
          .option("proxy-stats", {
            type: "string",
            describe: "The proxy's saved stats (Headroom's /stats as JSON, e.g. captures/headroom-proxy-stats.json): set beside the captures in the report's proxy account",
          })
          .option("baseline", {
            type: "string",
            describe:
              "A second capture of the direct lane on the same task: a JSON path (indexes as [*]) or header that also differs between the direct lane and this baseline is listed as noise (json.noise, headers.noise), not as a change",
          })
          .option("quiet", { alias: "q", type: "boolean", default: false, describe: "No progress bar and no 'Wrote … report' lines (warnings still shown)" })
          .option("scenario", { type: "string", requiresArg: true, describe: "The scenario or task both lanes ran; written into the JSON report so aggregate can group by it" })
          .epilog(GATES_HELP)
          .example("$0 --direct captures/direct.jsonl --headroom captures/headroom-client.jsonl", "Markdown report to stdout")
          .example(
            "$0 --direct captures/headroom-client.jsonl --headroom captures/headroom-upstream.jsonl --direct-label client --headroom-label upstream",
            "What the proxy changed: its input lane against its output lane",
          )
          .example(
            "$0 --direct captures/direct.jsonl --headroom captures/headroom-client.jsonl --baseline captures/direct-baseline.jsonl",
            "Differences a second direct run shows too are classed as noise",
          )
          .example("$0 --direct d.jsonl --headroom h.jsonl --output diff.md --html-output diff.html", "Also a self-contained HTML report to open in a browser")
          .example(
            "$0 network-diff --direct d.jsonl --headroom h.jsonl --output reports/diff.md --json-output reports/diff.json --pair-by route",
            "Both reports into reports/, pairing by method + host + path",
          ),
      async (args) => networkDiffCommand(args as unknown as DiffArgs),
    )
    .command(
      "summary <file>",
      "One capture's exchanges as a table: sequence, route, status, model, body bytes, tools count, stream, prompt tokens, cache read, output tokens, first byte ms; and its prompt-cache prefix breaks",
      (y) =>
        y
          .positional("file", { type: "string", demandOption: true, describe: "A lane capture (JSONL)" })
          .option("quiet", { alias: "q", type: "boolean", default: false, describe: "No progress bar" })
          .example("$0 summary captures/direct.jsonl", "Quick look at one capture"),
      async (args) => runSummary({ file: String(args.file), quiet: Boolean(args.quiet) }),
    )
    .command(
      "sanitize <in> <out> [more..]",
      "Write a copy of a capture safe to attach to a bug report (mode 0600): every string replaced by a keyed stand-in of the same length, header values only for non-sensitive headers; network-diff on sanitized captures gives the same report. Name all lanes in one call (IN OUT IN OUT ...) so ids and strings match across them",
      (y) =>
        y
          .positional("in", { type: "string", demandOption: true, describe: "A lane capture (JSONL)" })
          .positional("out", { type: "string", demandOption: true, describe: "Where to write its sanitized copy (parent folders are created)" })
          .positional("more", { type: "string", array: true, describe: "More IN OUT pairs, sanitized with the same key" })
          .option("salt", {
            type: "string",
            describe:
              "Derive the key from this text instead of a random one, to sanitize lanes in separate runs that still match. Keep it private: with it, anyone can test guesses of short strings",
          })
          .option("quiet", { alias: "q", type: "boolean", default: false, describe: "No progress bar and no 'Wrote …' lines" })
          .example("$0 sanitize captures/direct.jsonl shared/direct.jsonl captures/headroom-client.jsonl shared/headroom-client.jsonl", "Both lanes, one key")
          .example("$0 network-diff --direct shared/direct.jsonl --headroom shared/headroom-client.jsonl", "The same report from the sanitized pair"),
      async (args) =>
        runSanitize({
          files: [String(args.in), String(args.out), ...((args.more as string[] | undefined) ?? []).map(String)],
          salt: args.salt,
          quiet: Boolean(args.quiet),
        }),
    );
  await aggregateCommand(cli, { warn, stdout: writeStdout })
    .strict()
    .epilog(EPILOG)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError((message ?? "invalid command line").replace(/\s*\n\s*/g, " "));
    })
    .help()
    .version(packageVersion())
    .parseAsync();
}

/** This package's version, from its package.json (one folder above dist/). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/** Map any failure to one stderr line and an exit code. */
export function exitCodeFor(error: unknown): { code: number; message: string } {
  if (error instanceof InputError) return { code: EXIT.badInput, message: error.message };
  if (error instanceof UsageError) return { code: EXIT.usage, message: `${error.message} (see --help)` };
  if (error instanceof OutputError) return { code: EXIT.failure, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: EXIT.failure, message: `unexpected failure: ${message.replace(/\s*\n\s*/g, " ")}` };
}

process.stdout.on("error", onStdoutError);
main(hideBin(process.argv)).then(
  () => {
    process.exitCode ??= EXIT.ok;
  },
  (error: unknown) => {
    const { code, message } = exitCodeFor(error);
    process.stderr.write(`${NAME}: error: ${message}\n`);
    process.exitCode = code;
  },
);
