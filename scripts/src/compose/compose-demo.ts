#!/usr/bin/env node
/**
 * `make demo-docker`: the Compose harness end to end with the offline overlay — mock Anthropic API as
 * api.anthropic.com, the stand-in proxy (or, with --real-headroom, the real pinned Headroom proxy), the real
 * Claude Code CLI in both lanes — then the report, then `docker compose down -v`.
 *
 * The same commands the README gives for the real API, with `-f compose.offline.yml` added. On a machine that
 * reaches no registry it uses the images scripts/src/prepare-docker.ts built (hdnc/*), and prepares them first.
 *
 * The mock plays a scenario (--scenario, CLAUDE_SCENARIO in Compose), whose prompt and allowed tools the lanes get;
 * --arms runs the proxy lane once per arm of lanes.yml (e.g. headroom-passthrough: --no-optimize), recreating the
 * proxy lane's services with that arm's variables; --baseline runs the direct lane a second time into
 * direct-baseline.jsonl. With the real Headroom, its /stats is saved per arm before the next arm or `down`.
 *
 * While a lane runs it says what the lane waits for; when a lane fails it prints the last errors of that lane's
 * proxies. Ctrl-C, SIGTERM or a closed terminal stop the run and still end with `docker compose down -v`.
 *
 * Exit codes: 0 both lanes ran and the report was written; 1 a step failed (it says which); 2 bad usage;
 * 128 + the signal's number when stopped by a signal (130 for Ctrl-C).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import os from "node:os";
import { execa, type ResultPromise } from "execa";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { failWithUsageLine } from "../shared/cli.js";
import { prepareCapturesFolder } from "../lanes/captures.js";
import { DEFAULT_SCENARIO, allowedToolsArgs, loadScenario } from "../mock-anthropic/scenario.js";
import { DEFAULT_ARM, armEnvironment, armsNamed, readLaneDescription, type Arm } from "../lanes/lane-description.js";
import { BASELINE_LANE } from "../lanes/run-local-lanes.js";
import { BASELINE_CAPTURE, buildReports, reportsForTerminal, savingParagraph, type Reports } from "../lanes/reports.js";
import { LANES, laneProxyErrors, watchLane, type LaneName } from "../lanes/lane-watch.js";
import { freePort } from "../lanes/processes.js";
import { saveProxyStats } from "../lanes/proxy-stats.js";
import { localImages } from "../prepare-docker.js";
import { DEMO_PROJECT, REPO_ROOT, repoPath } from "../lanes/repo.js";
import { aggregateVerdict, runRepeated } from "../lanes/repeat.js";

export const COMPOSE_DIR = repoPath("docker", "differential-network-capture");
const SERVICES = ["mitm-direct", "mitm-headroom-upstream", "headroom-proxy", "mitm-headroom-client"];

/** Images prepare-docker builds on locally imported Debian; used when present (no registry needed). */
export const LOCAL_IMAGES: Record<string, string> = localImages();

export interface ComposeDemoOptions {
  capturesDir: string;
  /** mock: the offline overlay (mock API, stand-in or offline real Headroom); real: api.anthropic.com and the real Headroom. */
  api?: "mock" | "real";
  projectName: string;
  realHeadroom: boolean;
  /** The scripted session (CLAUDE_SCENARIO): the mock plays it, its prompt and allowed tools go to both lanes, the reports name it. */
  scenario?: string;
  /** The proxy lane's arms, from lanes.yml x-arms (default [DEFAULT_ARM]). */
  arms?: string[];
  /** A second run of the direct lane into direct-baseline.jsonl. */
  baseline?: boolean;
  keep: boolean;
  prepare: boolean;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
  /** How often to say what a running lane waits for (default 15 s). */
  progressEveryMs?: number;
}

export interface LaneRun {
  service: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** When the lane failed: the last errors its proxies logged or recorded. */
  proxyErrors: string[];
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
  const description = readLaneDescription();
  const arms = armsNamed(description, options.arms ?? [DEFAULT_ARM]);
  const scenario = loadScenario(options.scenario ?? DEFAULT_SCENARIO);
  if (options.prepare) await prepareDocker(options);
  const env: Record<string, string> = { ...(options.env as Record<string, string>) };
  env.CLAUDE_SCENARIO = scenario.name;
  env.CLAUDE_PROMPT ||= scenario.prompt;
  env.CLAUDE_DIRECT_ARGS ||= allowedToolsArgs(scenario);
  env.CLAUDE_HEADROOM_ARGS ||= allowedToolsArgs(scenario);
  for (const [name, image] of Object.entries(LOCAL_IMAGES)) {
    if (!env[name] && (await imageExists(image))) env[name] = image;
  }
  // A proxy token exercises the client lane's token injection (and proves it never reaches a capture).
  env.HEADROOM_PROXY_TOKEN ||= `demo-proxy-token-${randomBytes(12).toString("hex")}`;
  for (const name of ["MITM_DIRECT_PORT", "MITM_HEADROOM_CLIENT_PORT", "HEADROOM_PORT"]) env[name] ||= String(await freePort());
  if (options.api === "real" && !env.ANTHROPIC_API_KEY) throw new Error("ANTHROPIC_API_KEY is not set: the real API needs it (export it, or use the offline overlay)");
  // Against the real API the lanes work in the demo project, which the scenarios' prompts are about.
  if (options.api === "real") env.CLAUDE_WORKSPACE ||= DEMO_PROJECT;
  const moved = prepareCapturesFolder(options.capturesDir, { append: false });
  if (moved) options.log(`earlier captures moved to ${moved}`);
  env.CAPTURES_DIR = options.capturesDir;

