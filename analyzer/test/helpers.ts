/** Record builders, temp files and a CLI runner shared by the tests. */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ANALYZER = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO = resolve(ANALYZER, "..");
export const CLI = join(ANALYZER, "dist", "cli.js");
export const SCHEMA = join(REPO, "schema", "capture-record.v1.schema.json");

/** Secrets that must never appear in any output. */
export const CANARY = {
  apiKey: "sk-ant-canary-0123456789abcdef",
  bearer: "canary-bearer-token-5f4e3d2c1b",
  cookie: "canary-session-cookie-a1b2c3",
  query: "canary-query-key-9z8y7x",
  proxyToken: "canary-proxy-token-q1w2e3",
};
export const CANARY_VALUES = Object.values(CANARY);

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

export type Json = Record<string, unknown>;

/** A schema v1 record for POST /v1/messages with `body` as request_json; overrides win. */
export function v1Record(sequence: number, body: unknown, overrides: Json = {}): Json {
  const text = JSON.stringify(body);
  return {
    schema_version: 1,
    lane: "direct",
    sequence,
    timestamp: 1764000000 + sequence,
    method: "POST",
    url: "https://api.anthropic.com/v1/messages?beta=true",
    host: "api.anthropic.com",
    http_version: "HTTP/1.1",
    request_headers: {
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "claude-code-20250219",
      "x-api-key": "<redacted>",
    },
    request_body_size: Buffer.byteLength(text),
    request_body_sha256: sha256(text),
    request_json: body,
    response_status: 200,
    response_headers: { "content-type": "text/event-stream" },
    response_body_size: 1234,
    response_body_sha256: sha256(`response ${sequence}`),
    response_stream: true,
    usage: { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 },
    timings: { response_headers_ms: 300, first_byte_ms: 320, end_ms: 1500 },
    ...overrides,
  };
}

/** A record in the original harness's layout (no schema_version; body as base64). */
export function legacyRecord(sequence: number, body: string, overrides: Json = {}): Json {
  return {
    lane: "direct",
    sequence,
    timestamp: 1764000000 + sequence,
    method: "POST",
    url: "https://api.anthropic.com/v1/messages",
    host: "api.anthropic.com",
    request_headers: { "content-type": "application/json" },
    request_body_size: Buffer.byteLength(body),
    request_body_b64: Buffer.from(body).toString("base64"),
    response_status: 200,
    response_headers: {},
    response_body_size: 10,
    response_body_sha256: sha256("r"),
    ...overrides,
  };
}

export function messagesBody(extra: Json = {}): Json {
  return {
    model: "claude-sonnet-4-5-20250929",
    max_tokens: 32000,
    messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
    metadata: { user_id: "user_1" },
    stream: true,
    ...extra,
  };
}

export const TOOLS = [
  { name: "Read", description: "Read a file", input_schema: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] } },
  { name: "Bash", description: "Run a command", input_schema: { type: "object", properties: { command: { type: "string" } }, required: ["command"] } },
];

export function tempDir(): string {
  // Inside the run's folder (test/build.global.ts), which is removed after the suite.
  return mkdtempSync(join(process.env.HEADROOM_ANALYZE_TEST_TMP ?? tmpdir(), "headroom-analyze-test-"));
}

/** Write records (objects become JSON lines; strings are written as they are) to a JSONL file. */
export function writeJsonl(dir: string, name: string, lines: Array<Json | string>, trailingNewline = true): string {
  const file = join(dir, name);
  const text = lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n");
  writeFileSync(file, text + (trailingNewline && lines.length ? "\n" : ""));
  return file;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string } = {}): CliResult {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, encoding: "utf8", timeout: 60_000, env: { ...process.env, FORCE_COLOR: "0" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The stderr of a failed run: exactly one line, no stack trace. */
export function expectOneLineError(result: CliResult): string {
  const lines = result.stderr.trimEnd().split("\n");
  if (lines.length !== 1) throw new Error(`expected one stderr line, got:\n${result.stderr}`);
  if (/\n\s+at |\bat .*\.js:\d+/.test(result.stderr)) throw new Error(`stack trace on stderr:\n${result.stderr}`);
  return lines[0] as string;
}
