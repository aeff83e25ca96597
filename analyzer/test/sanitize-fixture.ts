/**
 * A realistic pair of lane captures for the sanitize tests: a Claude Code session (billing-header
 * system block, tools with names and schemas, a tool_use / tool_result turn, a side request to a
 * small model, telemetry) seen direct and through a proxy that sorts the tools, inserts a message,
 * shortens a tool result and reports other usage. Secrets (canaries) sit everywhere a user's or a
 * client's secret could: headers, query, prompt text, tool input, tool result, metadata, an error,
 * a non-JSON body, a gzip-encoded body of the original harness's layout.
 */
import { gzipSync } from "node:zlib";
import { CANARY, legacyRecord, sha256, v1Record, type Json } from "./helpers.js";

export const SECRET_HEADERS = {
  "x-api-key": CANARY.apiKey,
  authorization: `Bearer ${CANARY.bearer}`,
  cookie: `session=${CANARY.cookie}`,
  "x-trace-context": `trace ${CANARY.proxyToken}`,
};

const CLIENT_HEADERS = {
  "content-type": "application/json",
  "anthropic-version": "2023-06-01",
  "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
  "user-agent": "claude-cli/2.1.332 (external, cli)",
  "x-stainless-os": "Linux",
  "x-app": "cli",
};

const TOOLS = [
  {
    name: "Read",
    description: "Reads a file from the local filesystem. Lines longer than 2000 characters are cut.",
    input_schema: { type: "object", properties: { file_path: { type: "string", description: "The absolute path" }, limit: { type: "number" } }, required: ["file_path"] },
  },
  {
    name: "Bash",
    description: 'Executes a bash command; quote paths with spaces ("like this").\nTimeout: 120000 ms.',
    input_schema: { type: "object", properties: { command: { type: "string" }, timeout: { type: "number" } }, required: ["command"] },
  },
  { name: "Edit", description: "Performs exact string replacements in files.", input_schema: { type: "object", properties: { old_string: { type: "string" }, new_string: { type: "string" } } } },
  { name: "Grep", description: "Searches file contents with ripgrep — fast, regex-aware.", input_schema: { type: "object", properties: { pattern: { type: "string" } } } },
  { name: "mcp__tracker__lookup", description: "Look up a ticket in the team tracker.", input_schema: { type: "object", properties: { id: { type: "string", enum: ["open", "closed"] } } } },
];

const SYSTEM = [
  { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.332.a1b; cc_entrypoint=cli; cch=5f3e1;" },
  { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: "ephemeral" } },
  { type: "text", text: "Working directory: /home/dana/acme-payments\nIs a git repo: yes\nÜmlauts and emoji 🚀 stay the same size.", cache_control: { type: "ephemeral", ttl: "1h" } },
];

const TOOL_ID = "toolu_01HJk3mPq9RsT4uVwXyZ2aBc";
const LONG_RESULT = Array.from({ length: 40 }, (_, i) => `{"line":${i},"text":"row ${i} of the ledger"}`).join("\n") + `\nAPI_TOKEN=${CANARY.proxyToken}\n`;
const SHORT_RESULT = `[40 rows, compressed] first: {"line":0} API_TOKEN=${CANARY.proxyToken}`;

function turn(messages: Json[], tools: Json[] = TOOLS): Json {
  return {
    model: "claude-sonnet-4-5-20250929",
    max_tokens: 32000,
    system: SYSTEM,
    tools,
    messages,
    metadata: { user_id: `user_0f9e8d_account_${CANARY.cookie}_session_4b1c` },
    stream: true,
  };
}

const USER_1 = { role: "user", content: [{ type: "text", text: `Why does the build fail? My key is ${CANARY.apiKey}`, cache_control: { type: "ephemeral" } }] };
const ASSISTANT_1 = {
  role: "assistant",
  content: [
    { type: "text", text: "Let me look." },
    { type: "tool_use", id: TOOL_ID, name: "Bash", input: { command: `grep -r token= . # ${CANARY.bearer}`, type: "secret-looking input", name: "not a tool" } },
  ],
};
const RESULT_DIRECT = { role: "user", content: [{ type: "tool_result", tool_use_id: TOOL_ID, content: LONG_RESULT }] };
const RESULT_PROXY = { role: "user", content: [{ type: "tool_result", tool_use_id: TOOL_ID, content: SHORT_RESULT }] };
const INSERTED = { role: "user", content: "[proxy] earlier tool output was compressed" };

function usage(input: number, cacheRead: number, output = 40): Json {
  return { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 300, cache_read_input_tokens: cacheRead };
}

function messagesRecord(lane: string, sequence: number, body: Json, extra: Json = {}): Json {
  return v1Record(sequence, body, { lane, request_headers: { ...CLIENT_HEADERS, ...SECRET_HEADERS }, ...extra });
}

