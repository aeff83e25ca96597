/**
 * Pairing by conversation (`--pair-by conversation`): which conversation of one lane is which of the
 * other, and which turn of it is which.
 *
 * Conversations: the same identity (model, system, first message; see conversation.ts) pairs first.
 * A proxy may rewrite the system prompt or the first message, so the rest pair within the same model
 * by similarity — shared system blocks, the same first message, shared tool names, shared messages of
 * the first turn — and, between equally similar candidates, by order (the n-th new conversation of
 * that model in one lane with the n-th in the other). A proxy may also change the model: what is
 * left then pairs across models when at least half alike (CROSS_MODEL_SIMILARITY).
 *
 * Turns: the two turn sequences are aligned like two texts (a weighted longest common subsequence),
 * so a turn one lane lost or added leaves one turn unpaired instead of shifting all later ones.
 * Two turns match best when they sent the same messages, then when their last message (the new
 * user input or tool result) is the same, then when they have as many messages; any two turns in
 * the same stretch between such matches still pair, by position.
 */
import { turnSignature, type Conversation, type TurnSignature } from "./conversation.js";
import type { Exchange, Prompt } from "./exchange.js";

/** |A ∩ B| / |A ∪ B| over distinct items; two empty lists are alike (1). */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const left = new Set(a);
  const right = new Set(b);
  let shared = 0;
  for (const item of left) if (right.has(item)) shared += 1;
  return shared / (left.size + right.size - shared);
}

/** How alike two conversations' first turns are, 0..1 (the model is compared separately). */
export function similarity(a: Conversation, b: Conversation): number {
  const firstMessage = a.firstMessageKey !== null && a.firstMessageKey === b.firstMessageKey ? 1 : 0;
  return (jaccard(a.systemKeys, b.systemKeys) + firstMessage + jaccard(a.toolNames, b.toolNames) + jaccard(a.firstTurnMessageKeys, b.firstTurnMessageKeys)) / 4;
}

/** Above this many candidate pairs of one model, leftover conversations pair by order alone. */
const MAX_CANDIDATES = 1_000_000;
/** Conversations of different models pair only when at least this alike. */
export const CROSS_MODEL_SIMILARITY = 0.5;

interface Candidate {
  d: number;
  h: number;
  score: number;
}

/** Take candidates best first (score, then nearest in order), each conversation at most once. */
function takeGreedily(ds: readonly Conversation[], hs: readonly Conversation[], candidates: Candidate[], into: Array<[Conversation, Conversation]>): void {
  candidates.sort((a, b) => b.score - a.score || Math.abs(a.d - a.h) - Math.abs(b.d - b.h) || a.d - b.d);
  const usedD = new Set<number>();
  const usedH = new Set<number>();
  for (const { d, h } of candidates) {
    if (usedD.has(d) || usedH.has(h)) continue;
    usedD.add(d);
    usedH.add(h);
    into.push([ds[d] as Conversation, hs[h] as Conversation]);
  }
}

/** Pair the conversations of two lanes (each in order of first turn). */
export function matchConversations(direct: readonly Conversation[], headroom: readonly Conversation[]): Array<[Conversation, Conversation]> {
  const matches: Array<[Conversation, Conversation]> = [];
  const byIdentity = new Map(headroom.map((conversation) => [conversation.identity, conversation]));
  const taken = new Set<Conversation>();
  const leftDirect: Conversation[] = [];
  for (const conversation of direct) {
    const same = byIdentity.get(conversation.identity);
    if (same) {
      matches.push([conversation, same]);
      taken.add(same);
    } else {
      leftDirect.push(conversation);
    }
  }
  const byModel = (list: readonly Conversation[]) => {
    const groups = new Map<string, Conversation[]>();
    for (const conversation of list) {
      const key = conversation.model ?? "";
      const group = groups.get(key);
      if (group) group.push(conversation);
      else groups.set(key, [conversation]);
    }
    return groups;
  };
  const leftHeadroom = byModel(headroom.filter((conversation) => !taken.has(conversation)));
  for (const [model, ds] of byModel(leftDirect)) {
    const hs = leftHeadroom.get(model);
    if (!hs) continue;
    const candidates: Candidate[] = [];
    const exhaustive = ds.length * hs.length <= MAX_CANDIDATES;
    for (let d = 0; d < ds.length; d++) {
      for (let h = 0; h < hs.length; h++) {
        if (exhaustive || d === h) candidates.push({ d, h, score: exhaustive ? similarity(ds[d] as Conversation, hs[h] as Conversation) : 0 });
      }
    }
    takeGreedily(ds, hs, candidates, matches);
  }
  const matched = new Set(matches.flat());
  const restD = direct.filter((conversation) => !matched.has(conversation));
  const restH = headroom.filter((conversation) => !matched.has(conversation));
  if (restD.length && restH.length && restD.length * restH.length <= MAX_CANDIDATES) {
    const candidates: Candidate[] = [];
    for (let d = 0; d < restD.length; d++) {
      for (let h = 0; h < restH.length; h++) {
        const score = similarity(restD[d] as Conversation, restH[h] as Conversation);
        if (score >= CROSS_MODEL_SIMILARITY) candidates.push({ d, h, score });
      }
    }
    takeGreedily(restD, restH, candidates, matches);
  }
  return matches;
}

