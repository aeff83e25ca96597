#!/usr/bin/env node
/**
 * The matrix — scenarios × repeat shards × arms — described once, for CI and for one machine.
 *
 *   matrix.ts plan                 the GitHub Actions matrix as JSON (what .github/workflows/matrix.yml runs)
 *   matrix.ts run                  `make matrix`: every job of the matrix offline, one after the other on this
 *                                  machine (mock API; stand-in or, with --proxy headroom, real Headroom), then the
 *                                  final job's aggregate with the gates, JUnit and step summary
 *
 * A job is one scenario and one shard: the lanes run --repeat times into <out>/<scenario>-<shard>/runs/<i>/.
 * The final job merges every job's report.json, wherever it ran, with `headroom-analyze aggregate`:
 * reports name their scenario, so the aggregate groups by it.
 *
 * Exit codes: 0 every job ran and every gate held; 1 a job failed; 2 bad usage; 3 a gate failed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { failWithUsageLine } from "../shared/cli.js";
import { scenarioNames } from "../mock-anthropic/scenario.js";
import { ANALYZER_CLI, REPO_ROOT, repoPath } from "../lanes/repo.js";

/**
 * The gates the final job applies unless told otherwise: fail when the proxy arm sent more prompt tokens,
 * or failed more exchanges, beyond the run-to-run noise (the whole 95 % interval above zero).
 */
export const DEFAULT_GATES = ["prompt_tokens_delta_pct_ci_low > 0", "errors_delta_ci_low > 0"];

export interface MatrixPlan {
  scenario: string[];
  shard: number[];
}

/** Scenarios (default: every scenario file) × shards 1..N. */
export function plan(scenarios: string[] | undefined, shards: number): MatrixPlan {
  const known = scenarioNames();
  const chosen = scenarios && scenarios.length ? scenarios : known;
  for (const name of chosen) if (!known.includes(name)) throw new UsageError(`no scenario named ${name} (there are: ${known.join(", ")})`);
  return { scenario: chosen, shard: Array.from({ length: shards }, (_, i) => i + 1) };
}

class UsageError extends Error {}

function list(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter(Boolean);
}

interface RunArgs {
  scenarios: string[];
  shards: number;
  repeat: number;
  proxy: string;
  out: string;
  gates: string[];
}

/** An earlier matrix folder moves aside (previous/<UTC time>/<name>), so the aggregate reads only this run's reports. */
function archiveEarlierMatrix(out: string): void {
  if (!existsSync(out) || readdirSync(out).length === 0) return;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const target = path.join(path.dirname(out), "previous", stamp);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  renameSync(out, path.join(target, path.basename(out)));
  process.stderr.write(`matrix: the earlier matrix moved to ${path.join(target, path.basename(out))}\n`);
}

