/**
 * The Compose topology as local processes, for machines without Docker and for the offline demo.
 *
 *   claude (direct)   --HTTPS_PROXY-->  mitm-direct (regular)            --> API
 *   claude (headroom) --BASE_URL----->  mitm-headroom-client (reverse) --> proxy --HTTPS_PROXY--> mitm-headroom-upstream --> API
 *
 * The proxy lane runs once per arm (lanes.yml x-arms: e.g. headroom, headroom-passthrough), each arm with its own
 * proxy process, mitmproxies and captures; with a baseline, the direct lane runs a second time into
 * direct-baseline.jsonl (the noise baseline: what differs between two identical runs).
 *
 * Every lane's environment comes from docker/differential-network-capture/lanes.yml, the file Compose extends,
 * with container addresses turned into 127.0.0.1 ports. The API is the mock (offline; the lanes' mitmproxies
 * connect api.anthropic.com to it without changing a byte) or the real one; the proxy is the stand-in or the
 * real `headroom proxy`. Every process is stopped on success, failure and Ctrl-C.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  DEFAULT_ARM,
  MITM_SERVICES,
  armEnvironment,
  armsNamed,
  localCommand,
  readLaneDescription,
  serviceEnvironment,
  type LaneDescription,
  type Arm,
  type LocalPlaces,
  type MitmService,
  type ServiceName,
} from "./lane-description.js";
import { prepareCapturesFolder } from "./captures.js";
import { laneProxyErrors, watchLane, type LaneName } from "./lane-watch.js";
import { freePort, ProcessGroup } from "./processes.js";
import { saveProxyStats } from "./proxy-stats.js";
import { buildReports, type Reports } from "./reports.js";
import {
  CAPTURE_ADDON,
  CLAUDE_LANE_SCRIPT,
  NODE_BIN,
  OFFLINE_UPSTREAM_ADDON,
  REPO_ROOT,
  VENV_HEADROOM,
  VENV_MITMDUMP,
  VENV_TIKTOKEN_CACHE,
  repoPath,
} from "./repo.js";

export type ApiChoice = "mock" | "real";
export type ProxyChoice = "standin" | "headroom";

export interface RunOptions {
  api: ApiChoice;
  proxy: ProxyChoice;
  capturesDir: string;
  /** The scripted session (a scenario name or .yml path): the mock plays it; the reports name it (`--scenario`). */
  scenario?: string;
  /** The proxy lane's arms to run, names from lanes.yml x-arms (default: [DEFAULT_ARM]). */
  arms?: string[];
  /** Run the direct lane a second time into direct-baseline.jsonl (the noise baseline). */
  baseline?: boolean;
  /** The project Claude Code works in; each lane gets a fresh copy at the same path. */
  project: string;
  runDir?: string;
  keepRunDir: boolean;
  append: boolean;
  report: boolean;
  clientTimeoutMs: number;
  /** How often to say what a running lane is waiting for (default 15 s). */
  progressEveryMs?: number;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
}

export interface LaneClientResult {
  /** "direct", "direct-baseline", or the arm's name (e.g. "headroom"). */
  lane: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** When the client failed: the last errors its lane's proxies logged or recorded (lane-watch.ts). */
  proxyErrors: string[];
}

export interface RunResult {
  ok: boolean;
  clients: LaneClientResult[];
  captures: { direct: string; headroomClient: string; headroomUpstream: string };
  /** Every capture file the run wrote, lane by lane (direct, direct-baseline, <arm>-client, <arm>-upstream). */
  captureFiles: string[];
  report?: Reports;
  mockDigestLog?: string;
  runDir: string;
}

export const LANE_CAPTURE_FILES = {
  direct: "direct.jsonl",
  headroomClient: "headroom-client.jsonl",
  headroomUpstream: "headroom-upstream.jsonl",
} as const;

/** The second direct run's lane name and capture (the noise baseline the analyzer's --baseline reads). */
export const BASELINE_LANE = "direct-baseline";

