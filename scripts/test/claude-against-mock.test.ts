/**
 * The real Claude Code CLI (the pinned @anthropic-ai/claude-code) against the mock, directly and through the
 * stand-in: proof that the mock answers everything Claude Code sends in print mode, that the scripted tool turn
 * makes Claude Code run Read and send a tool_result, and how Claude Code treats HTTPS_PROXY for a loopback base URL.
 *
 * What 2.1.332 sends in this mode (CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, -p): exactly two
 * POST /v1/messages?beta=true, both stream: true, model claude-opus-5-5 with 12 tools — no count_tokens, no side
 * requests. Without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC it first sends HEAD /api/hello.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINAL_MARKER, loadScenario, startMockAnthropic, type MockAnthropic } from "../src/mock-anthropic/index.js";
import { startConnectLoggingProxy, type ConnectLoggingProxy } from "../src/shared/loopback-http.js";
import { startStandinProxy, type StandinProxy } from "../src/standin-proxy/index.js";

const CLAUDE = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "claude");
const CANARY_KEY = "sk-ant-canary-claude-against-mock-0123456789";
const PROXY_TOKEN = "standin-token-canary-0123456789";
const PROMPT = "Summarize README.md in one sentence.";
const README = ["# Sample project", "", ...Array.from({ length: 60 }, (_, i) => `Line ${i}: a sample README that the mock asks Claude Code to read.`)].join("\n") + "\n";

const scratch = mkdtempSync(join(tmpdir(), "claude-against-mock-"));
const workDir = join(scratch, "work");
const digestLog = join(scratch, "digests.jsonl");
let mock: MockAnthropic;
let forwardProxy: ConnectLoggingProxy;

if (!existsSync(CLAUDE)) throw new Error(`Claude Code CLI not found at ${CLAUDE}: run npm ci at the repository root`);

/** Run `claude -p` in the work dir with a fresh HOME and only the environment given (plus PATH). */
async function runClaude(env: Record<string, string>) {
  const home = mkdtempSync(join(scratch, "home-"));
  const result = await execa(CLAUDE, ["-p", PROMPT, "--allowedTools", "Read"], {
    cwd: workDir,
    extendEnv: false,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      ANTHROPIC_API_KEY: CANARY_KEY,
      ...env,
    },
    reject: false,
    timeout: 45_000,
    stdin: "ignore",
  });
  for (const output of [result.stdout, result.stderr]) expect(output).not.toContain(CANARY_KEY);
  return result;
}

function messagesRequests() {
  return mock.requests.filter((r) => r.route === "/v1/messages");
}

beforeAll(async () => {
  mkdirSync(workDir);
  writeFileSync(join(workDir, "README.md"), README);
  mock = await startMockAnthropic({ scenario: loadScenario("read-readme"), tlsDir: join(scratch, "tls"), digestLog, eventDelayMs: 5, log: () => {} });
  forwardProxy = await startConnectLoggingProxy();
});
afterAll(async () => {
  await Promise.all([mock.close(), forwardProxy.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

describe("real Claude Code CLI against the mock", { timeout: 60_000 }, () => {
  it("runs the Read tool turn and prints the mock's final text (direct, HTTPS)", async () => {
    const before = mock.requests.length;
    const result = await runClaude({ ANTHROPIC_BASE_URL: mock.url, NODE_EXTRA_CA_CERTS: mock.caCertPath! });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(FINAL_MARKER);

    const seen = mock.requests.slice(before);
    expect(seen.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual(["POST /v1/messages 200", "POST /v1/messages 200"]);
    expect(seen.map((r) => r.reply)).toEqual(["tool_use", "final"]);
    for (const r of seen) {
      expect(r.stream).toBe(true);
      expect(r.tools).toBeGreaterThan(0);
    }
    // The whole README came back as the tool_result (Read numbers the lines, so a little more than the file).
    const reported = Number(/(\d+) characters/.exec(result.stdout)?.[1]);
    expect(reported).toBeGreaterThan(README.length);
    // The second turn repeats the first one's prefix: prompt caching shows as cache reads.
    expect(seen[1]!.usage!.cache_read_input_tokens).toBeGreaterThan(1000);

    const digests = readFileSync(digestLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { sha256: string });
    expect(digests.slice(-2).map((d) => d.sha256)).toEqual(seen.map((r) => r.sha256));
    expect(readFileSync(digestLog, "utf8")).not.toContain(CANARY_KEY);
  });

  it("works through the stand-in (token, HTTPS_PROXY, extra CA), which shortens the tool_result", async () => {
    const before = mock.requests.length;
    const connectsBefore = forwardProxy.connects.length;
    const standin: StandinProxy = await startStandinProxy({
      port: 0,
      targetUrl: mock.url,
      httpsProxy: forwardProxy.url,
      extraCaFiles: [mock.caCertPath!],
      token: PROXY_TOKEN,
      maxToolResultChars: 800,
      log: () => {},
    });
    try {
      const result = await runClaude({
        ANTHROPIC_BASE_URL: standin.url,
        ANTHROPIC_CUSTOM_HEADERS: `X-Headroom-Proxy-Token: ${PROXY_TOKEN}`,
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toContain(FINAL_MARKER);
      expect(mock.requests.slice(before).map((r) => r.reply)).toEqual(["tool_use", "final"]);
      const reported = Number(/(\d+) characters/.exec(result.stdout)?.[1]);
      expect(reported).toBeGreaterThan(800);
      expect(reported).toBeLessThan(900);
      expect(forwardProxy.connects.slice(connectsBefore)).toContain(new URL(mock.url).host);
    } finally {
      await standin.close();
    }
  });

  it("goes through HTTPS_PROXY even for a 127.0.0.1 base URL, unless NO_PROXY names it", async () => {
    const mockHost = new URL(mock.url).host;
    const base = { ANTHROPIC_BASE_URL: mock.url, NODE_EXTRA_CA_CERTS: mock.caCertPath!, HTTPS_PROXY: forwardProxy.url };

    const connectsBefore = forwardProxy.connects.length;
    const proxied = await runClaude(base);
    expect(proxied.exitCode, proxied.stderr).toBe(0);
    expect(forwardProxy.connects.slice(connectsBefore)).toContain(mockHost);

    const bypassBefore = forwardProxy.connects.length;
    const bypassed = await runClaude({ ...base, NO_PROXY: "127.0.0.1" });
    expect(bypassed.exitCode, bypassed.stderr).toBe(0);
    expect(bypassed.stdout).toContain(FINAL_MARKER);
    expect(forwardProxy.connects.slice(bypassBefore)).toEqual([]);
  });
});
