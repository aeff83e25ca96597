/**
 * The offline demo, end to end: both lanes with real mitmdump + our addon, the real Claude Code CLI, the mock
 * Anthropic API and the stand-in proxy, then the report. What `make demo` runs, checked the way a user would.
 */
import { execa } from "execa";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT } from "../src/lanes/repo.js";
import { processesMentioning } from "./processes.js";

/** The runner as `make demo` starts it: one node process, so signals reach it directly. */
const RUNNER = [process.execPath, "--import", "tsx", path.join(REPO_ROOT, "scripts/src/lanes/cli.ts")] as const;

const CANARY_KEY = `sk-ant-canary-e2e-${process.pid}-DO-NOT-LEAK`;
const FINAL_TEXT = /MOCK-FINAL/;

interface CaptureRecord {
  sequence: number;
  url: string;
  method: string;
  request_body_size: number;
  request_body_sha256: string;
  request_headers: Record<string, string>;
  request_json?: { messages?: Array<{ role: string; content: unknown }> };
  response_status: number | null;
  usage: Record<string, number | null> | null;
}

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);

const isMessages = (r: CaptureRecord) => r.method === "POST" && new URL(r.url).pathname === "/v1/messages";
const carriesToolResult = (r: CaptureRecord) =>
  JSON.stringify(r.request_json?.messages?.at(-1)?.content ?? "").includes('"tool_result"');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe("make demo: both lanes offline with the real Claude Code CLI", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "headroom-e2e-"));
  const captures = path.join(work, "captures");
  const runDir = path.join(work, "run");
  let run: { exitCode: number | undefined; stdout: string; stderr: string };
  const lane = (name: string) => readJsonl<CaptureRecord>(path.join(captures, `${name}.jsonl`));

  beforeAll(async () => {
    const result = await execa(RUNNER[0], [...RUNNER.slice(1), "--captures", captures, "--run-dir", runDir], {
      cwd: REPO_ROOT,
      env: { ANTHROPIC_API_KEY: CANARY_KEY },
      reject: false,
      timeout: 540_000,
    });
    run = { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  });

  test("the runner succeeds and both Claude Code runs print the mock's final text", () => {
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const name of ["direct", "headroom"]) {
      const section = run.stdout.split(`== claude (${name}) exit `)[1] ?? "";
      expect(section.startsWith("0\n"), `claude (${name}) did not exit 0:\n${run.stdout}`).toBe(true);
      expect(section.split("\n== ")[0]).toMatch(FINAL_TEXT);
    }
  });

  test("each lane captured the tool turn and the final turn of /v1/messages", () => {
    for (const name of ["direct", "headroom-client", "headroom-upstream"]) {
      const messages = lane(name).filter(isMessages);
      expect(messages.length, `${name}: /v1/messages exchanges`).toBeGreaterThanOrEqual(2);
      expect(messages.some(carriesToolResult), `${name}: a turn carrying the tool_result`).toBe(true);
      expect(messages.every((r) => r.response_status === 200)).toBe(true);
      expect(messages.some((r) => (r.usage?.output_tokens ?? 0) > 0), `${name}: usage recorded`).toBe(true);
    }
  });

  test("the direct lane's captures are byte-faithful: every body hash is one the mock received", () => {
    const received = new Set(readJsonl<{ sha256: string }>(path.join(captures, "mock-requests.jsonl")).map((d) => d.sha256));
    const direct = lane("direct");
    expect(direct.length).toBeGreaterThan(0);
    for (const record of direct) expect(received, `${record.url} #${record.sequence}`).toContain(record.request_body_sha256);
  });

  test("the headroom-upstream lane shows the stand-in's shortened tool_result", () => {
    const client = lane("headroom-client").filter((r) => isMessages(r) && carriesToolResult(r));
    const upstream = lane("headroom-upstream").filter((r) => isMessages(r) && carriesToolResult(r));
    expect(client.length).toBeGreaterThan(0);
    expect(upstream.length).toBe(client.length);
    const [first] = client;
    const [forwarded] = upstream;
    expect(forwarded!.request_body_size).toBeLessThan(first!.request_body_size);
    expect(JSON.stringify(forwarded!.request_json)).toMatch(/stand-in/);
    const names = Object.keys(forwarded!.request_headers).map((n) => n.toLowerCase());
    expect(names.some((n) => n.startsWith("x-headroom-"))).toBe(true);
  });

  test("the report pairs the /v1/messages exchanges of both lanes", () => {
    const report = JSON.parse(readFileSync(path.join(captures, "report.json"), "utf8")) as {
      paired: Array<{ route: string }>;
    };
    expect(report.paired.filter((p) => p.route.includes("/v1/messages")).length).toBeGreaterThanOrEqual(2);
    const markdown = readFileSync(path.join(captures, "report.md"), "utf8");
    expect(markdown).toContain("Differential Network Capture Report");
    expect(run.stdout).toContain(path.join(captures, "report.md"));
  });

  test("the proxy report shows what the stand-in changed between its input and its output", () => {
    const report = JSON.parse(readFileSync(path.join(captures, "proxy-report.json"), "utf8")) as {
      paired: Array<{ route: string; headers: { only_headroom: string[] }; request_body_size: { delta: number } }>;
    };
    const messages = report.paired.filter((p) => p.route.includes("/v1/messages"));
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const pair of messages) expect(pair.headers.only_headroom.map((h) => h.toLowerCase())).toContain("x-headroom-standin");
    expect(messages.some((pair) => pair.request_body_size.delta < 0)).toBe(true);
  });

  test("the API key appears nowhere under captures/ nor in the run's logs, and captures are private", () => {
    const files = filesUnder(captures);
    expect(files.length).toBeGreaterThanOrEqual(5);
    const logs = filesUnder(path.join(runDir, "logs"));
    expect(logs.length).toBeGreaterThanOrEqual(6);
    for (const file of [...files, ...logs]) expect(readFileSync(file, "latin1").includes(CANARY_KEY), file).toBe(false);
    expect(statSync(captures).mode & 0o777).toBe(0o700);
    for (const name of ["direct", "headroom-client", "headroom-upstream"]) {
      expect(statSync(path.join(captures, `${name}.jsonl`)).mode & 0o777).toBe(0o600);
    }
  });

  test("no process the run started is left running", () => {
    expect(processesMentioning(runDir)).toEqual([]);
  });
});

