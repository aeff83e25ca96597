/**
 * Stage 3 — pair: match each direct exchange with the headroom exchange that corresponds to it.
 *
 * `conversation` (default): `/v1/messages` turns pair conversation by conversation, their turns
 * aligned rather than counted (pair-conversations.ts), so a side request, a subagent or a turn one
 * lane lost does not shift the pairs after it. Every other exchange pairs by method + path with
 * query, in capture order.
 *
 * The other modes pair the n-th exchange of a key in one lane with the n-th of the same key in the
 * other: `path` = method + path with query (hosts differ when one lane goes through a proxy),
 * `route` = method + host + path with query, `model` = method + path with query + the request's
 * model (side requests to another model then cannot shift the main turns).
 *
 * In every mode, a retried exchange (retry.ts) is left out of pairing and reported on its own.
 */
import { conversationsOf, isConversationTurn, type Conversations } from "./conversation.js";
import type { Exchange } from "./exchange.js";
import { alignTurns, matchConversations } from "./pair-conversations.js";
import { findRetries } from "./retry.js";

export type PairBy = "conversation" | "path" | "route" | "model";

export const PAIR_BY_CHOICES: readonly PairBy[] = ["conversation", "path", "route", "model"];

export interface Pair {
  direct: Exchange;
  headroom: Exchange;
}

/** One lane as pairing and the cache-prefix check see it. */
export interface LaneView {
  /** In capture order. */
  exchanges: readonly Exchange[];
  conversations: Conversations;
  /** Retried exchange -> the exchange that retried it. */
  retries: Map<Exchange, Exchange>;
}

export function viewLane(exchanges: readonly Exchange[]): LaneView {
  const conversations = conversationsOf(exchanges);
  return { exchanges, conversations, retries: findRetries(exchanges, conversations) };
}

export interface Pairing {
  /** In direct capture order. */
  pairs: Pair[];
  /** Leftovers in capture order, retried exchanges included. */
  onlyDirect: Exchange[];
  onlyHeadroom: Exchange[];
  /** Retried exchange (either lane) -> the exchange that retried it. */
  retriedBy: Map<Exchange, Exchange>;
}

/** The key two exchanges must share to be paired (all modes but `conversation`, which uses `path` for other routes). */
export function pairKey(exchange: Exchange, pairBy: PairBy): string {
  if (pairBy === "route") return exchange.route;
  const key = `${exchange.method} ${exchange.path}`;
  return pairBy === "model" ? `${key} model=${exchange.anthropic.model ?? "-"}` : key;
}

/** The n-th exchange of a key in one lane with the n-th of that key in the other. */
function pairByKey(direct: readonly Exchange[], headroom: readonly Exchange[], keyOf: (exchange: Exchange) => string): Pair[] {
  const waiting = new Map<string, Exchange[]>();
  for (const exchange of headroom) {
    const key = keyOf(exchange);
    const queue = waiting.get(key);
    if (queue) queue.push(exchange);
    else waiting.set(key, [exchange]);
  }
  const next = new Map<string, number>();
  const pairs: Pair[] = [];
  for (const exchange of direct) {
    const key = keyOf(exchange);
    const index = next.get(key) ?? 0;
    const match = waiting.get(key)?.[index];
    if (match) {
      next.set(key, index + 1);
      pairs.push({ direct: exchange, headroom: match });
    }
  }
  return pairs;
}

/**
 * Turns by conversation; then exchanges that are no turn (other routes, or a Messages request whose
 * body could not be read, e.g. cut short) by path in capture order, with the other lane's non-turns
 * and turns left unpaired. Two leftover turns never pair: they belong to different conversations.
 */
function pairByConversation(direct: LaneView, headroom: LaneView, directLeft: readonly Exchange[], headroomLeft: readonly Exchange[]): Pair[] {
  const notRetried = (view: LaneView) => (exchange: Exchange) => !view.retries.has(exchange);
  const pairs: Pair[] = [];
  for (const [d, h] of matchConversations(direct.conversations.list, headroom.conversations.list)) {
    const dTurns = d.turns.filter(notRetried(direct)).filter(isConversationTurn);
    const hTurns = h.turns.filter(notRetried(headroom)).filter(isConversationTurn);
    for (const [dTurn, hTurn] of alignTurns(dTurns, hTurns)) pairs.push({ direct: dTurn, headroom: hTurn });
  }
  const paired = new Set(pairs.flatMap((pair) => [pair.direct, pair.headroom]));
  const byPath = (exchange: Exchange) => pairKey(exchange, "path");
  const unpaired = (list: readonly Exchange[]) => list.filter((exchange) => !paired.has(exchange));
  const turns = (view: LaneView, list: readonly Exchange[], wanted: boolean) => list.filter((exchange) => view.conversations.of.has(exchange) === wanted);
  // The direct lane's non-turns with whatever the headroom lane has left ...
  const first = pairByKey(turns(direct, directLeft, false), unpaired(headroomLeft), byPath);
  for (const pair of first) paired.add(pair.headroom);
  // ... and the headroom lane's remaining non-turns with the direct lane's leftover turns.
  const second = pairByKey(turns(direct, unpaired(directLeft), true), turns(headroom, unpaired(headroomLeft), false), byPath);
  return [...pairs, ...first, ...second];
}

/** Pair two lanes (each seen through viewLane). */
export function pairLanes(direct: LaneView, headroom: LaneView, pairBy: PairBy): Pairing {
  const directLeft = direct.exchanges.filter((exchange) => !direct.retries.has(exchange));
  const headroomLeft = headroom.exchanges.filter((exchange) => !headroom.retries.has(exchange));
  const pairs =
    pairBy === "conversation"
      ? pairByConversation(direct, headroom, directLeft, headroomLeft)
      : pairByKey(directLeft, headroomLeft, (exchange) => pairKey(exchange, pairBy));
  const order = new Map(direct.exchanges.map((exchange, index) => [exchange, index]));
  pairs.sort((a, b) => (order.get(a.direct) as number) - (order.get(b.direct) as number));
  const pairedDirect = new Set(pairs.map((pair) => pair.direct));
  const pairedHeadroom = new Set(pairs.map((pair) => pair.headroom));
  return {
    pairs,
    onlyDirect: direct.exchanges.filter((exchange) => !pairedDirect.has(exchange)),
    onlyHeadroom: headroom.exchanges.filter((exchange) => !pairedHeadroom.has(exchange)),
    retriedBy: new Map([...direct.retries, ...headroom.retries]),
  };
}

/** Pair two lanes' exchanges (each already in capture order). */
export function pairExchanges(direct: readonly Exchange[], headroom: readonly Exchange[], pairBy: PairBy): Pairing {
  return pairLanes(viewLane(direct), viewLane(headroom), pairBy);
}
