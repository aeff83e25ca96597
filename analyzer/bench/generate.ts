/**
 * Synthetic capture pair (and a baseline) shaped like Claude Code traffic, for the benchmark.
 *
 * Why this shape: what makes real captures big is that every `/v1/messages` request carries the
 * whole conversation so far — system prompt, ~24 tool definitions, and a history of tool_use /
 * tool_result turns that grows each turn. Each session also makes one small side request (a Haiku
 * call). The headroom lane is the same traffic as a compressing proxy would send it: long
 * tool_results shortened, the tools sorted by name in half the sessions, a message inserted in
 * some, the tools deferred at first in others (tools 0 -> N), and no billing header. Both lanes
 * have retries (a 529 or 500, then the same request again). The baseline lane is a second run of
 * the direct lane: same conversation, other session ids, user id and billing header ids.
 * Text is varied (words, made-up words, numbers, non-ASCII, quotes and backslashes that JSON
 * escapes), and a message's content switches between a string and one text block from turn to
 * turn, as Claude Code's does. Records are schema v1 as the addon writes them; some are written
 * out of sequence order, as overlapping exchanges are.
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

const SYLLABLES = "ka ri to ne su ma lo vi de pa ch th str ex in on al er ur qu ix oz ze".split(" ");
const UNICODE = ["café", "naïve", "日本語", "中文字", "Ωmega", "straße", "ñandú", "😀", "→", "…", "Привет"];
const ESCAPED = ['"quoted"', "C:\\Users\\dev\\file.ts", "tab\tseparated", "say \"hi\"", "\\n"];

/** One word of varied text: common words, made-up words, numbers, non-ASCII, text JSON escapes. */
function word(rand: () => number): string {
  const r = rand();
  if (r < 0.5) return WORDS[Math.floor(rand() * WORDS.length)] as string;
  if (r < 0.85) {
    let made = "";
    for (let n = 1 + Math.floor(rand() * 3); n >= 0; n--) made += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    return made;
  }
  if (r < 0.93) return String(Math.floor(rand() * 100000));
  if (r < 0.97) return UNICODE[Math.floor(rand() * UNICODE.length)] as string;
  return ESCAPED[Math.floor(rand() * ESCAPED.length)] as string;
}