const READY_MS = 60_000;
const LISTENING = /"event":"listening".*"url":"([^"]+)"/;
const MITM_LISTENING = /listening at (?:http:\/\/)?\[?([0-9a-f.:]+)\]?:(\d+)/i;

const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Variables every child gets from the caller's environment; everything else is set deliberately. */
const PASSED_THROUGH = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "TERM"];

export async function runLocalLanes(options: RunOptions): Promise<RunResult> {
  // Everything that can be wrong with the set-up is checked before anything is started or removed.
  // What the command line asked for first, then what the machine lacks.
  const description = readLaneDescription();
  let arms: Arm[];
  try {
    arms = armsNamed(description, options.arms ?? [DEFAULT_ARM]);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // Claude Code's credentials: an API key, or a bearer token (ANTHROPIC_AUTH_TOKEN) for gateways that want one.
  const authToken = options.env.ANTHROPIC_AUTH_TOKEN || "";
  const apiKey = options.env.ANTHROPIC_API_KEY || (options.api === "mock" && !authToken ? "sk-ant-demo-offline-not-a-real-key" : "");
  if (!apiKey && !authToken) {
    throw new UsageError("ANTHROPIC_API_KEY is not set: export it to run the lanes against the real API");
  }
  const mitmdump = options.env.MITMDUMP || VENV_MITMDUMP;
  if (!existsSync(mitmdump)) throw new UsageError(`mitmdump not found at ${mitmdump}: run \`make venv\` (or set MITMDUMP)`);
  if (!existsSync(options.project)) throw new UsageError(`the project folder ${options.project} does not exist`);
  const headroom = headroomCommand(options.env);
  if (options.proxy === "headroom" && !onPath(headroom, options.env.PATH)) {
    throw new UsageError(`the Headroom proxy (${headroom}) is not installed: run \`make headroom-venv\` or set HEADROOM_COMMAND`);
  }
  const runDir = options.runDir ?? mkdtempSync(path.join(os.tmpdir(), "headroom-lanes-"));
  const dirs = prepareRunDir(runDir);
  const captures = {
    direct: path.join(options.capturesDir, LANE_CAPTURE_FILES.direct),
    headroomClient: path.join(options.capturesDir, LANE_CAPTURE_FILES.headroomClient),
    headroomUpstream: path.join(options.capturesDir, LANE_CAPTURE_FILES.headroomUpstream),
  };
  const captureFiles = [
    captures.direct,
    ...(options.baseline ? [path.join(options.capturesDir, `${BASELINE_LANE}.jsonl`)] : []),
    ...arms.flatMap((arm) => [`${arm.name}-client`, `${arm.name}-upstream`].map((n) => path.join(options.capturesDir, `${n}.jsonl`))),
  ];
  const moved = prepareCapturesFolder(options.capturesDir, { append: options.append });
  if (moved) options.log(`earlier captures moved to ${moved}`);

  const base: Record<string, string> = { ...baseEnvironment(options.env), TMPDIR: dirs.tmp };
  const group = new ProcessGroup(dirs.logs);
  const places: LocalPlaces = {
    serviceUrls: {},
    capturesDir: options.capturesDir,
    certsDir: dirs.certs,
    addonsDir: path.dirname(CAPTURE_ADDON),
  };
  // Ctrl-C, kill, and a closed terminal all stop every lane process (SIGKILL of the runner cannot be caught).
  const stopOnSignal = (signal: NodeJS.Signals) => {
    options.log(`${signal}: stopping every lane process`);
    void group.stopAll().then(() => process.exit(128 + (os.constants.signals[signal] ?? 15)));
  };
  for (const signal of STOP_SIGNALS) process.once(signal, stopOnSignal);

  let mockDigestLog: string | undefined;
  const clients: LaneClientResult[] = [];
  try {
    // 1. The API: the mock, reachable as api.anthropic.com through each lane's mitmproxy.
    let mock: { url: URL; ca: string } | undefined;
    if (options.api === "mock") {
      mockDigestLog = path.join(options.capturesDir, "mock-requests.jsonl");
      rmSync(mockDigestLog, { force: true });
      const started = await group.start({
        name: "mock-anthropic",
        command: process.execPath,
        args: [
          "--import", "tsx",
          repoPath("scripts", "src", "mock-anthropic", "cli.ts"),
          "--host", "127.0.0.1", "--port", "0",
          "--tls-dir", dirs.mockTls, "--hostname", "api.anthropic.com",
          "--digest-log", mockDigestLog,
          ...(options.scenario ? ["--scenario", options.scenario] : []),
        ],
        env: base,
        cwd: REPO_ROOT,
        readiness: { pattern: LISTENING, timeoutMs: READY_MS },
      });
      mock = { url: new URL(started.match[1]!), ca: path.join(dirs.mockTls, "ca.pem") };
      options.log(`mock Anthropic API: ${mock.url.origin} (as api.anthropic.com)`);
    }

    // 2. The mitmproxies, in dependency order; each one's address becomes available to the next. `vars` selects
    //    the lane's variant in lanes.yml (DIRECT_LANE, HEADROOM_ARM, ...), `lanePlaces` its service addresses.
    const startMitm = async (service: MitmService, vars: Record<string, string>, lanePlaces: LocalPlaces, name: string = service) => {
      // Unbuffered, so the "listening at" line arrives when mitmdump says it.
      const env: Record<string, string> = {
        ...base,
        ...serviceEnvironment(description, service, { ...options.env, ...vars }, lanePlaces),
        PYTHONUNBUFFERED: "1",
      };
      const [command, ...args] = localCommand(description, service, lanePlaces, mitmdump);
      if (mock) {
        // Lazy connections keep the recorded URL as the client's (api.anthropic.com), not the mock's address.
        args.push("-s", OFFLINE_UPSTREAM_ADDON, "--set", `ssl_verify_upstream_trusted_ca=${mock.ca}`);
        args.push("--set", "connection_strategy=lazy");
        env.OFFLINE_UPSTREAM_MAP = `api.anthropic.com=127.0.0.1:${mock.url.port}`;
      }
      const started = await group.start({
        name,
        command: command!,
        args,
        env,
        readiness: { pattern: MITM_LISTENING, timeoutMs: READY_MS },
      });
      lanePlaces.serviceUrls[service] = `http://127.0.0.1:${started.match[2]}`;
      options.log(`${name}: ${lanePlaces.serviceUrls[service]} -> ${env.CAPTURE_OUTPUT}`);
    };

    // The direct lane (and its baseline twin, the same lane into another capture).
    const directLanes = [{ lane: "direct", places }];
    await startMitm("mitm-direct", { DIRECT_LANE: "direct" }, places);
    if (options.baseline) {
      const baselinePlaces: LocalPlaces = { ...places, serviceUrls: {} };
      await startMitm("mitm-direct", { DIRECT_LANE: BASELINE_LANE }, baselinePlaces, `mitm-${BASELINE_LANE}`);
      directLanes.push({ lane: BASELINE_LANE, places: baselinePlaces });
    }

    // 3. Each arm of the proxy lane: its upstream mitmproxy, the proxy under test (with the arm's flags) sending
    //    through it, and the client-side mitmproxy in front of the proxy.
    const armLanes: Array<{ arm: Arm; places: LocalPlaces }> = [];
    for (const arm of arms) {
      const armPlaces: LocalPlaces = { ...places, serviceUrls: {} };
      const vars = armEnvironment(arm);
      await startMitm("mitm-headroom-upstream", vars, armPlaces, `mitm-${arm.name}-upstream`);
      await startProxy(options, description, group, armPlaces, base, arm);
      await startMitm("mitm-headroom-client", vars, armPlaces, `mitm-${arm.name}-client`);
      armLanes.push({ arm, places: armPlaces });
    }

    // 4. Claude Code in each lane, one after the other, each from the same fresh project copy and HOME.
    const runs = [
      ...directLanes.map(({ lane, places: lanePlaces }) => ({ lane, service: "claude-direct" as ServiceName, vars: { DIRECT_LANE: lane }, lanePlaces })),
      ...armLanes.map(({ arm, places: lanePlaces }) => ({ lane: arm.name, service: "claude-headroom" as ServiceName, vars: armEnvironment(arm), lanePlaces })),
    ];
    for (const { lane, service, vars, lanePlaces } of runs) {
      if (group.isStopping) break;
      resetDir(dirs.project, options.project);
      resetDir(dirs.home);
      const env = {
        ...base,
        ...serviceEnvironment(description, service, { ...options.env, ...vars }, lanePlaces),
        HOME: dirs.home,
        CLAUDE_CODE_TMPDIR: dirs.tmp,
        PATH: `${NODE_BIN}:${base.PATH ?? ""}`,
        ...(apiKey ? { ANTHROPIC_API_KEY: apiKey } : {}),
        ...(authToken ? { ANTHROPIC_AUTH_TOKEN: authToken } : {}),
      };
      options.log(`claude (${lane}): running in ${dirs.project}`);
      const watched: LaneName = service === "claude-direct" ? "direct" : "headroom";
      const stopWatching = watchLane(watched, options.capturesDir, options.log, options.progressEveryMs ?? 15_000);
      const result = await group.run({
        name: lane === "direct" || lane === DEFAULT_ARM ? service : `claude-${lane}`,
        command: "bash",
        args: [CLAUDE_LANE_SCRIPT],
        env,
        cwd: dirs.project,
        timeoutMs: options.clientTimeoutMs,
      }).finally(stopWatching);
      const proxyErrors = result.exitCode === 0 ? [] : laneProxyErrors(watched, options.capturesDir, (name) => readLog(dirs.logs, name));
      clients.push({ lane, ...result, proxyErrors });
      options.log(
        result.timedOut
          ? `claude (${lane}): no result within ${options.clientTimeoutMs / 1000} s (--timeout): its whole process group was ended`
          : `claude (${lane}): exit ${result.exitCode}`,
      );
    }

    // 5. The proxy's own account of the run, from its stats endpoint, before it stops.
    if (options.proxy === "headroom" && clients.length === runs.length) {
      for (const { arm, places: lanePlaces } of armLanes) {
        await saveProxyStats(lanePlaces.serviceUrls["headroom-proxy"]!, options.env.HEADROOM_PROXY_TOKEN, options.capturesDir, arm.name, options.log);
      }
    }
  } finally {
    await group.stopAll();
    for (const signal of STOP_SIGNALS) process.removeListener(signal, stopOnSignal);
  }

  const expected = 1 + (options.baseline ? 1 : 0) + arms.length;
  const ok = clients.length === expected && clients.every((c) => c.exitCode === 0);
  const result: RunResult = { ok, clients, captures, captureFiles, mockDigestLog, runDir };
  // A failed lane leaves partial captures: its output, not a half report, is what the user needs to see.
  if (ok && options.report) result.report = await buildReports(options.capturesDir, arms.map((arm) => arm.name), options.scenario);
  if (ok && !options.keepRunDir && !options.runDir) rmSync(runDir, { recursive: true, force: true });
  return result;
}

export class UsageError extends Error {}

/** A lane process's log so far ("" when it has none). */
function readLog(logDir: string, service: string): string {
  try {
    return readFileSync(path.join(logDir, `${service}.log`), "utf8");
  } catch {
    return "";
  }
}

function prepareRunDir(runDir: string) {
  const dirs = {
    logs: path.join(runDir, "logs"),
    certs: path.join(runDir, "certs"),
    mockTls: path.join(runDir, "mock-tls"),
    project: path.join(runDir, "project"),
    home: path.join(runDir, "home"),
    /** Every lane process's temp folder (Claude Code keeps per-session files there): it goes with the run folder. */
    tmp: path.join(runDir, "tmp"),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const service of MITM_SERVICES) mkdirSync(path.join(dirs.certs, service), { recursive: true, mode: 0o700 });
  return dirs;
}

/** Heavy or private folders a project copy leaves out. */
const SKIPPED_IN_COPY = new Set(["node_modules", ".git", ".venv", "captures", "dist"]);

function resetDir(dir: string, copyFrom?: string): void {
  rmSync(dir, { recursive: true, force: true });
  if (copyFrom) cpSync(copyFrom, dir, { recursive: true, filter: (source) => !SKIPPED_IN_COPY.has(path.basename(source)) });
  else mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function baseEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_THROUGH) if (env[name]) out[name] = env[name]!;
  return out;
}

