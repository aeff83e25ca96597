/**
 * The stand-in must do what Headroom does in the lanes: forward /v1/* through HTTPS_PROXY to the target (trusting an
 * extra CA), check the proxy token, stream SSE back as it arrives, and make one visible, deterministic change —
 * long tool_result text shortened, announced in x-headroom-standin.
 */
import { createHash } from "node:crypto";
import http, { type IncomingHttpHeaders } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario, startMockAnthropic, type MockAnthropic } from "../src/mock-anthropic/index.js";
import { loopbackRequest, startConnectLoggingProxy, type ConnectLoggingProxy } from "../src/shared/loopback-http.js";
import {
  optionsFromEnv,
  shortenToolResults,
  startStandinProxy,
  type StandinProxy,
  type StandinProxyOptions,
} from "../src/standin-proxy/index.js";

const KEY = "sk-ant-canary-standin-test-0000";
const TOKEN = "headroom-token-for-tests";
const scratch = mkdtempSync(join(tmpdir(), "standin-proxy-test-"));
const quiet = { log: () => {} };

function messagesWithToolResult(toolResult: string | Array<{ type: string; text: string }>, stream = false) {
  return {
    model: "claude-test-1",
    max_tokens: 100,
    stream,
    messages: [
      { role: "user", content: [{ type: "text", text: "Summarize README.md" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/w/README.md" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: toolResult }] },
    ],
  };
}

const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

describe("shortenToolResults", () => {
  it("keeps the head of long tool_result text and says how much was elided", () => {
    const long = "L".repeat(1000);
    const body = Buffer.from(JSON.stringify(messagesWithToolResult([{ type: "text", text: long }, { type: "text", text: "short" }])));
    const result = shortenToolResults(body, 100);
    expect(result.shortened).toBe(1);
    const parsed = JSON.parse(result.body.toString()) as ReturnType<typeof messagesWithToolResult>;
    const blocks = (parsed.messages[2]!.content[0] as { content: Array<{ text: string }> }).content;
    expect(blocks[0]!.text).toBe("L".repeat(100) + "\n[stand-in: 900 chars elided]");
    expect(blocks[1]!.text).toBe("short");
    expect(result.bytesSaved).toBe(body.length - result.body.length);
    expect(result.bytesSaved).toBeGreaterThan(800);
  });

  it("handles string content, and is deterministic", () => {
    const body = Buffer.from(JSON.stringify(messagesWithToolResult("S".repeat(500))));
    const a = shortenToolResults(body, 50);
    const b = shortenToolResults(body, 50);
    expect(a.shortened).toBe(1);
    expect(a.body.equals(b.body)).toBe(true);
  });

  it("returns the very same bytes when there is nothing to shorten or the body is not JSON", () => {
    const pretty = Buffer.from(JSON.stringify(messagesWithToolResult("tiny"), null, 2));
    expect(shortenToolResults(pretty, 800)).toEqual({ body: pretty, shortened: 0, bytesSaved: 0 });
    const notJson = Buffer.from("{nope");
    expect(shortenToolResults(notJson, 1).body).toBe(notJson);
  });
});

describe("optionsFromEnv", () => {
  it("reads the headroom-proxy environment contract", () => {
    expect(
      optionsFromEnv({
        ANTHROPIC_TARGET_API_URL: "https://127.0.0.1:9",
        HTTPS_PROXY: "http://127.0.0.1:8080",
        SSL_CERT_FILE: "/certs/a.pem",
        NODE_EXTRA_CA_CERTS: "/certs/a.pem",
        HEADROOM_PROXY_TOKEN: "t",
        STANDIN_MAX_TOOL_RESULT_CHARS: "50",
      }),
    ).toEqual({
      targetUrl: "https://127.0.0.1:9",
      httpsProxy: "http://127.0.0.1:8080",
      httpProxy: undefined,
      extraCaFiles: ["/certs/a.pem"],
      token: "t",
      maxToolResultChars: 50,
    });
    expect(optionsFromEnv({ HEADROOM_PROXY_TOKEN: "" })).toMatchObject({ targetUrl: "https://api.anthropic.com", token: undefined });
    expect(() => optionsFromEnv({ STANDIN_MAX_TOOL_RESULT_CHARS: "lots" })).toThrow(/STANDIN_MAX_TOOL_RESULT_CHARS/);
  });
});

describe("forwarding to the mock through HTTPS_PROXY", () => {
  let mock: MockAnthropic;
  let forwardProxy: ConnectLoggingProxy;
  let standin: StandinProxy;

  beforeAll(async () => {
    mock = await startMockAnthropic({ scenario: loadScenario("read-readme"), tlsDir: join(scratch, "tls"), eventDelayMs: 40, ...quiet });
    forwardProxy = await startConnectLoggingProxy();
    standin = await startStandinProxy({
      port: 0,
      targetUrl: mock.url,
      httpsProxy: forwardProxy.url,
      extraCaFiles: [mock.caCertPath!],
      token: TOKEN,
      maxToolResultChars: 200,
      ...quiet,
    });
  });
  afterAll(async () => {
    await Promise.all([standin.close(), forwardProxy.close(), mock.close()]);
  });

  const post = (body: string, headers: Record<string, string> = { "x-headroom-proxy-token": TOKEN }) =>
    loopbackRequest(`${standin.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY, ...headers },
      body,
    });

  it("answers /health and /healthz without a token", async () => {
    for (const path of ["/health", "/healthz"]) {
      const res = await loopbackRequest(standin.url + path);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ status: "ok" });
    }
  });

  it("refuses /v1/* without the right X-Headroom-Proxy-Token, in Anthropic's error shape", async () => {
    for (const headers of [{}, { "x-headroom-proxy-token": "wrong" }] as Array<Record<string, string>>) {
      const res = await post(JSON.stringify(messagesWithToolResult("x")), headers);
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ type: "error", error: { type: "authentication_error", message: expect.any(String) } });
    }
  });

  it("tunnels through the forward proxy and shortens the long tool_result the mock receives", async () => {
    const connectsBefore = forwardProxy.connects.length;
    const sent = JSON.stringify(messagesWithToolResult("R".repeat(5000)));
    const res = await post(sent);
    expect(res.status).toBe(200);
    expect(forwardProxy.connects.length).toBeGreaterThan(connectsBefore);
    expect(forwardProxy.connects.at(-1)).toBe(new URL(mock.url).host);

    const received = mock.requests.at(-1)!;
    const expected = shortenToolResults(Buffer.from(sent), 200);
    expect(received.sha256).toBe(sha256(expected.body));
    expect(received.size).toBeLessThan(Buffer.byteLength(sent) - 4000);
    expect(res.headers["x-headroom-standin"]).toBe(`tool_results_shortened=1; bytes_saved=${Buffer.byteLength(sent) - received.size}`);
    const text = res.json<{ content: Array<{ text: string }> }>().content[0]!.text;
    expect(text).toContain(`${200 + "\n[stand-in: 4800 chars elided]".length} characters`);
  });

  it("passes a body with nothing to shorten byte for byte", async () => {
    const sent = JSON.stringify(messagesWithToolResult("short result"), null, 1);
    const res = await post(sent);
    expect(res.status).toBe(200);
    expect(res.headers["x-headroom-standin"]).toBe("tool_results_shortened=0; bytes_saved=0");
    expect(mock.requests.at(-1)!.sha256).toBe(sha256(sent));
  });

  it("streams SSE back as the events arrive, not buffered", async () => {
    const res = await post(JSON.stringify(messagesWithToolResult("R".repeat(5000), true)));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toContain("text/event-stream");
    const events = res.text().match(/^event: /gm) ?? [];
    expect(events.length).toBeGreaterThan(6);
    // The mock waits 40 ms after each event; unbuffered, the first event reaches us long before the last.
    expect(res.chunks.length).toBeGreaterThan(5);
    expect(res.chunks.at(-1)!.at - res.chunks[0]!.at).toBeGreaterThan((events.length - 1) * 40 * 0.6);
    expect(res.text()).toContain("event: message_stop");
  });

  it("relays the upstream's errors unchanged", async () => {
    const res = await post("{broken json");
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("what goes upstream", () => {
  let seen: { url: string; headers: IncomingHttpHeaders; body: Buffer } | undefined;
  let upstream: http.Server;
  let upstreamUrl: string;

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen = { url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
        res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/base`;
  });
  afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

  async function through(options: Partial<StandinProxyOptions>, body: string) {
    const standin = await startStandinProxy({ port: 0, targetUrl: upstreamUrl, maxToolResultChars: 10, ...quiet, ...options });
    try {
      return await loopbackRequest(`${standin.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: {
          "x-api-key": KEY,
          "content-type": "application/json",
          "x-headroom-proxy-token": TOKEN,
          connection: "keep-alive, x-private-hop",
          "x-private-hop": "1",
        },
        body,
      });
    } finally {
      await standin.close();
    }
  }

  it("rewrites host, fixes content-length, adds x-headroom-standin, and drops the token and hop-by-hop headers", async () => {
    const res = await through({ token: TOKEN }, JSON.stringify(messagesWithToolResult("0123456789abcdef")));
    expect(res.headers["x-upstream"]).toBe("yes");
    expect(res.headers["x-headroom-standin"]).toMatch(/^tool_results_shortened=1; bytes_saved=-?\d+$/);
    expect(seen!.url).toBe("/base/v1/messages?beta=true");
    expect(seen!.headers.host).toBe(new URL(upstreamUrl).host);
    expect(seen!.headers["x-api-key"]).toBe(KEY);
    expect(seen!.headers["x-headroom-proxy-token"]).toBeUndefined();
    expect(seen!.headers["x-private-hop"]).toBeUndefined();
    expect(seen!.headers["x-headroom-standin"]).toBe(res.headers["x-headroom-standin"]);
    expect(Number(seen!.headers["content-length"])).toBe(seen!.body.length);
    expect(seen!.body.toString()).toContain("0123456789\\n[stand-in: 6 chars elided]");
  });

  it("sends plain-http targets through HTTP_PROXY as absolute-form requests", async () => {
    const forwardProxy = await startConnectLoggingProxy();
    try {
      const res = await through({ httpProxy: forwardProxy.url }, JSON.stringify(messagesWithToolResult("x")));
      expect(res.status).toBe(200);
      expect(forwardProxy.plainRequests).toEqual([`${upstreamUrl}/v1/messages?beta=true`]);
    } finally {
      await forwardProxy.close();
    }
  });
});

describe("upstream failures", () => {
  it("answers 502 in Anthropic's error shape when the target cannot be reached", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    for (const options of [{ targetUrl: `https://127.0.0.1:${port}` }, { targetUrl: "https://127.0.0.1:9", httpsProxy: `http://127.0.0.1:${port}` }]) {
      const standin = await startStandinProxy({ port: 0, ...options, ...quiet });
      try {
        const res = await loopbackRequest(`${standin.url}/v1/messages`, { method: "POST", headers: { "x-api-key": KEY }, body: "{}" });
        expect(res.status).toBe(502);
        expect(res.json()).toEqual({ type: "error", error: { type: "api_error", message: expect.stringContaining("stand-in") } });
      } finally {
        await standin.close();
      }
    }
  });

  it("answers 404 in Anthropic's shape outside /v1/*", async () => {
    const standin = await startStandinProxy({ port: 0, targetUrl: "https://127.0.0.1:9", ...quiet });
    try {
      const res = await loopbackRequest(`${standin.url}/admin`);
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    } finally {
      await standin.close();
    }
  });
});

describe("CLI", { timeout: 20_000 }, () => {
  const scriptsDir = join(import.meta.dirname, "..");
  const env = { ANTHROPIC_TARGET_API_URL: "https://127.0.0.1:9", HTTPS_PROXY: "", HTTP_PROXY: "", NODE_EXTRA_CA_CERTS: "", SSL_CERT_FILE: "" };

  it("says it is a stand-in, prints one readiness line, and exits 0 on SIGTERM", async () => {
    const cli = execa("tsx", ["src/standin-proxy/cli.ts", "--port", "0"], { cwd: scriptsDir, preferLocal: true, reject: false, env });
    const line = await new Promise<string>((resolve, reject) => {
      cli.stdout!.once("data", (d: Buffer) => resolve(d.toString().split("\n")[0]!));
      void cli.then((r) => reject(new Error(`stand-in ended before it was ready: ${r.stderr}`)));
    });
    const ready = JSON.parse(line) as { event: string; url: string };
    expect(ready).toEqual({ event: "listening", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect((await loopbackRequest(ready.url + "/health")).status).toBe(200);
    cli.kill("SIGTERM");
    const result = await cli;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/stand-in for Headroom \(not Headroom itself\)/);
  });

  it("exits 2 with a one-line error for a bad STANDIN_MAX_TOOL_RESULT_CHARS, 1 for a missing CA file", async () => {
    const bad = await execa("tsx", ["src/standin-proxy/cli.ts", "--port", "0"], {
      cwd: scriptsDir,
      preferLocal: true,
      reject: false,
      env: { ...env, STANDIN_MAX_TOOL_RESULT_CHARS: "many" },
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([expect.stringContaining("STANDIN_MAX_TOOL_RESULT_CHARS")]);

    const noCa = await execa("tsx", ["src/standin-proxy/cli.ts", "--port", "0"], {
      cwd: scriptsDir,
      preferLocal: true,
      reject: false,
      env: { ...env, SSL_CERT_FILE: join(scratch, "missing.pem") },
    });
    expect(noCa.exitCode).toBe(1);
    expect(noCa.stderr.trim().split("\n")).toEqual([expect.stringMatching(/cannot start: .*missing\.pem/)]);
  });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));
