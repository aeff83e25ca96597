#!/usr/bin/env node
/**
 * `make demo-docker`: the Compose harness end to end with the offline overlay — mock Anthropic API as
 * api.anthropic.com, the stand-in proxy (or, with --real-headroom, the real pinned Headroom proxy), the real
 * Claude Code CLI in both lanes — then the report, then `docker compose down -v`.
 *
 * The same commands the README gives for the real API, with `-f compose.offline.yml` added. On a machine that
 * reaches no registry it uses the images scripts/src/prepare-docker.ts built (hdnc/*), and prepares them first.
 *
 * Exit codes: 0 both lanes ran and the report was written; 1 a step failed (it says which); 2 bad usage.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { execa } from "execa";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { failWithUsageLine } from "../shared/cli.js";
import { prepareCapturesFolder } from "../lanes/captures.js";
import { buildReports, proxyChanges, reportSection, type Reports } from "../lanes/reports.js";
import { freePort } from "../lanes/processes.js";
import { localImages } from "../prepare-docker.js";
import { DEMO_PROJECT, REPO_ROOT, repoPath } from "../lanes/repo.js";
import { aggregateVerdict, runRepeated } from "../lanes/repeat.js";
import { allowedToolsArgs, loadScenario } from "../mock-anthropic/scenario.js";

export const COMPOSE_DIR = repoPath("docker", "differential-network-capture");
const SERVICES = ["mitm-direct", "mitm-headroom-upstream", "headroom-proxy", "mitm-headroom-client"];

/** Images prepare-docker builds on locally imported Debian; used when present (no registry needed). */
export const LOCAL_IMAGES: Record<string, string> = localImages();

export interface ComposeDemoOptions {
  capturesDir: string;
  /** mock: the offline overlay (mock API, stand-in or offline real Headroom); real: api.anthropic.com and the real Headroom. */
  api?: "mock" | "real";
  /** The scenario both lanes run (prompt, allowed tools); the reports name it. */
  scenario?: string;
  projectName: string;
  realHeadroom: boolean;
  keep: boolean;
  prepare: boolean;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
}

export interface LaneRun {
  service: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export interface ComposeDemoResult {
  ok: boolean;
  lanes: LaneRun[];
  report?: Reports;
  proxyHealthy: boolean;
  failure?: string;
}

export function composeFiles(realHeadroom: boolean, api: "mock" | "real" = "mock"): string[] {
  if (api === "real") return ["-f", "docker-compose.yml"];
  const files = ["docker-compose.yml", "compose.offline.yml"];
  if (realHeadroom) files.push("compose.real-headroom.yml");
  return files.flatMap((file) => ["-f", file]);
}

export async function runComposeDemo(options: ComposeDemoOptions): Promise<ComposeDemoResult> {
  if (options.prepare) await prepareDocker(options);
  const env: Record<string, string> = { ...(options.env as Record<string, string>) };
  for (const [name, image] of Object.entries(LOCAL_IMAGES)) {
    if (!env[name] && (await imageExists(image))) env[name] = image;
  }
  // A proxy token exercises the client lane's token injection (and proves it never reaches a capture).
  env.HEADROOM_PROXY_TOKEN ||= `demo-proxy-token-${randomBytes(12).toString("hex")}`;
  for (const name of ["MITM_DIRECT_PORT", "MITM_HEADROOM_CLIENT_PORT", "HEADROOM_PORT"]) env[name] ||= String(await freePort());
  if (options.api === "real" && !env.ANTHROPIC_API_KEY) throw new Error("ANTHROPIC_API_KEY is not set: the real API needs it (export it, or use the offline overlay)");
  if (options.scenario) Object.assign(env, scenarioEnvironment(options.scenario, env));
  const moved = prepareCapturesFolder(options.capturesDir, { append: false });
  if (moved) options.log(`earlier captures moved to ${moved}`);
  env.CAPTURES_DIR = options.capturesDir;

  const compose = (args: string[]) =>
    execa("docker", ["compose", "-p", options.projectName, ...composeFiles(options.realHeadroom, options.api), ...args], {
      cwd: COMPOSE_DIR,
      env,
      extendEnv: false,
      reject: false,
      stdin: "ignore",
      timeout: 600_000,
    });

  const lanes: LaneRun[] = [];
  let proxyHealthy = false;
  try {
    options.log(`compose up: ${SERVICES.join(", ")}${options.realHeadroom ? " (real Headroom proxy)" : ""}`);
    const up = await compose(["up", "-d", "--wait", ...SERVICES]);
    proxyHealthy = (await containerHealth(compose, "headroom-proxy")) === "healthy";
    if (up.exitCode !== 0) {
      const logs = await compose(["logs", "--no-color", "--tail", "30"]);
      return { ok: false, lanes, proxyHealthy, failure: `docker compose up failed: ${lastLines(String(up.stderr))}\n${String(logs.stdout)}` };
    }
    for (const service of ["claude-direct", "claude-headroom"]) {
      options.log(`compose run --rm ${service}`);
      const run = await compose(["--profile", "run", "run", "--rm", "-T", service]);
      lanes.push({ service, exitCode: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr) });
      options.log(`${service}: exit ${run.exitCode}`);
    }
  } finally {
    if (!options.keep) {
      options.log("compose down -v");
      await compose(["--profile", "run", "down", "-v", "--remove-orphans"]);
    }
  }
  const ok = lanes.length === 2 && lanes.every((lane) => lane.exitCode === 0);
  // A failed lane leaves partial captures: its output, not a half report, is what the user needs to see.
  const report = ok ? await buildReports(options.capturesDir, undefined, options.scenario) : undefined;
  return { ok, lanes, report, proxyHealthy };
}