  const compose = (args: string[], vars: Record<string, string> = {}) =>
    execa("docker", ["compose", "-p", options.projectName, ...composeFiles(options.realHeadroom, options.api), ...args], {
      cwd: COMPOSE_DIR,
      env: { ...env, ...vars },
      extendEnv: false,
      reject: false,
      stdin: "ignore",
      timeout: 600_000,
    });
  const down = () => compose(["--profile", "run", "down", "-v", "--remove-orphans"]);

  // Ctrl-C, kill or a closed terminal: stop the step under way, then take the project down as a normal end would.
  // Later signals (a second Ctrl-C, one relayed by a child) must not cut the `down` short: they are ignored.
  let step: ResultPromise | undefined;
  let stopping = false;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.log(`${signal}: stopping; compose down -v`);
    step?.kill("SIGTERM");
    void down().finally(() => process.exit(128 + (os.constants.signals[signal] ?? 15)));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stopOnSignal);

  const lanes: LaneRun[] = [];
  let proxyHealthy = false;
  try {
    const [first, ...others] = arms;
    const up = async (services: string[], vars: Record<string, string>): Promise<string | undefined> => {
      const result = await compose(["up", "-d", "--wait", ...services], vars);
      if (result.exitCode === 0) return undefined;
      const logs = await compose(["logs", "--no-color", "--tail", "30"], vars);
      return `docker compose up failed: ${lastLines(String(result.stderr))}\n${String(logs.stdout)}`;
    };
    const runLane = async (lane: LaneName, name: string, vars: Record<string, string>) => {
      if (stopping) return;
      const service = LANES[lane].client;
      options.log(`compose run --rm ${service} (${name})`);
      const stopWatching = watchLane(lane, options.capturesDir, options.log, options.progressEveryMs ?? 15_000);
      step = compose(["--profile", "run", "run", "--rm", "-T", service], vars);
      const run = await step.finally(stopWatching);
      step = undefined;
      const proxyErrors = run.exitCode === 0 ? [] : await proxyErrorsOf(lane, (args) => compose(args, vars), options.capturesDir);
      lanes.push({ service: name, exitCode: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr), proxyErrors });
      options.log(`${name}: exit ${run.exitCode}`);
    };
    const direct = { DIRECT_LANE: "direct", ...armEnvironment(first!) };
    options.log(`compose up: ${SERVICES.join(", ")}${options.realHeadroom ? " (real Headroom proxy)" : ""}, arm ${first!.name}, scenario ${scenario.name}`);
    const failure = await up(SERVICES, direct);
    proxyHealthy = (await containerHealth((args) => compose(args, direct), "headroom-proxy")) === "healthy";
    if (failure) return { ok: false, lanes, proxyHealthy, failure };
    await runLane("direct", "claude-direct", direct);
    if (options.baseline) {
      // The same lane again into another capture: mitm-direct is recreated with DIRECT_LANE=direct-baseline.
      const baseline = { ...direct, DIRECT_LANE: BASELINE_LANE };
      const failed = await up(["mitm-direct"], baseline);
      if (failed) return { ok: false, lanes, proxyHealthy, failure: failed };
      await runLane("direct", `claude-${BASELINE_LANE}`, baseline);
    }
    await runLane("headroom", "claude-headroom", direct);
    if (options.realHeadroom) await saveProxyStats(`http://127.0.0.1:${env.HEADROOM_PORT}`, env.HEADROOM_PROXY_TOKEN, options.capturesDir, first!.name, options.log);
    for (const arm of others) {
      // The proxy lane's services again with this arm's variables; Compose recreates what they change.
      const vars = { ...direct, ...armEnvironment(arm) };
      const failed = await up(["mitm-headroom-upstream", "headroom-proxy", "mitm-headroom-client"], vars);
      if (failed) return { ok: false, lanes, proxyHealthy, failure: failed };
      await runLane("headroom", `claude-${arm.name}`, vars);
      if (options.realHeadroom) await saveProxyStats(`http://127.0.0.1:${env.HEADROOM_PORT}`, env.HEADROOM_PROXY_TOKEN, options.capturesDir, arm.name, options.log);
    }
  } finally {
    // Stopped by a signal: its handler runs `down -v` and exits; nothing here may end the process first.
    if (stopping) await new Promise<never>(() => {});
    for (const signal of STOP_SIGNALS) process.removeListener(signal, stopOnSignal);
    if (!options.keep) {
      options.log("compose down -v");
      await down();
    }
  }
  const ok = lanes.length === 2 + (options.baseline ? 1 : 0) + others(arms).length && lanes.every((lane) => lane.exitCode === 0);
  // A failed lane leaves partial captures: its output, not a half report, is what the user needs to see.
  const report = ok ? await buildReports(options.capturesDir, arms.map((arm) => arm.name), scenario.name) : undefined;
  return { ok, lanes, report, proxyHealthy };
}

