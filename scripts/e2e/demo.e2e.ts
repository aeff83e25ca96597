/**
 * The offline demo, end to end: both lanes with real mitmdump + our addon, the real Claude Code CLI, the mock
 * Anthropic API and the stand-in proxy, then the report. What `make demo` runs, checked the way a user would.
 */
import { execa } from "execa";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT } from "../src/lanes/repo.js";
import { isMessages, readCapture } from "./captures.js";
import { processesMentioning } from "./processes.js";
import { tempDir } from "../test/temp.js";
import { launchBrowser, openReport, reportFigure, screenshot, shownFigures } from "../../analyzer/test/html-page.js";

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

const carriesToolResult = (r: CaptureRecord) =>
  JSON.stringify(r.request_json?.messages?.at(-1)?.content ?? "").includes('"tool_result"');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe("make demo: both lanes offline with the real Claude Code CLI", () => {
  const work = tempDir("headroom-e2e-");
  const captures = path.join(work, "captures");
  const runDir = path.join(work, "run");
  let run: { exitCode: number | undefined; stdout: string; stderr: string };
  const lane = (name: string) => readCapture<CaptureRecord>(path.join(captures, `${name}.jsonl`));

  beforeAll(async () => {
    const result = await execa(RUNNER[0], [...RUNNER.slice(1), "--captures", captures, "--run-dir", runDir, "--baseline"], {
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
    const received = new Set(readCapture<{ sha256: string }>(path.join(captures, "mock-requests.jsonl")).map((d) => d.sha256));
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

  test("read cold, the report's first paragraph says what the stand-in saved over how many pairs, and the baseline marks per-run ids as noise", () => {
    const markdown = readFileSync(path.join(captures, "report.md"), "utf8");
    const first = markdown.split("\n\n")[1] ?? "";
    const saving = /^\*\*Verdict\.\*\* Over (\d+) pairs with usage on both sides, .*? fewer prompt tokens than direct \(([\d,]+) → ([\d,]+),/.exec(first);
    expect(saving, first).not.toBeNull();
    const [pairs, before, after] = saving!.slice(1).map((n) => Number(n.replace(/,/g, "")));
    expect(pairs).toBeGreaterThanOrEqual(4);
    expect(after).toBeLessThan(before!);
    const report = JSON.parse(readFileSync(path.join(captures, "report.json"), "utf8")) as {
      inputs: { baseline?: string };
      summary: { noise: { headers: number; json: number } | null };
      paired: Array<{ route: string; headers: { noise?: string[]; changed: string[] } }>;
    };
    expect(report.inputs.baseline).toBe(path.join(captures, "direct-baseline.jsonl"));
    expect(report.summary.noise?.headers).toBeGreaterThan(0);
    const turns = report.paired.filter((pair) => pair.route.includes("/v1/messages"));
    for (const header of ["x-claude-code-session-id", "x-client-request-id"]) {
      const asNoise = turns.filter((pair) => (pair.headers.noise ?? []).some((name) => name.toLowerCase() === header));
      expect(asNoise.length, `${header} as noise`).toBeGreaterThan(0);
      expect(turns.some((pair) => pair.headers.changed.some((name) => name.toLowerCase() === header))).toBe(false);
    }
    expect(first).toMatch(/classed as noise/);
  });

  test("report.html and proxy-report.html (private, paths printed) open in headless chromium: the JSON report's figures, the stand-in's shortened tool result in the aligned view", async () => {
    const shots = path.join(REPO_ROOT, "scripts", "test-output", "html");
    const browser = await launchBrowser();
    try {
      for (const name of ["report", "proxy-report"]) {
        const html = path.join(captures, `${name}.html`);
        expect(run.stdout).toContain(html);
        expect(statSync(html).mode & 0o777).toBe(0o600);
        const report = JSON.parse(readFileSync(path.join(captures, `${name}.json`), "utf8")) as { paired: Array<{ route: string }> };
        const opened = await openReport(browser, html);
        const figures = await shownFigures(opened.page);
        expect(figures.length).toBeGreaterThanOrEqual(20);
        for (const { field, value } of figures) expect(value, `${name}: ${field}`).toBe(reportFigure(report, field));
        if (name === "report") await screenshot(opened.page, path.join(shots, "demo-overview.png"), true);
        // The last /v1/messages pair, opened from the list after a search.
        const last = report.paired.map((pair, index) => ({ pair, index })).filter(({ pair }) => pair.route.includes("/v1/messages")).at(-1);
        expect(last).toBeDefined();
        await opened.page.click("#tab-pairs");
        await opened.page.fill("#filter-search", "/v1/messages");
        await opened.page.click(`.prow[data-pair="${last?.index}"]`);
        await opened.page.waitForSelector(`[data-pair-view="${last?.index}"] [data-array="messages"]`);
        if (name === "proxy-report") {
          // The stand-in shortened the tool results: changed messages, shown as a text diff.
          const changed = opened.page.locator('[data-array="messages"] .erow.changed');
          expect(await changed.count()).toBeGreaterThanOrEqual(1);
          expect(await changed.first().locator("del").count()).toBeGreaterThan(0);
          await changed.first().evaluate((row) => {
            const view = row.closest(".view") as HTMLElement;
            view.scrollTop += row.getBoundingClientRect().top - view.getBoundingClientRect().top - 40;
          });
          await screenshot(opened.page, path.join(shots, "demo-pair.png"));
        }
        expect(opened.requests).toEqual([expect.stringMatching(/^file:\/\/.*report\.html$/)]);
        expect(opened.errors).toEqual([]);
        await opened.page.close();
      }
    } finally {
      await browser.close();
    }
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
    const work = tempDir("headroom-e2e-bearer-");
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
    const [first] = readCapture<CaptureRecord>(path.join(work, "captures", "direct.jsonl")).filter(isMessages);
    const auth = Object.entries(first!.request_headers).find(([name]) => name.toLowerCase() === "authorization");
    expect(auth?.[1]).toBe("<redacted>");
  });

  test("when a lane's client fails: exit 1, its error and the logs folder shown, no half report, nothing left running", async () => {
    const work = tempDir("headroom-e2e-fail-");
    const result = await runner(work, { CLAUDE_COMMAND: "echo lane-client-broke >&2; exit 3" }, []);
    expect(result.exitCode).toBe(1);
    expect(String(result.stdout)).toContain("lane-client-broke");
    expect(String(result.stdout)).toContain(`A lane failed; logs are in ${path.join(work, "run")}/logs`);
    expect(existsSync(path.join(work, "captures", "report.md"))).toBe(false);
    expect(processesMentioning(work)).toEqual([]);
  });

  test("--timeout ends the lane's whole process group (its tool subprocesses too), and says so", async () => {
    const work = tempDir("headroom-e2e-timeout-");
    // The lane's client starts a "tool" in the background and then hangs, as Claude Code waiting on a tool would.
    const result = await runner(work, { CLAUDE_COMMAND: "sleep 300 & sleep 300" }, ["--no-report", "--timeout", "3"]);
    expect(result.exitCode).toBe(1);
    expect(String(result.stdout)).toContain("== claude (direct) exit timeout");
    expect(String(result.stderr)).toContain("claude (direct): no result within 3 s (--timeout): its whole process group was ended");
    expect(processesMentioning(work)).toEqual([]);
  });

  test("what a lane left running in its group is ended even after the lane itself exited", async () => {
    const work = tempDir("headroom-e2e-leftover-");
    const result = await runner(work, { CLAUDE_COMMAND: "(sleep 300 &); echo lane-done" });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toContain("lane-done");
    expect(processesMentioning(work)).toEqual([]);
  });

  test("while a lane runs, progress lines say what it waits for", async () => {
    const work = tempDir("headroom-e2e-progress-");
    const result = await runner(work, { CLAUDE_COMMAND: "sleep 3" }, ["--no-report", "--progress-every", "1"]);
    expect(result.exitCode).toBe(0);
    expect(String(result.stderr)).toMatch(/run-lanes: claude-direct: waiting for the API response \(\d+ s; no exchange recorded yet\)…/);
    expect(String(result.stderr)).toMatch(/run-lanes: claude-headroom: waiting for the API response/);
  });

  test("when the upstream cannot be reached: the lane fails and the runner prints its proxy's last errors", async () => {
    const work = tempDir("headroom-e2e-nohost-");
    // A request through the direct lane's mitmproxy to a host that does not resolve (.invalid never does); the client
    // gives up at once, and the run stops its lanes moments later: the failure is recorded all the same.
    const command = 'curl -sS --max-time 30 -x "$HTTPS_PROXY" --cacert "$NODE_EXTRA_CA_CERTS" https://api.no-such-host.invalid/v1/messages; exit 7';
    const result = await runner(work, { CLAUDE_COMMAND: command, CAPTURE_INCLUDE_HOSTS: "*" });
    const stdout = String(result.stdout);
    expect(result.exitCode).toBe(1);
    const block = stdout.split("-- last errors of the direct lane's proxies\n")[1]?.split("\n== ")[0] ?? "";
    expect(block, stdout).toMatch(/^mitm-direct \(log\):\n( {2}.*\n)* {2}.*error establishing server connection: .*Name or service not known/m);
    // The lane recorded the failed request, once, with its cause.
    const records = readCapture<{ url: string; error: { message: string } | null }>(path.join(work, "captures", "direct.jsonl"));
    expect(records.filter((r) => r.url.includes("api.no-such-host.invalid") && /Name or service not known/.test(r.error?.message ?? ""))).toHaveLength(1);
    expect(processesMentioning(work)).toEqual([]);
  });

  test.each([
    ["Ctrl-C", "SIGINT", 130],
    ["a closed terminal", "SIGHUP", 129],
  ] as const)("on %s (%s) while a lane runs: every process stopped", async (_what, signal, code) => {
    const work = tempDir("headroom-e2e-int-");
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