/** A scenario's prompt and allowed tools for both lanes (unless set), its name for the mock, the demo project as workspace. */
function scenarioEnvironment(name: string, env: Record<string, string>): Record<string, string> {
  let scenario;
  try {
    scenario = loadScenario(name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    CLAUDE_SCENARIO: scenario.name,
    CLAUDE_PROMPT: env.CLAUDE_PROMPT || scenario.prompt,
    CLAUDE_DIRECT_ARGS: env.CLAUDE_DIRECT_ARGS || allowedToolsArgs(scenario),
    CLAUDE_HEADROOM_ARGS: env.CLAUDE_HEADROOM_ARGS || allowedToolsArgs(scenario),
    CLAUDE_WORKSPACE: env.CLAUDE_WORKSPACE || DEMO_PROJECT,
  };
}

class UsageError extends Error {}

async function prepareDocker(options: ComposeDemoOptions): Promise<void> {
  const args = ["--import", "tsx", repoPath("scripts", "src", "prepare-docker.ts")];
  const extraCa = options.env.EXTRA_CA_BUNDLE ?? "/etc/ssl/certs/ca-certificates.crt";
  options.log("preparing the Docker engine and images (scripts/src/prepare-docker.ts)");
  const result = await execa(process.execPath, [...args, "--extra-ca", extraCa], {
    cwd: REPO_ROOT,
    reject: false,
    stdout: "inherit",
    stderr: "inherit",
    stdin: "ignore",
  });
  if (result.exitCode !== 0) throw new Error(`prepare-docker failed (exit ${result.exitCode}); see its output above`);
}

async function imageExists(image: string): Promise<boolean> {
  const result = await execa("docker", ["image", "inspect", image], { reject: false, stdin: "ignore" });
  return result.exitCode === 0;
}

async function containerHealth(
  compose: (args: string[]) => Promise<{ stdout: unknown }>,
  service: string,
): Promise<string> {
  const ps = await compose(["ps", "--format", "{{.Service}} {{.Health}}", "--all"]);
  const line = String(ps.stdout).split("\n").find((l) => l.startsWith(`${service} `));
  return line?.split(" ")[1] ?? "missing";
}

function lastLines(text: string, count = 5): string {
  return text.trim().split("\n").slice(-count).join("\n");
}


async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("compose-demo")
    .usage("$0 [options]\n\nRun the Compose harness (offline: mock API; --api real: api.anthropic.com) with the real Claude Code CLI, build the reports, tear it down.")
    .option("captures", { type: "string", default: path.join(COMPOSE_DIR, "captures"), describe: "captures folder (CAPTURES_DIR in Compose)" })
    .option("project-name", { type: "string", default: "headroom-capture-demo", describe: "Compose project name" })
    .option("real-headroom", { type: "boolean", default: false, describe: "the real pinned Headroom proxy instead of the stand-in (compose.real-headroom.yml)" })
    .option("keep", { type: "boolean", default: false, describe: "leave the services running (no `down -v`)" })
    .option("prepare", { type: "boolean", default: true, describe: "run prepare-docker first (engine, Compose plugin, local images); --no-prepare to skip" })
    .option("api", { choices: ["mock", "real"] as const, default: "mock" as const, describe: "mock: the offline overlay; real: api.anthropic.com with the real Headroom (needs ANTHROPIC_API_KEY)" })
    .option("scenario", { type: "string", describe: "a scenario (scripts/src/mock-anthropic/scenarios/): its prompt and allowed tools in both lanes, the demo project as workspace, its name in the reports" })
    .option("repeat", { type: "number", default: 1, describe: "run the lanes N times, arms interleaved; repetition i goes to <captures>/runs/<i>/, then <captures>/aggregate.md / .json" })
    .check((args) => (Number.isInteger(args.repeat) && args.repeat >= 1) || `--repeat must be a whole number of 1 or more, got ${String(args.repeat)}`)
    .epilog("Exit codes: 0 success; 1 a step failed; 2 bad usage.")
    .strict()
    .fail(failWithUsageLine("compose-demo"))
    .help()
    .parseAsync();

  const log = (line: string) => process.stderr.write(`compose-demo: ${line}\n`);
  const options = {
    api: argv.api,
    scenario: argv.scenario,
    projectName: argv["project-name"],
    realHeadroom: argv["real-headroom"],
    keep: argv.keep,
    env: process.env,
    log,
  };
  if (argv.repeat > 1) {
    const outcome = await runRepeated({
      repeat: argv.repeat,
      capturesDir: path.resolve(argv.captures),
      append: false,
      label: argv.scenario,
      log,
      runOnce: async (dir, index) => {
        const result = await runComposeDemo({ ...options, capturesDir: dir, prepare: argv.prepare && index === 1 });
        if (!result.ok) printOutcome(result, argv["real-headroom"] || argv.api === "real");
        return result.ok;
      },
    });
    if (outcome.aggregate) process.stdout.write(`\nAggregate: ${outcome.aggregate.markdown}\n\n${aggregateVerdict(outcome.aggregate.markdown)}\n`);
    return outcome.ok ? 0 : 1;
  }
  const result = await runComposeDemo({ ...options, capturesDir: path.resolve(argv.captures), prepare: argv.prepare });
  printOutcome(result, argv["real-headroom"] || argv.api === "real");
  return result.ok ? 0 : 1;
}

function printOutcome(result: ComposeDemoResult, realHeadroom: boolean): void {
  for (const lane of result.lanes) {
    process.stdout.write(`\n== ${lane.service} exit ${lane.exitCode}\n${lane.stdout.trim()}\n`);
    if (lane.exitCode !== 0) process.stdout.write(`-- stderr\n${lastLines(lane.stderr, 20)}\n`);
  }
  process.stdout.write(`\nheadroom-proxy ${realHeadroom ? "(real Headroom)" : "(stand-in)"}: ${result.proxyHealthy ? "became healthy" : "NOT healthy"}\n`);
  if (result.failure) process.stdout.write(`\n${result.failure}\n`);
  if (result.report) {
    process.stdout.write(`\nReport: ${result.report.markdown}\nWhat the proxy changed (client lane -> upstream lane): ${result.report.proxyMarkdown}\n`);
    for (const line of proxyChanges(result.report.proxyJson)) process.stdout.write(`  ${line}\n`);
    process.stdout.write("\n");
    process.stdout.write(`${reportSection(readFileSync(result.report.markdown, "utf8"), "Summary")}\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`compose-demo: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
