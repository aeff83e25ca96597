/**
 * Prompt-cache prefix stability per lane: where a lane stops resending the previous turn unchanged.
 *
 * Why: Anthropic's prompt cache reuses the longest prefix of a request it has seen before, in the
 * order tools, system, messages. Within a conversation every turn should start with exactly what the
 * turn before sent; the first element where it does not is where cache reads end and cache writes
 * begin. A proxy that rewrites an early message, reorders tools or edits the system prompt moves
 * that point and costs cache reads: this module names the turn (sequence) and the JSON path.
 *
 * Compared as the cache sees content: each element's key (exchange.ts) ignores `cache_control`, and
 * a one-text-block message equals the same text as a string. A retried exchange, or a request with
 * the same body as the turn before, is not a new turn.
 */
import { isConversationTurn } from "./conversation.js";
import type { Exchange, JsonLeaves, Prompt, PromptElement } from "./exchange.js";
import type { LaneView } from "./pair.js";

export interface PrefixBreak {
  /** The later request's sequence (null when the record had none). */
  sequence: number | null;
  /** First path of the later request that differs from the earlier one (`$.messages[3].content[0].text`). */
  path: string;
}

export interface CachePrefix {
  /** Turns that followed an earlier turn of their conversation (each checked against the one before). */
  turns: number;
  /** Of those, turns that started with the earlier turn's tools, system and messages unchanged. */
  stable: number;
  breaks: PrefixBreak[];
}

type Section = "tools" | "system" | "messages";
const SECTIONS: readonly Section[] = ["tools", "system", "messages"];

/** A path that mentions cache_control: not part of what the cache compares. */
function isCacheControl(path: string): boolean {
  return path.includes(".cache_control");
}

/** The first leaf path inside two same-position elements that differs, ignoring cache_control; null if none does. */
function firstLeafDifference(a: JsonLeaves, b: JsonLeaves, paths: readonly string[]): string | null {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.pathIds.length && isCacheControl(paths[a.pathIds[i] as number] ?? "")) i += 1;
    while (j < b.pathIds.length && isCacheControl(paths[b.pathIds[j] as number] ?? "")) j += 1;
    if (i >= a.pathIds.length && j >= b.pathIds.length) return null;
    if (j >= b.pathIds.length) return paths[a.pathIds[i] as number] ?? null;
    if (i >= a.pathIds.length || a.pathIds[i] !== b.pathIds[j] || a.hashes[i] !== b.hashes[j]) return paths[b.pathIds[j] as number] ?? null;
    i += 1;
    j += 1;
  }
}

function elementPath(section: Section, element: PromptElement): string {
  return `$.${section}[${element.index}]`;
}

/**
 * Where `later` stops starting with `earlier` (both prompts of one conversation); null when it
 * starts with all of it: the first differing path inside an edited element, or the element itself
 * when it was inserted (the earlier element comes later) or replaced by another kind of section.
 * `paths` names JSON path ids.
 */
export function prefixBreak(earlier: Exchange & { prompt: Prompt }, later: Exchange & { prompt: Prompt }, paths: readonly string[]): string | null {
  for (let s = 0; s < SECTIONS.length; s++) {
    const section = SECTIONS[s] as Section;
    const before = earlier.prompt[section];
    const after = later.prompt[section];
    const shared = Math.min(before.length, after.length);
    for (let i = 0; i < shared; i++) {
      const a = before[i] as PromptElement;
      const b = after[i] as PromptElement;
      if (a.key === b.key) continue;
      // The earlier element further on: something was inserted before it, not edited inside it.
      const inserted = after.some((element, j) => j > i && element.key === a.key);
      const leaf = inserted ? null : firstLeafDifference(a.leaves, b.leaves, paths);
      return leaf ?? elementPath(section, b);
    }
    if (before.length > after.length) {
      // The later request dropped elements: the first one it no longer sends.
      const last = after.at(-1);
      return last ? `$.${section}[${last.index + 1}]` : elementPath(section, before[shared] as PromptElement);
    }
    // The later request adds elements here, before what the earlier one sent next (its later sections).
    const restBefore = SECTIONS.slice(s + 1).some((next) => earlier.prompt[next].length > 0);
    if (after.length > before.length && restBefore) return elementPath(section, after[shared] as PromptElement);
  }
  return null;
}

/** The prefix check over every conversation of one lane. */
export function cachePrefix(view: LaneView, paths: readonly string[]): CachePrefix {
  const result: CachePrefix = { turns: 0, stable: 0, breaks: [] };
  for (const conversation of view.conversations.list) {
    let previous: (Exchange & { prompt: Prompt }) | null = null;
    for (const turn of conversation.turns) {
      if (view.retries.has(turn) || !isConversationTurn(turn)) continue;
      if (previous && turn.request_body_sha256 !== null && turn.request_body_sha256 === previous.request_body_sha256) continue;
      if (previous) {
        result.turns += 1;
        const path = prefixBreak(previous, turn, paths);
        if (path === null) result.stable += 1;
        else result.breaks.push({ sequence: turn.sequence, path });
      }
      previous = turn;
    }
  }
  result.breaks.sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
  return result;
}