const others = (arms: Arm[]) => arms.slice(1);

const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** A failed lane's proxies: their logs (`docker compose logs`) and the lane's capture files, reduced to the errors. */
async function proxyErrorsOf(
  lane: LaneName,
  compose: (args: string[]) => Promise<{ stdout: unknown }>,
  capturesDir: string,
): Promise<string[]> {
  const logs = new Map<string, string>();
  for (const service of LANES[lane].proxies) {
    const result = await compose(["logs", "--no-color", "--no-log-prefix", "--tail", "200", service]);
    logs.set(service, String(result.stdout));
  }
  return laneProxyErrors(lane, capturesDir, (service) => logs.get(service) ?? "");
}

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
    .option("scenario", { type: "string", default: DEFAULT_SCENARIO, describe: "the mock's scripted session (CLAUDE_SCENARIO): a file name in scripts/src/mock-anthropic/scenarios/ without .yml" })
    .option("arms", { type: "string", default: DEFAULT_ARM, describe: "the proxy lane's arms, comma-separated, from lanes.yml x-arms (e.g. headroom,headroom-passthrough)" })
    .option("baseline", { type: "boolean", default: false, describe: `run the direct lane a second time into ${BASELINE_CAPTURE} (the noise baseline)` })
    .option("keep", { type: "boolean", default: false, describe: "leave the services running (no `down -v`)" })
    .option("prepare", { type: "boolean", default: true, describe: "run prepare-docker first (engine, Compose plugin, local images); --no-prepare to skip" })
    .option("progress-every", { type: "number", default: 15, describe: "seconds between the lines saying what a running lane waits for" })
    .option("api", { choices: ["mock", "real"] as const, default: "mock" as const, describe: "mock: the offline overlay; real: api.anthropic.com with the real Headroom (needs ANTHROPIC_API_KEY)" })
    .option("repeat", { type: "number", default: 1, describe: "run the lanes N times, arms interleaved; repetition i goes to <captures>/runs/<i>/, then <captures>/aggregate.md / .json / .html" })
    .check((args) => (Number.isInteger(args.repeat) && args.repeat >= 1) || `--repeat must be a whole number of 1 or more, got ${String(args.repeat)}`)
    .epilog("Exit codes: 0 success; 1 a step failed; 2 bad usage; 130 / 143 stopped by Ctrl-C / SIGTERM (after `docker compose down -v`).")
    .strict()
    .fail(failWithUsageLine("compose-demo"))
    .help()
    .parseAsync();

  const log = (line: string) => process.stderr.write(`compose-demo: ${line}\n`);
  const options = {
    api: argv.api,
    projectName: argv["project-name"],
    realHeadroom: argv["real-headroom"],
    scenario: argv.scenario,
    arms: argv.arms.split(",").map((arm) => arm.trim()).filter(Boolean),
    baseline: argv.baseline,
    keep: argv.keep,
    env: process.env,
    log,
    progressEveryMs: argv["progress-every"] * 1000,
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
    if (outcome.aggregate) {
      process.stdout.write(`\nAggregate: ${outcome.aggregate.markdown}\nHTML report (open in a browser): ${outcome.aggregate.html}\n\n${aggregateVerdict(outcome.aggregate.markdown)}\n`);
    }
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
    if (lane.exitCode !== 0 && lane.proxyErrors.length) process.stdout.write(`-- last errors of the lane's proxies\n${lane.proxyErrors.join("\n")}\n`);
  }
  process.stdout.write(`\nheadroom-proxy ${realHeadroom ? "(real Headroom)" : "(stand-in)"}: ${result.proxyHealthy ? "became healthy" : "NOT healthy"}\n`);
  if (result.failure) process.stdout.write(`\n${result.failure}\n`);
  if (result.report) {
    process.stdout.write(`\n${savingParagraph(result.report)}\n`);
    process.stdout.write(`HTML reports (open in a browser): ${result.report.html}, ${result.report.proxyHtml}\n`);
    for (const extra of result.report.armReports) process.stdout.write(`${extra.title}: ${extra.markdown}\n`);
    process.stdout.write(`\n${reportsForTerminal(result.report)}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`compose-demo: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