/** Above this many cells (turns × turns), two turn sequences pair by position instead. */
const MAX_ALIGNMENT_CELLS = 4_000_000;

/**
 * Align two sequences of lengths `n` and `m`: the index pairs `[i, j]` (in order, neither index
 * repeating, never crossed) with the highest total `score(i, j)`, which must be positive.
 */
export function alignIndexes(n: number, m: number, score: (i: number, j: number) => number): Array<[number, number]> {
  if (n === 0 || m === 0) return [];
  if (n * m > MAX_ALIGNMENT_CELLS) return Array.from({ length: Math.min(n, m) }, (_, i) => [i, i]);
  const width = m + 1;
  const best = new Float64Array((n + 1) * width);
  for (let i = 1; i <= n; i++) {
    const row = i * width;
    const above = row - width;
    for (let j = 1; j <= m; j++) {
      const diagonal = (best[above + j - 1] as number) + score(i - 1, j - 1);
      const up = best[above + j] as number;
      const left = best[row + j - 1] as number;
      best[row + j] = diagonal > up ? (diagonal > left ? diagonal : left) : up > left ? up : left;
    }
  }
  const pairs: Array<[number, number]> = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    const here = best[i * width + j] as number;
    if (here === best[(i - 1) * width + j]) i -= 1;
    else if (here === best[i * width + j - 1]) j -= 1;
    else {
      pairs.push([i - 1, j - 1]);
      i -= 1;
      j -= 1;
    }
  }
  return pairs.reverse();
}

/** alignIndexes over two arrays: the aligned element pairs. */
export function alignSequences<T>(direct: readonly T[], headroom: readonly T[], score: (d: T, h: T) => number): Array<[T, T]> {
  return alignIndexes(direct.length, headroom.length, (i, j) => score(direct[i] as T, headroom[j] as T)).map(([i, j]) => [direct[i] as T, headroom[j] as T]);
}

/**
 * Score of pairing two turns: same messages 4, same last message 2 (+1 with as many messages),
 * as many messages 1, otherwise a small amount (`floor`), so that no number of positional pairs
 * outweighs one real match.
 */
export function turnScore(d: TurnSignature, h: TurnSignature, floor: number): number {
  if (d.messagesKey === h.messagesKey) return 4;
  const sameCount = d.messageCount === h.messageCount ? 1 : 0;
  if (d.lastKey !== null && d.lastKey === h.lastKey) return 2 + sameCount;
  return sameCount === 1 ? 1 : floor;
}

type Turn = Exchange & { prompt: Prompt };

/** Pair the turns of two conversations (each in capture order). */
export function alignTurns(direct: readonly Turn[], headroom: readonly Turn[]): Array<[Turn, Turn]> {
  const floor = 1 / (Math.min(direct.length, headroom.length) + 1);
  const d = direct.map(turnSignature);
  const h = headroom.map(turnSignature);
  return alignIndexes(d.length, h.length, (i, j) => turnScore(d[i] as TurnSignature, h[j] as TurnSignature, floor)).map(([i, j]) => [direct[i] as Turn, headroom[j] as Turn]);
}
