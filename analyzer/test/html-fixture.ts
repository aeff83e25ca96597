/**
 * A capture pair shaped like a short Claude Code session through a proxy, for the HTML report's
 * tests: one conversation of four turns plus a side request; the proxy re-sorts the tools and adds
 * one, shortens a long tool result, inserts a message in the last turn, and its lane fails once.
 * A tool result holds `</script>` and a bearer token, to prove escaping and scrubbing. A baseline
 * (a second direct run) differs from the direct lane in the session only: noise.
 */
import { CANARY, messagesBody, TOOLS, v1Record, writeJsonl, type Json } from "./helpers.js";

export const LONG_RESULT = Array.from({ length: 120 }, (_, i) => `line ${i}: export const value${i} = ${i};`).join("\n");
export const SHORT_RESULT = `${LONG_RESULT.split("\n").slice(0, 20).join("\n")}\n[... 100 lines compressed by the proxy ...]`;
export const SCRIPT_TEXT = `</script><script>document.title="pwned"</script> Authorization: Bearer ${CANARY.bearer}`;
const RETRIEVE = { name: "headroom_retrieve", description: "Fetch compressed content", input_schema: { type: "object", properties: { id: { type: "string" } } } };

function turnMessages(turn: number, result: string): Json[] {
  const messages: Json[] = [{ role: "user", content: [{ type: "text", text: "Summarize src/app.ts" }] }];
  if (turn >= 2) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: "toolu_01", name: "Read", input: { file_path: "src/app.ts" } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: result }] });
  }
  if (turn >= 3) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: "toolu_02", name: "Bash", input: { command: "cat notes.txt" } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_02", content: SCRIPT_TEXT }] });
  }
  if (turn >= 4) messages.push({ role: "assistant", content: [{ type: "text", text: "It exports 120 constants." }] });
  return messages;
}

const usage = (turn: number, saved: number) => ({
  input_tokens: 12 + turn,
  output_tokens: 40 + turn,
  cache_creation_input_tokens: 300 * turn - saved / 4,
  cache_read_input_tokens: turn === 1 ? 0 : 2000 * (turn - 1) - saved,
});

/** Write the pair into `dir`; returns the two files. */
export function writeSessionPair(dir: string): { direct: string; headroom: string; baseline: string } {
  const direct: Json[] = [];
  const headroom: Json[] = [];
  let sequence = 0;
  const side = { model: "claude-haiku-4-5-20251001", max_tokens: 512, messages: [{ role: "user", content: "Is this a new topic?" }], stream: false };
  direct.push(v1Record(++sequence, side, { lane: "direct" }));
  headroom.push(v1Record(sequence, side, { lane: "headroom", host: "127.0.0.1:8787", url: "http://127.0.0.1:8787/v1/messages?beta=true" }));
  for (let turn = 1; turn <= 4; turn++) {
    sequence += 1;
    const directBody = messagesBody({ tools: TOOLS, messages: turnMessages(turn, LONG_RESULT), metadata: { user_id: "user_direct_session_1" } });
    const proxied = turnMessages(turn, SHORT_RESULT);
    if (turn === 4) proxied.splice(1, 0, { role: "user", content: "[proxy note] earlier output was compressed" });
    const headroomBody = messagesBody({ tools: [RETRIEVE, TOOLS[1], TOOLS[0]], messages: proxied, metadata: { user_id: "user_headroom_session_2" } });
    direct.push(
      v1Record(sequence, directBody, {
        lane: "direct",
        usage: usage(turn, 0),
        timings: { response_headers_ms: 280 + turn, first_byte_ms: 300 + 10 * turn, end_ms: 1400 + turn },
        request_headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "<redacted>", "x-claude-code-session-id": "session-direct" },
      }),
    );
    headroom.push(
      v1Record(sequence, headroomBody, {
        lane: "headroom",
        host: "127.0.0.1:8787",
        url: "http://127.0.0.1:8787/v1/messages?beta=true",
        usage: turn === 3 ? null : usage(turn, turn === 1 ? 0 : 900),
        response_status: turn === 3 ? 529 : 200,
        error: turn === 3 ? { kind: "http", message: "overloaded" } : null,
        timings: { response_headers_ms: 300 + turn, first_byte_ms: 330 + 12 * turn, end_ms: 1500 + turn },
        request_headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "<redacted>", "x-claude-code-session-id": "session-headroom", "x-headroom-mode": "token" },
      }),
    );
  }
  // A second direct run of the same task: only the session differs (header and metadata), i.e. noise.
  const baseline = direct.map((record) => {
    const headers = record.request_headers as Record<string, string>;
    const body = record.request_json as Json;
    const copy: Json = { ...record, request_headers: { ...headers, "x-claude-code-session-id": "session-baseline" } };
    if (body.metadata) copy.request_json = { ...body, metadata: { user_id: "user_baseline_session_3" } };
    return copy;
  });
  return {
    direct: writeJsonl(dir, "direct.jsonl", direct),
    headroom: writeJsonl(dir, "headroom.jsonl", headroom),
    baseline: writeJsonl(dir, "direct-baseline.jsonl", baseline),
  };
}