async function startProxy(
  options: RunOptions,
  description: LaneDescription,
  group: ProcessGroup,
  places: LocalPlaces,
  base: Record<string, string>,
  arm: Arm,
): Promise<void> {
  const vars = { ...options.env, ...armEnvironment(arm) };
  const env = { ...base, ...serviceEnvironment(description, "headroom-proxy", vars, places) };
  const name = arm.name === DEFAULT_ARM ? "headroom-proxy" : `${arm.name}-proxy`;
  if (options.proxy === "standin") {
    const started = await group.start({
      name,
      command: process.execPath,
      args: ["--import", "tsx", repoPath("scripts", "src", "standin-proxy", "cli.ts"), "--host", "127.0.0.1", "--port", "0", ...arm.proxyArgs],
      env,
      cwd: REPO_ROOT,
      readiness: { pattern: LISTENING, timeoutMs: READY_MS },
    });
    places.serviceUrls["headroom-proxy"] = new URL(started.match[1]!).origin;
    options.log(`${name}: stand-in at ${places.serviceUrls["headroom-proxy"]}`);
    return;
  }
  const port = await freePort();
  const [command, ...args] = localCommand(description, "headroom-proxy", places, headroomCommand(options.env), vars);
  const portIndex = args.indexOf("--port") + 1;
  if (portIndex > 0) args[portIndex] = String(port);
  const started = await group.start({
    name,
    command: command!,
    args,
    env: {
      ...env,
      ...HEADROOM_QUIET,
      ...(existsSync(VENV_TIKTOKEN_CACHE) ? { TIKTOKEN_CACHE_DIR: VENV_TIKTOKEN_CACHE } : {}),
      ...(options.api === "mock" ? HEADROOM_OFFLINE : {}),
      HOME: path.join(path.dirname(places.certsDir), `home-${name}`),
    },
    readiness: { httpGet: `http://127.0.0.1:${port}/livez`, timeoutMs: 180_000 },
  });
  places.serviceUrls["headroom-proxy"] = `http://127.0.0.1:${port}`;
  options.log(`${name}: real Headroom (${command} ${args.filter((a) => a.startsWith("--no-")).join(" ")}) at ${places.serviceUrls["headroom-proxy"]} [pid ${started.pid}]`);
}