class Text {
  private readonly pool: string;
  constructor(private readonly rand: () => number) {
    const parts: string[] = [];
    let length = 0;
    while (length < 4_000_000) {
      const next = word(rand);
      const sep = rand() < 0.08 ? "\n" : " ";
      parts.push(next, sep);
      length += next.length + 1;
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
  /** Which run this lane is: per-run ids (session, user, billing header) differ between runs. */
  run: string;
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

interface Outcome {
  status: number;
  usage: Record<string, number> | null;
  session: string;
  retry: number;
}

function record(lane: Lane, body: string, outcome: Outcome, stream: boolean, timestamp: number): string {
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
    request_headers: {
      ...HEADERS,
      host: lane.host,
      "content-length": String(bodyBytes),
      "x-claude-code-session-id": outcome.session,
      "x-stainless-retry-count": String(outcome.retry),
    },
    request_body_size: bodyBytes,
    request_body_sha256: createHash("sha256").update(body).digest("hex"),
  };
  const ok = outcome.status < 400;
  const tail = {
    response_status: outcome.status,
    response_headers: { "content-type": ok && stream ? "text/event-stream" : "application/json", "request-id": `req_${lane.run}_${lane.sequence}` },
    response_body_size: ok ? 2000 + (lane.sequence % 997) : 120,
    response_body_sha256: createHash("sha256").update(`r${lane.run}${lane.sequence}`).digest("hex"),
    response_stream: ok && stream,
    usage: outcome.usage,
    timings: { response_headers_ms: 400, first_byte_ms: 420, end_ms: ok ? 2500 + (lane.sequence % 1000) : 450 },
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

function id(...parts: Array<string | number>): string {
  return createHash("sha1").update(parts.join(":")).digest("hex");
}

type Message = { role: string; content: unknown };

export interface GenerateFiles {
  direct: string;
  headroom: string;
  halfDirect?: string;
  halfHeadroom?: string;
  /** A second run of the direct lane (for --baseline). */
  baseline?: string;
  halfBaseline?: string;
}

/** Write the lanes' captures (and the first half of the sessions to the half files). */
export async function generate(params: GenerateParams, files: GenerateFiles): Promise<void> {
  const rand = random(params.seed);
  const text = new Text(rand);
  const tools = makeTools(text, rand);
  const sortedTools = [...tools].sort((a, b) => String((a as { name: string }).name).localeCompare(String((b as { name: string }).name)));
  const system = [
    { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: "ephemeral" } },
    { type: "text", text: text.take(12_000), cache_control: { type: "ephemeral" } },
  ];
  const lane = (name: string, url: string, host: string, run: string, out: string, half: string | undefined): Lane => ({
    name,
    url,
    host,
    out: createWriteStream(out),
    half: half ? createWriteStream(half) : null,
    sequence: 0,
    held: null,
    run,
  });
  const direct = lane("direct", "https://api.anthropic.com", "api.anthropic.com", "a", files.direct, files.halfDirect);
  const headroom = lane("headroom-client", "http://127.0.0.1:8787", "127.0.0.1:8787", "c", files.headroom, files.halfHeadroom);
  const baseline = files.baseline ? lane("direct", "https://api.anthropic.com", "api.anthropic.com", "b", files.baseline, files.halfBaseline) : null;
  const directRuns = baseline ? [direct, baseline] : [direct];
  const lanes = [...directRuns, headroom];
  const halfSessions = Math.floor(params.sessions / 2);
  let clock = 1_764_000_000;

  for (let session = 0; session < params.sessions; session++) {
    const inHalf = session < halfSessions;
    const userId = (run: string) => `user_${id(run, "user")}_account__session_${id(run, session).slice(0, 36)}`;
    const sessionId = (run: string) => id(run, "session", session).slice(0, 32);
    const history: Message[] = [];
    const headroomHistory: Message[] = [];
    const firstPrompt = [
      { type: "text", text: `<system-reminder>\n${text.take(1500)}\n</system-reminder>` },
      { type: "text", text: text.take(200 + Math.floor(rand() * 600)) },
    ];
    history.push({ role: "user", content: firstPrompt });
    headroomHistory.push({ role: "user", content: firstPrompt });
    const deferTools = session % 10 === 3;
    const sortTools = session % 2 === 0;
    const insertAt = session % 5 === 1 ? 3 : -1;
    const headroomRetryAt = session % 7 === 2 ? 6 : -1;
    const directRetryAt = session % 11 === 5 ? 9 : -1;
    const previous = new Map<Lane, number>();

    // The side request: a small Haiku call, held back so it is written after the first turn.
    for (const each of lanes) {
      const side = JSON.stringify({
        model: "claude-haiku-4-5-20251001",
        max_tokens: 512,
        messages: [{ role: "user", content: "Analyze if this message indicates a new conversation topic." }],
        system: [{ type: "text", text: "Analyze if this message indicates a new conversation topic." }],
        temperature: 0,
        metadata: { user_id: userId(each.run) },
        stream: true,
      });
      const outcome = { status: 200, usage: usageFor(side.length, 0, 20), session: sessionId(each.run), retry: 0 };
      await emit(each, record(each, side, outcome, true, clock), inHalf, true);
    }

    for (let turn = 0; turn < params.turnsPerSession - 1; turn++) {
      clock += 7;
      // Claude Code sends a text-only message now as a string, now as one text block.
      const asString = turn % 3 === 1;
      const body = (each: Lane, messages: Message[], withTools: unknown[] | null) => {
        const last = messages[messages.length - 1];
        const shaped = messages.map((message) => {
          const content = message.content as Array<Record<string, unknown>>;
          if (message === last) return { role: message.role, content: content.map((block, i) => (i === content.length - 1 ? { ...block, cache_control: { type: "ephemeral" } } : block)) };
          if (asString && content.length === 1 && content[0]?.type === "text") return { role: message.role, content: content[0].text };
          return message;
        });
        const billing = { type: "text", text: `x-anthropic-billing-header: cc_version=2.1.332.${id(each.run, session, turn).slice(0, 3)}; cc_entrypoint=cli; cch=${id(each.run, turn).slice(0, 5)};` };
        const request: Record<string, unknown> = {
          model: "claude-sonnet-4-5-20250929",
          messages: shaped,
          temperature: 1,
          system: each === headroom ? system : [billing, ...system],
        };
        if (withTools) request.tools = withTools;
        request.metadata = { user_id: userId(each.run) };
        request.max_tokens = 32000;
        request.stream = true;
        return JSON.stringify(request);
      };
      const output = 50 + Math.floor(rand() * 400);
      const send = async (each: Lane, json: string, retryAt: number) => {
        if (turn === retryAt) {
          const failed = { status: each === headroom ? 529 : 500, usage: null, session: sessionId(each.run), retry: 0 };
          await emit(each, record(each, json, failed, true, clock), inHalf, false);
        }
        const outcome = { status: 200, usage: usageFor(json.length, previous.get(each) ?? 0, output), session: sessionId(each.run), retry: turn === retryAt ? 1 : 0 };
        await emit(each, record(each, json, outcome, true, clock), inHalf, false);
        previous.set(each, json.length);
      };
      for (const each of directRuns) await send(each, body(each, history, tools), directRetryAt);
      const headroomTools = deferTools && turn < 5 ? null : sortTools ? sortedTools : tools;
      await send(headroom, body(headroom, headroomHistory, headroomTools), headroomRetryAt);

      // The model's answer (a tool call, or a text reply now and then) and the tool's result join the history.
      const toolName = TOOL_NAMES[Math.floor(rand() * 6) + 1] as string;
      const toolId = `toolu_${id(session, turn).slice(0, 24)}`;
      const assistant: Message = {
        role: "assistant",
        content: [
          { type: "text", text: text.take(80 + Math.floor(rand() * 300)) },
          { type: "tool_use", id: toolId, name: toolName, input: { file_path: `/work/project/src/${text.take(12).replace(/\W/g, "_")}.ts`, limit: 2000 } },
        ],
      };
      const result = text.take(Math.floor(params.toolResultChars * (0.2 + rand() * 1.6)));
      history.push(assistant, { role: "user", content: [{ type: "tool_result", tool_use_id: toolId, content: result }] });
      headroomHistory.push(assistant, { role: "user", content: [{ type: "tool_result", tool_use_id: toolId, content: compress(result) }] });
      if (turn % 9 === 4) {
        // Now and then the user says something: a text-only message.
        const said: Message = { role: "user", content: [{ type: "text", text: text.take(40 + Math.floor(rand() * 200)) }] };
        const answer: Message = { role: "assistant", content: [{ type: "text", text: text.take(100 + Math.floor(rand() * 400)) }] };
        history.push(answer, said);
        headroomHistory.push(answer, said);
      }
      if (turn + 1 === insertAt) {
        // The proxy inserts a message of its own, which stays in its history.
        headroomHistory.splice(1, 0, { role: "user", content: [{ type: "text", text: "<system-reminder>Context restored by headroom.</system-reminder>" }] });
      }
    }
  }
  for (const each of lanes) {
    for (const stream of [each.out, each.half]) {
      if (!stream) continue;
      stream.end();
      await once(stream, "close");
    }
  }
}
