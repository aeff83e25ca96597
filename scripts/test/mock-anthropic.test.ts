/**
 * The mock must behave like api.anthropic.com where Claude Code and the captures can tell: TLS from its own CA,
 * Anthropic's error shapes, SSE that really streams, usage with prompt-cache fields, the scripted tool turn, and a
 * digest of exactly the bytes it received.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINAL_MARKER, PLAIN_MARKER, loadScenario, startMockAnthropic, type MockAnthropic } from "../src/mock-anthropic/index.js";
import { loopbackRequest } from "../src/shared/loopback-http.js";

const KEY = "sk-ant-canary-mock-test-0000";
const scratch = mkdtempSync(join(tmpdir(), "mock-anthropic-test-"));
const tlsDir = join(scratch, "tls");
const digestLog = join(scratch, "digests.jsonl");
let mock: MockAnthropic;
let ca: string;

const SYSTEM = [
  { type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } },
  { type: "text", text: "Primary working directory: /tmp/some-project\nIs a git repository: false" },
];
const TOOLS = [
  { name: "Read", description: "Reads a file", input_schema: { type: "object" } },
  { name: "Bash", description: "Runs a command", input_schema: { type: "object" } },
];

function firstTurn(stream: boolean): Record<string, unknown> {
  return {
    model: "claude-test-1",
    max_tokens: 1024,
    stream,
    system: SYSTEM,
    tools: TOOLS,
    messages: [{ role: "user", content: [{ type: "text", text: "Summarize README.md", cache_control: { type: "ephemeral" } }] }],
  };
}

function secondTurn(toolResult: string): Record<string, unknown> {
  return {
    ...firstTurn(false),
    messages: [
      { role: "user", content: [{ type: "text", text: "Summarize README.md" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/tmp/some-project/README.md" } }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_1", content: toolResult, cache_control: { type: "ephemeral" } }],
      },
    ],
  };
}

function post(path: string, body: unknown, headers: Record<string, string> = { "x-api-key": KEY }) {
  return loopbackRequest(mock.url + path, {
    method: "POST",
    ca,
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

interface SseEvent {
  event: string;
  data: Record<string, any>;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? "null") as Record<string, any>;
      return { event, data };
    });
}

// A throwaway CA and server key are generated in JavaScript first: seconds on a busy 2-core machine.
beforeAll(async () => {
  mock = await startMockAnthropic({ tlsDir, digestLog, eventDelayMs: 25, scenario: loadScenario("read-readme"), log: () => {} });
  ca = readFileSync(mock.caCertPath!, "utf8");
}, 60_000);
afterAll(async () => {
  await mock.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("TLS", () => {
  it("serves HTTPS for 127.0.0.1 and api.anthropic.com from a CA it wrote, keys readable by the owner only", async () => {
    expect(mock.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    for (const servername of [undefined, "api.anthropic.com", "localhost"]) {
      const res = await loopbackRequest(`${mock.url}/v1/nothing`, { ca, servername });
      expect(res.status).toBe(404);
    }
    for (const key of ["ca-key.pem", "server-key.pem"]) {
      expect(statSync(join(tlsDir, key)).mode & 0o077).toBe(0);
    }
  });

  it("passes strict X.509 verification (Python's ssl with VERIFY_X509_STRICT, as mitmproxy on Python 3.13 uses)", async () => {
    const script = [
      "import socket, ssl, sys",
      "ctx = ssl.create_default_context(cafile=sys.argv[1])",
      "ctx.verify_flags |= ssl.VERIFY_X509_STRICT",
      "host, port = sys.argv[2], int(sys.argv[3])",
      "with socket.create_connection(('127.0.0.1', port)) as raw:",
      "    with ctx.wrap_socket(raw, server_hostname=host) as tls:",
      "        print(tls.version())",
    ].join("\n");
    const port = new URL(mock.url).port;
    for (const host of ["api.anthropic.com", "127.0.0.1"]) {
      const result = await execa("python3", ["-c", script, mock.caCertPath!, host, port], { reject: false });
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/^TLSv1\.[23]$/);
    }
  });

  it("is not trusted without its CA", async () => {
    await expect(loopbackRequest(`${mock.url}/v1/messages`)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it("reuses the CA already in the folder", async () => {
    const again = await startMockAnthropic({ tlsDir, hostnames: ["api.anthropic.com", "mock.internal"], log: () => {} });
    try {
      expect(readFileSync(again.caCertPath!, "utf8")).toBe(ca);
      const res = await loopbackRequest(`${again.url}/v1/x`, { ca, servername: "mock.internal" });
      expect(res.status).toBe(404);
    } finally {
      await again.close();
    }
  });
});

describe("errors look like Anthropic's", () => {
  const cases = [
    { name: "401 without x-api-key", path: "/v1/messages", method: "POST", headers: {}, body: "{}", status: 401, type: "authentication_error" },
    { name: "404 for an unknown route", path: "/v1/complete-me", method: "POST", headers: { "x-api-key": KEY }, body: "{}", status: 404, type: "not_found_error" },
    { name: "400 for invalid JSON", path: "/v1/messages", method: "POST", headers: { "x-api-key": KEY }, body: "{not json", status: 400, type: "invalid_request_error" },
    { name: "400 for a missing field", path: "/v1/messages", method: "POST", headers: { "x-api-key": KEY }, body: '{"model":"m"}', status: 400, type: "invalid_request_error" },
    { name: "405 for GET on /v1/messages", path: "/v1/messages", method: "GET", headers: { "x-api-key": KEY }, body: undefined, status: 405, type: "invalid_request_error" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await loopbackRequest(mock.url + c.path, { method: c.method, headers: c.headers, body: c.body, ca });
      expect(res.status).toBe(c.status);
      expect(res.headers["request-id"]).toMatch(/^req_/);
      expect(res.json()).toEqual({ type: "error", error: { type: c.type, message: expect.any(String) } });
    });
  }

  it("accepts Authorization: Bearer instead of x-api-key", async () => {
    const res = await post("/v1/messages", firstTurn(false), { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(200);
  });
});

describe("scripted conversation", () => {
  it("answers the first turn with a Read of README.md in the working directory Claude Code states", async () => {
    const res = await post("/v1/messages?beta=true", firstTurn(false));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toContain("application/json");
    const message = res.json<{ content: Array<Record<string, unknown>>; stop_reason: string; usage: Record<string, number> }>();
    expect(message.stop_reason).toBe("tool_use");
    const toolUse = message.content.find((b) => b.type === "tool_use");
    expect(toolUse).toMatchObject({ name: "Read", input: { file_path: "/tmp/some-project/README.md" } });
    expect(toolUse?.id).toMatch(/^toolu_/);
    expect(Object.keys(message.usage)).toEqual(
      expect.arrayContaining(["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"]),
    );
  });

  it("answers a tool_result with the final marker and the result's size", async () => {
    const res = await post("/v1/messages", secondTurn("x".repeat(1234)));
    const message = res.json<{ content: Array<{ type: string; text: string }>; stop_reason: string }>();
    expect(message.stop_reason).toBe("end_turn");
    expect(message.content[0]?.text.startsWith(FINAL_MARKER)).toBe(true);
    expect(message.content[0]?.text).toContain("1234 characters");
  });

  it("answers a request without tools with short plain text", async () => {
    const res = await post("/v1/messages", { model: "claude-haiku-test", max_tokens: 50, messages: [{ role: "user", content: "title?" }] });
    const message = res.json<{ content: Array<{ type: string; text: string }>; stop_reason: string }>();
    expect(message.content).toEqual([{ type: "text", text: expect.stringMatching(new RegExp(`^${PLAIN_MARKER}`)) }]);
    expect(message.stop_reason).toBe("end_turn");
  });
});

describe("streaming", () => {
  it("sends Anthropic's SSE sequence, paced so that it really streams", async () => {
    const res = await post("/v1/messages", firstTurn(true));
    expect(res.headers["content-type"]).toContain("text/event-stream");
    const events = parseSse(res.text());
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("message_start");
    expect(names[1]).toBe("content_block_start");
    expect(names[2]).toBe("ping");
    expect(names.slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(names.filter((n) => n === "content_block_start")).toHaveLength(2);
    expect(names.filter((n) => n === "content_block_stop")).toHaveLength(2);
    for (const e of events) expect(e.data.type).toBe(e.event);

    const start = events[0]!.data.message;
    expect(start.usage).toMatchObject({ input_tokens: expect.any(Number), cache_creation_input_tokens: expect.any(Number) });
    const toolStart = events.find((e) => e.event === "content_block_start" && e.data.content_block.type === "tool_use")!;
    const json = events
      .filter((e) => e.event === "content_block_delta" && e.data.index === toolStart.data.index)
      .map((e) => e.data.delta.partial_json as string)
      .join("");
    expect(JSON.parse(json)).toEqual({ file_path: "/tmp/some-project/README.md" });
    const delta = events.at(-2)!.data;
    expect(delta.delta.stop_reason).toBe("tool_use");
    expect(delta.usage.output_tokens).toBeGreaterThan(0);

    // Paced at 25 ms per event: the body arrives in many pieces spread over time, not in one buffer.
    expect(res.chunks.length).toBeGreaterThan(5);
    expect(res.chunks.at(-1)!.at - res.chunks[0]!.at).toBeGreaterThan((events.length - 1) * 25 * 0.6);
  });
});

describe("usage and prompt caching", () => {
  it("writes the prefix up to the last breakpoint on a new prompt and reads it on the next turn", async () => {
    const fresh = await startMockAnthropic({ plainHttp: true, scenario: loadScenario("read-readme"), log: () => {} });
    try {
      const send = async (body: unknown) =>
        (await loopbackRequest(fresh.url + "/v1/messages", { method: "POST", headers: { "x-api-key": KEY }, body: JSON.stringify(body) })).json<{
          usage: Record<string, number>;
        }>().usage;
      const first = await send(firstTurn(false));
      expect(first.cache_read_input_tokens).toBe(0);
      expect(first.cache_creation_input_tokens).toBeGreaterThan(0);

      // Next turn: same tools and system, the first user message continued; breakpoint moved to the end.
      const second = await send(secondTurn("file contents ".repeat(50)));
      expect(second.cache_read_input_tokens).toBeGreaterThan(0);
      expect(second.cache_creation_input_tokens).toBeGreaterThan(0);

      // The same prompt for another model shares nothing.
      const otherModel = await send({ ...firstTurn(false), model: "claude-other" });
      expect(otherModel.cache_read_input_tokens).toBe(0);

      // Without breakpoints everything is plain input, counted by a BPE tokenizer: English prose at about
      // 4 to 5 characters per token.
      const prose = "The inventory service keeps a count of items per warehouse and answers three questions. ".repeat(40);
      const body = { model: "claude-test-1", max_tokens: 10, messages: [{ role: "user", content: prose }] };
      const plain = await send(body);
      expect(plain).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
      expect(plain.input_tokens).toBeGreaterThan(prose.length / 6);
      expect(plain.input_tokens).toBeLessThan(prose.length / 3.5);
    } finally {
      await fresh.close();
    }
  });

  it("counts tokens on /v1/messages/count_tokens", async () => {
    const res = await post("/v1/messages/count_tokens", { model: "claude-test-1", messages: [{ role: "user", content: "b".repeat(400) }] });
    expect(res.status).toBe(200);
    const { input_tokens } = res.json<{ input_tokens: number }>();
    expect(input_tokens).toBeGreaterThan(95);
    expect(input_tokens).toBeLessThan(115);
  });
});

describe("digest log", () => {
  it("records the sha256 and size of each body exactly as received, and no header values", async () => {
    const body = '{ "model": "claude-test-1",\n  "max_tokens": 5, "messages": [{"role":"user","content":"d\\u00e9j\\u00e0 vu"}] }';
    await post("/v1/messages?beta=true", body);
    const lines = readFileSync(digestLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines.at(-1)!;
    expect(last).toMatchObject({
      method: "POST",
      route: "/v1/messages",
      path: "/v1/messages?beta=true",
      size: Buffer.byteLength(body),
      sha256: createHash("sha256").update(body).digest("hex"),
    });
    expect(Object.keys(last).sort()).toEqual(["method", "path", "received_at", "route", "sha256", "size"]);
    expect(readFileSync(digestLog, "utf8")).not.toContain(KEY);
    expect(mock.requests.at(-1)?.sha256).toBe(last.sha256);
  });
});

const scriptsDir = join(import.meta.dirname, "..");

function runCli(args: string[]) {
  return execa("tsx", ["src/mock-anthropic/cli.ts", ...args], { cwd: scriptsDir, preferLocal: true, reject: false });
}

/** The first stdout line, or a failure carrying stderr when the process ends first. */
async function readinessLine(cli: ReturnType<typeof runCli>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    cli.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
    });
    void cli.then((result) => reject(new Error(`mock CLI ended before it was ready: ${result.stderr}`)));
  });
}

describe("CLI", { timeout: 20_000 }, () => {
  it("prints one readiness line, serves, and exits 0 on SIGTERM", async () => {
    const cli = runCli(["--port", "0", "--tls-dir", join(scratch, "cli-tls")]);
    const ready = JSON.parse(await readinessLine(cli)) as { event: string; url: string; ca: string };
    expect(ready).toEqual({ event: "listening", url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/), ca: join(scratch, "cli-tls", "ca.pem") });
    const res = await loopbackRequest(ready.url + "/v1/messages/count_tokens", {
      method: "POST",
      headers: { "x-api-key": KEY },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      ca: readFileSync(ready.ca, "utf8"),
    });
    expect(res.status).toBe(200);
    cli.kill("SIGTERM");
    const result = await cli;
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("--plain-http reports ca null; bad arguments exit 2 with a one-line error", async () => {
    const cli = runCli(["--plain-http"]);
    expect(JSON.parse(await readinessLine(cli))).toEqual({
      event: "listening",
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      ca: null,
    });
    cli.kill("SIGINT");
    expect((await cli).exitCode).toBe(0);

    const bad = await runCli(["--no-such-flag"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^mock-anthropic: Unknown argument/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});