/** Is `command` an existing file, or a name found on PATH? */
function onPath(command: string, pathVariable: string | undefined): boolean {
  if (command.includes("/")) return existsSync(command);
  return (pathVariable ?? "").split(":").some((dir) => dir !== "" && existsSync(path.join(dir, command)));
}

/** HEADROOM_COMMAND, else the one `make headroom-venv` installed, else `headroom` on PATH. */
function headroomCommand(env: Readonly<Record<string, string | undefined>>): string {
  return env.HEADROOM_COMMAND || (existsSync(VENV_HEADROOM) ? VENV_HEADROOM : "headroom");
}

/** As in Dockerfile.headroom: the harness must not add traffic of its own (telemetry beacon, cost-map fetch). */
const HEADROOM_QUIET = { HEADROOM_BEACON: "off", DO_NOT_TRACK: "1", LITELLM_LOCAL_MODEL_COST_MAP: "True" };
/**
 * As in compose.real-headroom.yml: offline, refuse model downloads up front (HEADROOM_OFFLINE), keep the rule-based
 * compressors and leave out the one that needs its model (Kompress), and don't wait long for a tiktoken vocabulary
 * that is not cached (o200k_base: Headroom then estimates its own Claude counts by characters).
 */
const HEADROOM_OFFLINE = {
  HEADROOM_OFFLINE: "1",
  HEADROOM_DISABLE_KOMPRESS: "1",
  HEADROOM_NO_SUBSCRIPTION_TRACKING: "1",
  HEADROOM_TIKTOKEN_LOAD_TIMEOUT_SECONDS: "2",
};