/** Telemetry that is not JSON: a text body holding a secret, as base64. */
function textRecord(lane: string, sequence: number): Json {
  const text = `event=startup&session_token=${CANARY.proxyToken}`;
  return {
    ...v1Record(sequence, null, { lane, url: `https://api.anthropic.com/api/event_logging/batch?key=${CANARY.query}`, request_headers: { "content-type": "text/plain", ...SECRET_HEADERS } }),
    request_json: undefined,
    request_body_size: Buffer.byteLength(text),
    request_body_sha256: sha256(text),
    request_body_b64: Buffer.from(text).toString("base64"),
    usage: null,
    response_stream: false,
  };
}

/** The original harness's layout: a gzip-encoded JSON body as base64, no size or hash recorded. */
function gzipRecord(lane: string, sequence: number, body: Json): Json {
  const bytes = gzipSync(Buffer.from(JSON.stringify(body)));
  const record = legacyRecord(sequence, "", { lane, request_headers: { "content-type": "application/json", "content-encoding": "gzip", ...SECRET_HEADERS }, usage: usage(9, 0, 3) });
  delete record.request_body_size;
  return { ...record, request_body_b64: bytes.toString("base64") };
}

const SIDE_REQUEST = { model: "claude-haiku-4-5-20251001", max_tokens: 512, messages: [{ role: "user", content: "no" }], stream: false };

/** The direct lane's records, in file order. */
export function directLane(): Array<Json | string> {
  return [
    messagesRecord("direct", 1, SIDE_REQUEST, { usage: usage(12, 0, 5) }),
    messagesRecord("direct", 2, turn([USER_1]), { usage: usage(2100, 0) }),
    "",
    messagesRecord("direct", 3, turn([USER_1, ASSISTANT_1, RESULT_DIRECT]), { usage: usage(900, 2100) }),
    textRecord("direct", 4),
    gzipRecord("direct", 5, { events: [{ name: "tengu_startup", session: CANARY.cookie }] }),
    messagesRecord("direct", 6, turn([USER_1, ASSISTANT_1, RESULT_DIRECT, { role: "assistant", content: "Fixed." }, { role: "user", content: "ok" }]), {
      usage: usage(30, 3000),
      error: { kind: "client_disconnected", message: `client went away; authorization: Bearer ${CANARY.bearer}` },
    }),
  ];
}

/** Another run's ids: Claude Code's billing block and session id change from run to run. */
function rerun(lines: Array<Json | string>, billing: string, session: string): Array<Json | string> {
  return lines.map((line) =>
    typeof line === "string" ? line : (JSON.parse(JSON.stringify(line).replaceAll("cch=5f3e1", billing).replaceAll("_session_4b1c", session)) as Json),
  );
}

/** The headroom lane: tools sorted, a message inserted, the tool result shortened, less usage; its own run's ids. */
export function headroomLane(): Array<Json | string> {
  return rerun(headroomRecords(), "cch=c4d21", "_session_e5f6");
}

function headroomRecords(): Array<Json | string> {
  const sorted = [...TOOLS].sort((a, b) => a.name.localeCompare(b.name));
  const proxied = { "x-headroom-mode": "optimize", "x-forwarded-for": "10.1.2.3" };
  return [
    // A one-character change at the same path: stand-ins that short must still differ.
    messagesRecord("headroom-client", 1, { ...SIDE_REQUEST, messages: [{ role: "user", content: "ok" }] }, { usage: usage(12, 0, 5) }),
    messagesRecord("headroom-client", 2, turn([USER_1], sorted), { usage: usage(2050, 0), request_headers: { ...CLIENT_HEADERS, ...SECRET_HEADERS, ...proxied } }),
    messagesRecord("headroom-client", 3, turn([USER_1, ASSISTANT_1, INSERTED, RESULT_PROXY], sorted), { usage: usage(400, 2050) }),
    textRecord("headroom-client", 4),
    gzipRecord("headroom-client", 5, { events: [{ name: "tengu_startup", session: CANARY.cookie, via: "proxy" }] }),
    messagesRecord("headroom-client", 6, turn([USER_1, ASSISTANT_1, INSERTED, RESULT_PROXY, { role: "assistant", content: "Fixed." }, { role: "user", content: "no" }], sorted), {
      usage: usage(25, 2400),
    }),
    // Only in this lane: a title request.
    messagesRecord("headroom-client", 7, { ...SIDE_REQUEST, messages: [{ role: "user", content: "Write a 5-word title for this session." }] }, { usage: usage(14, 0, 9) }),
  ];
}

/** A second run of the direct lane (for --baseline): the same requests with that run's ids. */
export function baselineLane(): Array<Json | string> {
  return rerun(directLane(), "cch=9a0b7", "_session_77d2");
}