/** Run every job here, then the final aggregate; returns the exit code. */
async function runMatrix(args: RunArgs): Promise<number> {
  const matrix = plan(args.scenarios, args.shards);
  archiveEarlierMatrix(args.out);
  mkdirSync(args.out, { recursive: true, mode: 0o700 });
  const jobs = matrix.scenario.flatMap((scenario) => matrix.shard.map((shard) => ({ scenario, shard })));
  const failed: string[] = [];
  for (const [index, job] of jobs.entries()) {
    const name = `${job.scenario}-${job.shard}`;
    process.stderr.write(`matrix: job ${index + 1}/${jobs.length}: ${name} (--repeat ${args.repeat})\n`);
    const run = await execa(
      process.execPath,
      ["--import", "tsx", repoPath("scripts", "src", "lanes", "cli.ts"), "--scenario", job.scenario, "--repeat", String(args.repeat), "--proxy", args.proxy, "--captures", path.join(args.out, name)],
      { cwd: REPO_ROOT, reject: false, stdin: "ignore", stdout: "ignore", stderr: "inherit" },
    );
    if (run.exitCode !== 0) failed.push(`${name} (exit ${run.exitCode})`);
  }
  const markdown = path.join(args.out, "aggregate.md");
  const gates = args.gates.flatMap((gate) => ["--fail-on", gate]);
  const stepSummary = process.env.GITHUB_STEP_SUMMARY ? ["--github-step-summary"] : [];
  const aggregate = await execa(
    process.execPath,
    [ANALYZER_CLI, "aggregate", args.out, "-o", markdown, "--json-output", path.join(args.out, "aggregate.json"), "--html-output", path.join(args.out, "aggregate.html"), "--junit", path.join(args.out, "junit.xml"), "--quiet", ...stepSummary, ...gates],
    { reject: false, stdin: "ignore", stdout: "inherit", stderr: "inherit" },
  );
  if (aggregate.exitCode === 0 || aggregate.exitCode === 3) {
    process.stdout.write(`\n${readFileSync(markdown, "utf8")}\nMatrix: ${jobs.length} jobs, aggregate in ${args.out}/aggregate.md, .json, .html and junit.xml\n`);
    process.stdout.write(`HTML report (open in a browser): ${path.join(args.out, "aggregate.html")}\n`);
  }
  if (failed.length) {
    process.stdout.write(`Failed jobs: ${failed.join(", ")}\n`);
    return 1;
  }
  return aggregate.exitCode ?? 1;
}

async function main(): Promise<number> {
  const env = process.env;
  const argv = await yargs(hideBin(process.argv))
    .scriptName("matrix")
    .usage("$0 plan|run [options]\n\nThe matrix of scenarios × repeat shards: its plan for CI, or all of it offline on this machine.")
    .command("plan", "Print the GitHub Actions matrix ({scenario: [...], shard: [...]}) and the default gates as JSON")
    .command("run", "Run every job offline here (mock API), then aggregate with the gates, JUnit and step summary")
    .demandCommand(1, "name a command: plan or run")
    .option("scenarios", { type: "string", default: env.SCENARIOS ?? "", describe: "scenario names, comma or space separated (default: every scenario file; env SCENARIOS)" })
    .option("shards", { type: "number", default: Number(env.SHARDS || 2), describe: "repeat shards per scenario: jobs that each run --repeat times (env SHARDS)" })
    .option("repeat", { type: "number", default: Number(env.REPEAT || 2), describe: "repetitions per job (env REPEAT)" })
    .option("proxy", { choices: ["standin", "headroom"], default: env.PROXY || "standin", describe: "run: the stand-in proxy or the real Headroom (env PROXY)" })
    .option("out", { type: "string", default: env.MATRIX_OUT || path.join(REPO_ROOT, "captures", "matrix"), describe: "run: folder for the jobs' captures and reports and the aggregate (env MATRIX_OUT)" })
    .option("fail-on", { type: "string", array: true, nargs: 1, describe: `run: gates of the final aggregate (default: ${DEFAULT_GATES.map((gate) => `'${gate}'`).join(" ")}; env FAIL_ON, ';'-separated)` })
    .check((args) => {
      for (const name of ["shards", "repeat"] as const) {
        if (!Number.isInteger(args[name]) || args[name] < 1) return `--${name} must be a whole number of 1 or more, got ${String(args[name])}`;
      }
      return true;
    })
    .strict()
    .fail(failWithUsageLine("matrix"))
    .help()
    .parseAsync();
  const command = String(argv._[0]);
  const gates = argv["fail-on"] ?? (env.FAIL_ON ? env.FAIL_ON.split(";").map((gate) => gate.trim()).filter(Boolean) : DEFAULT_GATES);
  if (command === "plan") {
    process.stdout.write(`${JSON.stringify({ matrix: plan(list(argv.scenarios), argv.shards), gates })}\n`);
    return 0;
  }
  if (command !== "run") throw new UsageError(`unknown command ${command}: plan or run`);
  return runMatrix({ scenarios: list(argv.scenarios), shards: argv.shards, repeat: argv.repeat, proxy: argv.proxy, out: path.resolve(argv.out), gates });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`matrix: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
