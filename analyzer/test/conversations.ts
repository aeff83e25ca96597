/** Claude Code-shaped conversations as capture records, for the pairing, token and cache-prefix tests. */
import { rmSync } from "node:fs";
import { networkDiffToStrings } from "../src/pipeline.js";
import type { PairBy } from "../src/pair.js";
import type { PriceTable } from "../src/prices.js";
import { type Json, tempDir, TOOLS, v1Record, writeJsonl } from "./helpers.js";

export const MAIN_MODEL = "claude-sonnet-4-5-20250929";
export const SIDE_MODEL = "claude-haiku-4-5-20251001";
export const PROXY = { url: "http://127.0.0.1:8787/v1/messages?beta=true", host: "127.0.0.1:8787" };
const BILLING = (turn: number) => ({ type: "text", text: `x-anthropic-billing-header: cc_version=2.1.332; cch=${turn.toString(16)}f3;` });

export interface TurnOptions {
  /** Text of the first user message (a conversation's identity, with model and system). */
  task?: string;
  system?: string;
  model?: string;
  /** Change what the result of tool call `n` reads (a proxy compressing it). */
  result?: (n: number) => string;
  /** Messages inserted after the first (a proxy adding context). */
  inserted?: Json[];
}

/** The request body of turn `turn` (1-based) of a main conversation: 2 × (turn - 1) + 1 messages. */
export function turnBody(turn: number, options: TurnOptions = {}): Json {
  const messages: Json[] = [{ role: "user", content: [{ type: "text", text: options.task ?? "Fix the failing test" }] }, ...(options.inserted ?? [])];
  for (let n = 1; n < turn; n++) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `toolu_${n}`, name: "Bash", input: { command: `step ${n}` } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${n}`, content: options.result?.(n) ?? `output of step ${n}` }] });
  }
  // Claude Code marks the last message for caching; the mark moves every turn.
  const last = messages.at(-1) as { content: Array<Record<string, unknown>> };
  last.content = last.content.map((block, i) => (i === last.content.length - 1 ? { ...block, cache_control: { type: "ephemeral" } } : block));
  return {
    model: options.model ?? MAIN_MODEL,
    max_tokens: 32000,
    system: [BILLING(turn), { type: "text", text: options.system ?? "You are Claude Code.", cache_control: { type: "ephemeral" } }],
    tools: TOOLS,
    messages,
    metadata: { user_id: "user_1" },
    stream: true,
  };
}

/** A one-message side request to a small model (topic or title detection). */
export function sideBody(text = "Is this a new topic?"): Json {
  return { model: SIDE_MODEL, max_tokens: 512, system: [{ type: "text", text: "Analyze if this message indicates a new conversation topic." }], messages: [{ role: "user", content: text }], stream: true };
}

/** Records of one lane, numbered 1..n in the order given; `extra` per record (by position) overrides fields. */
export function laneRecords(bodies: Json[], extra: Array<Json | undefined> = [], lane: Json = {}): Json[] {
  return bodies.map((body, i) => v1Record(i + 1, body, { ...lane, ...extra[i] }));
}

/** Run the pipeline on two lanes of records; the temporary folder is removed afterwards. */
export async function diffOf(direct: Json[], headroom: Json[], options: { pairBy?: PairBy; prices?: PriceTable; baseline?: Json[] } = {}) {
  const dir = tempDir();
  try {
    return await networkDiffToStrings({
      direct: writeJsonl(dir, "direct.jsonl", direct),
      headroom: writeJsonl(dir, "headroom.jsonl", headroom),
      baseline: options.baseline ? writeJsonl(dir, "baseline.jsonl", options.baseline) : undefined,
      pairBy: options.pairBy ?? "conversation",
      prices: options.prices,
      generatedAt: new Date("2026-01-02T03:04:05Z"),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `[direct sequence, headroom sequence]` of every pair. */
export function pairSequences(report: { paired: Array<{ direct_sequence: number | null; headroom_sequence: number | null }> }): Array<[number | null, number | null]> {
  return report.paired.map((pair) => [pair.direct_sequence, pair.headroom_sequence]);
}