describe("the runner stops everything it started", () => {
  const runner = (work: string, env: Record<string, string>, extra: string[] = ["--no-report"]) =>
    execa(RUNNER[0], [...RUNNER.slice(1), "--captures", path.join(work, "captures"), "--run-dir", path.join(work, "run"), ...extra], {
      cwd: REPO_ROOT,
      env: { ANTHROPIC_API_KEY: CANARY_KEY, ...env },
      reject: false,
      timeout: 300_000,
    });

  test("with a bearer token (ANTHROPIC_AUTH_TOKEN) instead of an API key: both lanes run, the token is nowhere", async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), "headroom-e2e-bearer-"));
    const token = `bearer-canary-${process.pid}-DO-NOT-LEAK`;
    const result = await execa(RUNNER[0], [...RUNNER.slice(1), "--captures", path.join(work, "captures"), "--run-dir", path.join(work, "run")], {
      cwd: REPO_ROOT,
      env: { ANTHROPIC_API_KEY: "", ANTHROPIC_AUTH_TOKEN: token },
      reject: false,
      timeout: 300_000,
    });
    expect(result.exitCode, String(result.stdout)).toBe(0);
    const files = filesUnder(path.join(work, "captures"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) expect(readFileSync(file, "latin1").includes(token), file).toBe(false);
    const [first] = readJsonl<CaptureRecord>(path.join(work, "captures", "direct.jsonl")).filter(isMessages);
    const auth = Object.entries(first!.request_headers).find(([name]) => name.toLowerCase() === "authorization");
    expect(auth?.[1]).toBe("<redacted>");
  });

  test("when a lane's client fails: exit 1, its error and the logs folder shown, no half report, nothing left running", async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), "headroom-e2e-fail-"));
    const result = await runner(work, { CLAUDE_COMMAND: "echo lane-client-broke >&2; exit 3" }, []);
    expect(result.exitCode).toBe(1);
    expect(String(result.stdout)).toContain("lane-client-broke");
    expect(String(result.stdout)).toContain(`A lane failed; logs are in ${path.join(work, "run")}/logs`);
    expect(existsSync(path.join(work, "captures", "report.md"))).toBe(false);
    expect(processesMentioning(work)).toEqual([]);
  });

  test.each([
    ["Ctrl-C", "SIGINT", 130],
    ["a closed terminal", "SIGHUP", 129],
  ] as const)("on %s (%s) while a lane runs: every process stopped", async (_what, signal, code) => {
    const work = mkdtempSync(path.join(os.tmpdir(), "headroom-e2e-int-"));
    const child = runner(work, { CLAUDE_COMMAND: "sleep 120" });
    let seen = "";
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes("claude (direct): running")) resolve();
      });
    });
    child.kill(signal);
    const result = await child;
    expect(result.exitCode, `exit ${result.exitCode} ${result.signal}`).toBe(code);
    expect(processesMentioning(work)).toEqual([]);
  });
});
