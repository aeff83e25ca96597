/**
 * Synthetic capture pair shaped like Claude Code traffic, for the benchmark.
 *
 * Why this shape: what makes real captures big is that every `/v1/messages` request carries the
 * whole conversation so far — system prompt, ~24 tool definitions, and a history of tool_use /
 * tool_result turns that grows each turn. Each session also makes one small side request (a Haiku
 * call). The headroom lane is the same traffic as a compressing proxy would send it: long
 * tool_results shortened, and in some sessions the tools deferred at first (tools 0 -> N).
 * Records are schema v1 as the addon writes them; some are written out of sequence order, as
 * overlapping exchanges are.
 */
import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";

export interface GenerateParams {
  sessions: number;
  turnsPerSession: number;
  /** Average tool_result size in characters. */
  toolResultChars: number;
  seed: number;
}

/** Deterministic PRNG (mulberry32), so the same params always give the same files. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "const let function return import export from await async if else for while class interface type " +
  "the file path line error value result config test build module package node src index json true false " +
  "null undefined string number array object map set get push slice split join read write edit grep glob bash " +
  "README.md src/index.ts package.json tsconfig.json // TODO: fix handle { } ( ) [ ] => ; , . = + - * / < >"
).split(" ");

class Text {
  private readonly pool: string;
  constructor(private readonly rand: () => number) {
    const parts: string[] = [];
    let length = 0;
    while (length < 4_000_000) {
      const word = WORDS[Math.floor(rand() * WORDS.length)] as string;
      const sep = rand() < 0.08 ? "\n" : " ";
      parts.push(word, sep);
      length += word.length + 1;
    }
    this.pool = parts.join("");
  }
  take(chars: number): string {
    const start = Math.floor(this.rand() * (this.pool.length - chars - 1));
    return this.pool.slice(start, start + chars);
  }
}

const TOOL_NAMES = [
  "Task", "Bash", "Glob", "Grep", "ExitPlanMode", "Read", "Edit", "MultiEdit", "Write", "NotebookEdit",
  "WebFetch", "TodoWrite", "WebSearch", "BashOutput", "KillShell", "SlashCommand", "Skill", "AskUserQuestion",
  "mcp__ide__getDiagnostics", "mcp__ide__executeCode", "ListMcpResourcesTool", "ReadMcpResourceTool",
  "mcp__github__search_code", "mcp__github__get_file_contents",
];

function makeTools(text: Text, rand: () => number): unknown[] {
  return TOOL_NAMES.map((name) => {
    const properties: Record<string, unknown> = {};
    const count = 2 + Math.floor(rand() * 4);
    for (let i = 0; i < count; i++) {
      properties[`param_${i}`] = { type: i % 3 === 0 ? "number" : "string", description: text.take(60 + Math.floor(rand() * 200)) };
    }
    return {
      name,
      description: text.take(600 + Math.floor(rand() * 2400)),
      input_schema: {
        type: "object",
        properties,
        required: Object.keys(properties).slice(0, 1),
        additionalProperties: false,
        $schema: "http://json-schema.org/draft-07/schema#",
      },
    };
  });
}

interface Lane {
  name: string;
  url: string;
  host: string;
  out: WriteStream;
  half: WriteStream | null;
  sequence: number;
  /** Records held back to be written after the next one (out-of-order completion). */
  held: string | null;
}

const HEADERS = {
  accept: "application/json",
  "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14",
  "anthropic-dangerous-direct-browser-access": "true",
  "anthropic-version": "2023-06-01",
  "content-type": "application/json",
  "user-agent": "claude-cli/2.1.332 (external, cli)",
  "x-api-key": "<redacted>",
  "x-app": "cli",
  "x-stainless-lang": "js",
  "x-stainless-package-version": "0.60.0",
  "x-stainless-retry-count": "0",
};

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

async function emit(lane: Lane, line: string, inHalf: boolean, holdBack: boolean): Promise<void> {
  if (holdBack) {
    lane.held = line;
    return;
  }
  await write(lane.out, line);
  if (inHalf && lane.half) await write(lane.half, line);
  if (lane.held) {
    await write(lane.out, lane.held);
    if (inHalf && lane.half) await write(lane.half, lane.held);
    lane.held = null;
  }
}

function record(lane: Lane, body: string, usage: Record<string, number>, stream: boolean, timestamp: number): string {
  lane.sequence += 1;
  const bodyBytes = Buffer.byteLength(body);
  const head = {
    schema_version: 1,
    lane: lane.name,
    sequence: lane.sequence,
    timestamp,
    method: "POST",
    url: `${lane.url}/v1/messages?beta=true`,
    host: lane.host,
    http_version: "HTTP/1.1",
    request_headers: { ...HEADERS, host: lane.host, "content-length": String(bodyBytes) },
    request_body_size: bodyBytes,
    request_body_sha256: createHash("sha256").update(body).digest("hex"),
  };
  const tail = {
    response_status: 200,
    response_headers: { "content-type": stream ? "text/event-stream" : "application/json", "request-id": `req_${lane.sequence}` },
    response_body_size: 2000 + (lane.sequence % 997),
    response_body_sha256: createHash("sha256").update(`r${lane.sequence}`).digest("hex"),
    response_stream: stream,
    usage,
    timings: { response_headers_ms: 400, first_byte_ms: 420, end_ms: 2500 + (lane.sequence % 1000) },
  };
  return `${JSON.stringify(head).slice(0, -1)},"request_json":${body},${JSON.stringify(tail).slice(1)}\n`;
}

