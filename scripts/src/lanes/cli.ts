#!/usr/bin/env node
/**
 * `run-lanes`: both lanes on this machine, then the report. A thin shell over runLocalLanes().
 *
 *   npx tsx scripts/src/lanes/cli.ts                      # offline: mock API + stand-in proxy
 *   npx tsx scripts/src/lanes/cli.ts --api real           # the real API (needs ANTHROPIC_API_KEY)
 *   npx tsx scripts/src/lanes/cli.ts --proxy headroom     # the real `headroom proxy` instead of the stand-in
 *   npx tsx scripts/src/lanes/cli.ts --arms headroom,headroom-passthrough --baseline
 */
import path from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { failWithUsageLine } from "../shared/cli.js";
import { DEFAULT_SCENARIO, allowedToolsArgs, loadScenario, scenarioNames } from "../mock-anthropic/scenario.js";
import { DEFAULT_ARM, readLaneDescription } from "./lane-description.js";
import { DEMO_PROJECT, REPO_ROOT } from "./repo.js";
import { aggregateVerdict, runRepeated } from "./repeat.js";
import { reportsForTerminal, savingParagraph } from "./reports.js";
import { runLocalLanes, UsageError, type ApiChoice, type ProxyChoice, type RunResult } from "./run-local-lanes.js";

/** Exit codes: 0 both lanes ran and the report was written; 1 a lane's client failed; 2 bad usage/setup. */
async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("run-lanes")
    .usage("$0 [options]\n\nRun the direct and headroom lanes as local processes (the Compose topology on 127.0.0.1), then build the report.")
    .option("api", { choices: ["mock", "real"] as const, default: "mock" as ApiChoice, describe: "mock: offline mock Anthropic API; real: api.anthropic.com (needs ANTHROPIC_API_KEY)" })
    .option("proxy", { choices: ["standin", "headroom"] as const, default: "standin" as ProxyChoice, describe: "standin: the offline stand-in proxy; headroom: the real `headroom proxy` (HEADROOM_COMMAND, else .venv-headroom from `make headroom-venv`, else headroom on PATH)" })
    .option("captures", { type: "string", default: path.join(REPO_ROOT, "captures"), describe: "folder for direct.jsonl, headroom-client.jsonl, headroom-upstream.jsonl and the report" })
    .option("project", { type: "string", describe: "folder Claude Code works in (copied fresh for each lane); default: the demo project with --api mock, the current folder otherwise" })
    .option("run-dir", { type: "string", describe: "folder for logs, CAs and the throwaway HOME (default: a temp folder, removed after a successful run)" })
    .option("keep-run-dir", { type: "boolean", default: false, describe: "keep the temp run folder (logs) after success" })
    .option("append", { type: "boolean", default: false, describe: "append to existing captures instead of moving them to captures/previous/<time>/" })
    .option("report", { type: "boolean", default: true, describe: "build report.md / report.json / report.html with headroom-analyze (--no-report to skip)" })
    .option("scenario", {
      type: "string",
      describe: `the mock's scripted session, which also gives Claude Code its prompt and allowed tools: ${scenarioNames().join(", ")} (default ${DEFAULT_SCENARIO} with --api mock)`,
    })
    .option("arms", {
      type: "string",
      default: DEFAULT_ARM,
      describe: `the proxy lane's arms to run, comma-separated, from lanes.yml x-arms: ${Object.keys(readLaneDescription().arms).join(", ")}`,
    })
    .option("baseline", {
      type: "boolean",
      default: false,
      describe: "run the direct lane a second time into direct-baseline.jsonl: the noise baseline the report sets the differences against",
    })
    .option("timeout", { type: "number", default: 300, describe: "seconds each Claude Code run may take; then its whole process group (tool subprocesses too) is ended" })
    .option("progress-every", { type: "number", default: 15, describe: "seconds between the lines saying what a running lane waits for" })
    .option("repeat", { type: "number", default: 1, describe: "run every lane N times, arms interleaved; repetition i goes to captures/runs/<i>/, then captures/aggregate.md / .json / .html" })
    .epilog(
      [
        "Environment (as in Compose): CLAUDE_COMMAND, CLAUDE_PROMPT, CLAUDE_DIRECT_ARGS, CLAUDE_HEADROOM_ARGS (default: the scenario's),",
        "CAPTURE_INCLUDE_HOSTS, HEADROOM_PROXY_TOKEN, ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN); MITMDUMP (default .venv/bin/mitmdump).",
        "Exit codes: 0 success; 1 a lane's Claude Code run failed; 2 bad usage or setup.",
      ].join("\n"),
    )
    .check((args) => {
      for (const name of ["timeout", "progress-every"] as const) {
        const value = args[name];
        if (!(Number.isFinite(value) && value > 0)) return `--${name} must be a positive number of seconds, got ${String(value)}`;
      }
      return (Number.isInteger(args.repeat) && args.repeat >= 1) || `--repeat must be a whole number of 1 or more, got ${String(args.repeat)}`;
    })
    .strict()
    .fail(failWithUsageLine("run-lanes"))
    .help()
    .parseAsync();

  const env = { ...process.env };
  const api = argv.api as ApiChoice;
  const scenarioName = argv.scenario ?? (api === "mock" ? DEFAULT_SCENARIO : undefined);
  if (scenarioName !== undefined) {
    let scenario;
    try {
      scenario = loadScenario(scenarioName);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    // The scenario's task, with the tools it runs allowed in print mode (both lanes alike).
    env.CLAUDE_PROMPT ??= scenario.prompt;
    env.CLAUDE_DIRECT_ARGS ??= allowedToolsArgs(scenario);
    env.CLAUDE_HEADROOM_ARGS ??= allowedToolsArgs(scenario);
  }
  const project = argv.project ?? (api === "mock" ? DEMO_PROJECT : process.cwd());
  const runOnce = (capturesDir: string, append: boolean) => runLocalLanes({
    api,
    proxy: argv.proxy as ProxyChoice,
    capturesDir,
    scenario: scenarioName,
    arms: argv.arms.split(",").map((arm) => arm.trim()).filter(Boolean),
    baseline: argv.baseline,
    project: path.resolve(project),
    runDir: argv["run-dir"] ? path.resolve(argv["run-dir"]) : undefined,
    keepRunDir: argv["keep-run-dir"],
    append,
    report: argv.report,
    clientTimeoutMs: argv.timeout * 1000,
    progressEveryMs: argv["progress-every"] * 1000,
    env,
    log: (line) => process.stderr.write(`run-lanes: ${line}\n`),
  });
  if (argv.repeat > 1) return runRepetitions(argv.repeat, path.resolve(argv.captures), argv.append, scenarioName, runOnce);
  const result = await runOnce(path.resolve(argv.captures), argv.append);
  printOutcome(result);
  return result.ok ? 0 : 1;
}

