/**
 * The answer in Anthropic's two wire forms: one JSON message, or the SSE event sequence
 * message_start, content_block_start, ping, content_block_delta…, content_block_stop, …, message_delta, message_stop.
 */
import type { InputUsage } from "./usage.js";
import { estimateTokens } from "./usage.js";
import type { ReplyBlock, StopReason, Usage } from "./types.js";

export interface ServerSentEvent {
  event: string;
  data: Record<string, unknown>;
}

export interface Answer {
  id: string;
  model: string;
  content: ReplyBlock[];
  stop_reason: StopReason;
  input: InputUsage;
}

export function outputTokens(content: ReplyBlock[]): number {
  return content.reduce((sum, b) => sum + estimateTokens(b.type === "text" ? b.text : b.name + JSON.stringify(b.input)), 0);
}

function usageOf(answer: Answer, output: number): Usage & Record<string, unknown> {
  return {
    ...answer.input,
    cache_creation: { ephemeral_5m_input_tokens: answer.input.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: output,
    service_tier: "standard",
  };
}

/** The non-streaming response body. */
export function messageJson(answer: Answer): Record<string, unknown> {
  return {
    id: answer.id,
    type: "message",
    role: "assistant",
    model: answer.model,
    content: answer.content,
    stop_reason: answer.stop_reason,
    stop_sequence: null,
    usage: usageOf(answer, outputTokens(answer.content)),
  };
}

/** Cut a string into pieces of about `size` characters, so deltas look like a model's. */
function pieces(value: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += size) out.push(value.slice(i, i + size));
  return out.length > 0 ? out : [""];
}

/** The streaming response as SSE events, in order. */
export function streamEvents(answer: Answer): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const emit = (event: string, data: Record<string, unknown>): void => {
    events.push({ event, data: { type: event, ...data } });
  };
  emit("message_start", {
    message: { ...messageJson(answer), content: [], stop_reason: null, usage: usageOf(answer, 1) },
  });
  answer.content.forEach((block, index) => {
    if (block.type === "text") {
      emit("content_block_start", { index, content_block: { type: "text", text: "" } });
      if (index === 0) emit("ping", {});
      for (const text of pieces(block.text, 24)) {
        emit("content_block_delta", { index, delta: { type: "text_delta", text } });
      }
    } else {
      emit("content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
      if (index === 0) emit("ping", {});
      for (const partial_json of pieces(JSON.stringify(block.input), 16)) {
        emit("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } });
      }
    }
    emit("content_block_stop", { index });
  });
  emit("message_delta", {
    delta: { stop_reason: answer.stop_reason, stop_sequence: null },
    usage: { ...answer.input, output_tokens: outputTokens(answer.content) },
  });
  emit("message_stop", {});
  return events;
}

export function formatEvent(e: ServerSentEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