function usageFor(promptChars: number, previousChars: number, output: number): Record<string, number> {
  const prompt = Math.round(promptChars / 4);
  const cached = Math.min(prompt, Math.round(previousChars / 4));
  return { input_tokens: 4, cache_creation_input_tokens: Math.max(0, prompt - cached - 4), cache_read_input_tokens: cached, output_tokens: output };
}

/** Shorten a tool_result the way a compressing proxy might. */
function compress(content: string): string {
  if (content.length <= 3000) return content;
  return `${content.slice(0, Math.floor(content.length * 0.75))}\n[... ${content.length - Math.floor(content.length * 0.75)} chars compressed by headroom ...]`;
}

/** Write `direct.jsonl` and `headroom.jsonl` (and the first half of the sessions to the half files). */
export async function generate(params: GenerateParams, files: { direct: string; headroom: string; halfDirect?: string; halfHeadroom?: string }): Promise<void> {
  const rand = random(params.seed);
  const text = new Text(rand);
  const tools = makeTools(text, rand);
  const system = [
    { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: "ephemeral" } },
    { type: "text", text: text.take(12_000), cache_control: { type: "ephemeral" } },
  ];
  const lanes: Lane[] = [
    { name: "direct", url: "https://api.anthropic.com", host: "api.anthropic.com", out: createWriteStream(files.direct), half: files.halfDirect ? createWriteStream(files.halfDirect) : null, sequence: 0, held: null },
    { name: "headroom-client", url: "http://127.0.0.1:8787", host: "127.0.0.1:8787", out: createWriteStream(files.headroom), half: files.halfHeadroom ? createWriteStream(files.halfHeadroom) : null, sequence: 0, held: null },
  ];
  const [direct, headroom] = lanes as [Lane, Lane];
  const halfSessions = Math.floor(params.sessions / 2);
  let clock = 1_764_000_000;

  for (let session = 0; session < params.sessions; session++) {
    const inHalf = session < halfSessions;
    const userId = `user_${createHash("sha256").update(String(session)).digest("hex")}_account__session_${session}`;
    const history: Array<{ role: string; content: unknown[] }> = [];
    const headroomHistory: Array<{ role: string; content: unknown[] }> = [];
    const firstPrompt = [
      { type: "text", text: `<system-reminder>\n${text.take(1500)}\n</system-reminder>` },
      { type: "text", text: text.take(200 + Math.floor(rand() * 600)) },
    ];
    history.push({ role: "user", content: firstPrompt });
    headroomHistory.push({ role: "user", content: firstPrompt });
    const deferTools = session % 10 === 3;
    let previousDirect = 0;
    let previousHeadroom = 0;

    // The side request: a small Haiku call, held back so it is written after the first turn.
    const side = JSON.stringify({
      model: "claude-haiku-4-5-20251001",
      max_tokens: 512,
      messages: [{ role: "user", content: text.take(300) }],
      system: [{ type: "text", text: "Analyze if this message indicates a new conversation topic." }],
      temperature: 0,
      metadata: { user_id: userId },
      stream: true,
    });
    for (const lane of lanes) await emit(lane, record(lane, side, usageFor(side.length, 0, 20), true, clock), inHalf, true);

    for (let turn = 0; turn < params.turnsPerSession - 1; turn++) {
      clock += 7;
      const body = (messages: typeof history, withTools: boolean) => {
        const last = messages[messages.length - 1];
        const marked = messages.map((message) =>
          message === last ? { role: message.role, content: message.content.map((block, i) => (i === message.content.length - 1 ? { ...(block as object), cache_control: { type: "ephemeral" } } : block)) } : message,
        );
        const request: Record<string, unknown> = { model: "claude-sonnet-4-5-20250929", messages: marked, temperature: 1, system };
        if (withTools) request.tools = tools;
        request.metadata = { user_id: userId };
        request.max_tokens = 32000;
        request.stream = true;
        return JSON.stringify(request);
      };
      const directBody = body(history, true);
      const headroomBody = body(headroomHistory, !(deferTools && turn < 5));
      const output = 50 + Math.floor(rand() * 400);
      await emit(direct, record(direct, directBody, usageFor(directBody.length, previousDirect, output), true, clock), inHalf, false);
      await emit(headroom, record(headroom, headroomBody, usageFor(headroomBody.length, previousHeadroom, output), true, clock), inHalf, false);
      previousDirect = directBody.length;
      previousHeadroom = headroomBody.length;

      // The model's answer (a tool call) and the tool's result join the history.
      const toolName = TOOL_NAMES[Math.floor(rand() * 6) + 1] as string;
      const id = `toolu_${createHash("sha1").update(`${session}:${turn}`).digest("hex").slice(0, 24)}`;
      const assistant = {
        role: "assistant",
        content: [
          { type: "text", text: text.take(80 + Math.floor(rand() * 300)) },
          { type: "tool_use", id, name: toolName, input: { file_path: `/work/project/src/${text.take(12).replace(/\W/g, "_")}.ts`, limit: 2000 } },
        ],
      };
      const result = text.take(Math.floor(params.toolResultChars * (0.2 + rand() * 1.6)));
      history.push(assistant, { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: result }] });
      headroomHistory.push(assistant, { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: compress(result) }] });
    }
  }
  for (const lane of lanes) {
    for (const stream of [lane.out, lane.half]) {
      if (!stream) continue;
      stream.end();
      await once(stream, "close");
    }
  }
}