/** `--repeat N`: each repetition into captures/runs/<i>/, a progress line per run, then the aggregate's verdict. */
async function runRepetitions(
  repeat: number,
  capturesDir: string,
  append: boolean,
  scenario: string | undefined,
  runOnce: (dir: string, append: boolean) => Promise<RunResult>,
): Promise<number> {
  const log = (line: string) => process.stderr.write(`run-lanes: ${line}\n`);
  const outcome = await runRepeated({
    repeat,
    capturesDir,
    append,
    label: scenario,
    log,
    runOnce: async (dir) => {
      const result = await runOnce(dir, false);
      if (!result.ok) printOutcome(result);
      return result.ok;
    },
  });
  if (outcome.aggregate) {
    process.stdout.write(`\nRepetitions: ${outcome.runsDir}/<i>/\nAggregate: ${outcome.aggregate.markdown}\n          ${outcome.aggregate.json}\n`);
    process.stdout.write(`HTML report (open in a browser): ${outcome.aggregate.html}\n\n`);
    process.stdout.write(`${aggregateVerdict(outcome.aggregate.markdown)}\n`);
  }
  if (outcome.failed.length) process.stdout.write(`\nFailed repetitions: ${outcome.failed.join(", ")}\n`);
  return outcome.ok ? 0 : 1;
}

function printOutcome(result: RunResult): void {
  const out = process.stdout;
  for (const client of result.clients) {
    out.write(`\n== claude (${client.lane}) exit ${client.timedOut ? "timeout" : client.exitCode}\n${client.stdout.trim()}\n`);
    if (client.exitCode !== 0) out.write(`-- stderr\n${client.stderr.trim()}\n`);
    if (client.exitCode !== 0 && client.proxyErrors.length) {
      out.write(`-- last errors of the ${client.lane} lane's proxies\n${client.proxyErrors.join("\n")}\n`);
    }
  }
  out.write(`\nCaptures:\n${result.captureFiles.map((file) => `  ${file}\n`).join("")}`);
  if (result.report) {
    out.write(`\n${savingParagraph(result.report)}\n`);
    out.write(`HTML reports (open in a browser): ${result.report.html}, ${result.report.proxyHtml}\n`);
    for (const extra of result.report.armReports) out.write(`${extra.title}: ${extra.markdown}\n`);
    out.write(`\n${reportsForTerminal(result.report)}`);
  }
  if (!result.ok) out.write(`\nA lane failed; logs are in ${result.runDir}/logs\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`run-lanes: ${message}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
