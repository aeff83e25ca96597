/**
 * Token counts and prompt caching, modelled closely enough that captures show what a proxy does to them.
 *
 * Tokens are counted with a real BPE tokenizer (cl100k_base from the npm package gpt-tokenizer, data bundled, no
 * download). Claude's own tokenizer is not public; a BPE count follows the content closely, so a tool result a
 * proxy shrinks by 60 % shows as clearly fewer prompt tokens, and compact JSON counts differently from prose as it
 * does on the real API. The prompt is the sequence of blocks Anthropic
 * caches over: each tool, then each system block, then each message's content blocks, in order. A block carrying
 * `cache_control` is a breakpoint. As on the real API, a request reads from cache the longest prefix that ends at a
 * block boundary, at most LOOKBACK_BLOCKS before one of its breakpoints, and was written by an earlier request
 * (same mock instance, same model); what lies between that and the last breakpoint is written (cache creation);
 * the rest is plain input. So a second turn of the same conversation shows cache reads.
 */
import { createHash } from "node:crypto";
import { countTokens } from "gpt-tokenizer/encoding/cl100k_base";
import type { ContentBlock, MessagesRequest } from "./types.js";

/** Anthropic checks for hits at up to 20 block boundaries before each breakpoint. */
export const LOOKBACK_BLOCKS = 20;

/** Text that looks like a special token (`<|endoftext|>`) is ordinary text in a prompt, not a reason to fail. */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Most blocks (tools, system, earlier turns) come back unchanged every turn: count each distinct text once. */
const counted = new Map<string, number>();
const COUNTED_LIMIT = 2000;

export function estimateTokens(text: string): number {
  if (text === "") return 0;
  const known = counted.get(text);
  if (known !== undefined) return known;
  const tokens = Math.max(1, countTokens(text, AS_PLAIN_TEXT));
  if (counted.size >= COUNTED_LIMIT) counted.clear();
  counted.set(text, tokens);
  return tokens;
}

export interface PromptBlock {
  /** Canonical text of the block (JSON without cache_control), hashed into the prefix. */
  text: string;
  tokens: number;
  breakpoint: boolean;
}

export interface InputUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

function block(where: string, value: unknown): PromptBlock {
  const { cache_control, ...rest } = (typeof value === "object" && value !== null ? value : { text: value }) as {
    cache_control?: unknown;
  };
  const text = `${where}:${JSON.stringify(rest)}`;
  return { text, tokens: estimateTokens(JSON.stringify(rest)), breakpoint: cache_control !== undefined && cache_control !== null };
}

function contentBlocks(content: string | ContentBlock[] | undefined): unknown[] {
  if (content === undefined) return [];
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/**
 * Claude Code's first system block is attribution metadata (`x-anthropic-billing-header: ...`) that changes every
 * turn (it names the previous request id). The API reads it rather than prompting with it; if it counted in the
 * cached prefix no conversation would ever hit the cache, which is not what real captures show.
 */
const isBillingHeader = (b: unknown): boolean =>
  typeof b === "object" && b !== null && String((b as { text?: unknown }).text ?? "").startsWith("x-anthropic-billing-header:");

/** The request's prompt as cacheable blocks: tools, then system, then messages. */
export function promptBlocks(request: MessagesRequest): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  for (const tool of request.tools ?? []) blocks.push(block("tool", tool));
  for (const b of contentBlocks(request.system)) if (!isBillingHeader(b)) blocks.push(block("system", b));
  for (const message of request.messages) {
    for (const b of contentBlocks(message.content)) blocks.push(block(`message:${message.role}`, b));
  }
  return blocks;
}

/** Total input tokens, as /v1/messages/count_tokens reports them. */
export function countInputTokens(request: MessagesRequest): number {
  return promptBlocks(request).reduce((sum, b) => sum + b.tokens, 0);
}

/** Prompt-cache state of one mock instance: prefix hashes written so far, per model. */
export class PromptCache {
  private readonly written = new Map<string, Set<string>>();

  /** Split the request's input tokens into read / created / uncached, and remember its breakpoints. */
  account(request: MessagesRequest): InputUsage {
    const blocks = promptBlocks(request);
    const cumulative: number[] = [];
    const hashes: string[] = [];
    let running = 0;
    let previous = request.model;
    for (const b of blocks) {
      running += b.tokens;
      previous = createHash("sha256").update(previous).update("\n").update(b.text).digest("hex");
      cumulative.push(running);
      hashes.push(previous);
    }
    const total = running;
    const breakpoints = blocks.flatMap((b, i) => (b.breakpoint ? [i] : []));
    const last = breakpoints.at(-1);
    if (last === undefined) return { input_tokens: total, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

    const seen = this.written.get(request.model) ?? new Set<string>();
    let readEnd = -1;
    for (const bp of breakpoints) {
      for (let i = bp; i >= Math.max(0, bp - LOOKBACK_BLOCKS + 1); i--) {
        if (seen.has(hashes[i]!)) {
          readEnd = Math.max(readEnd, i);
          break;
        }
      }
    }
    for (const bp of breakpoints) seen.add(hashes[bp]!);
    this.written.set(request.model, seen);

    const read = readEnd >= 0 ? cumulative[readEnd]! : 0;
    const upToLast = cumulative[last]!;
    return {
      input_tokens: total - upToLast,
      cache_creation_input_tokens: upToLast - read,
      cache_read_input_tokens: read,
    };
  }
}
