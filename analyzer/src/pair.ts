/**
 * Stage 3 — pair: match each direct exchange with the headroom exchange that corresponds to it.
 *
 * Why a key plus capture order: both lanes run the same session, so the n-th `POST /v1/messages`
 * of one lane corresponds to the n-th of the other. The key is method + path-with-query (default;
 * hosts differ when one lane goes through a proxy), method + host + path-with-query (`route`), or
 * method + path-with-query + the request's model (`model`): Claude Code interleaves small side
 * requests (another model) with its main turns on the same path, and their order can differ between
 * lanes; keyed by model, main turns pair with main turns.
 */
import type { Exchange } from "./exchange.js";

export type PairBy = "path" | "route" | "model";

export const PAIR_BY_CHOICES: readonly PairBy[] = ["path", "route", "model"];

export interface Pair {
  direct: Exchange;
  headroom: Exchange;
}

export interface Pairing {
  /** In direct capture order. */
  pairs: Pair[];
  /** Leftovers in capture order. */
  onlyDirect: Exchange[];
  onlyHeadroom: Exchange[];
}

/** The key two exchanges must share to be paired. */
export function pairKey(exchange: Exchange, pairBy: PairBy): string {
  if (pairBy === "route") return exchange.route;
  const key = `${exchange.method} ${exchange.path}`;
  return pairBy === "model" ? `${key} model=${exchange.anthropic.model ?? "-"}` : key;
}

/** Pair two lanes' exchanges (each already in capture order). */
export function pairExchanges(direct: readonly Exchange[], headroom: readonly Exchange[], pairBy: PairBy): Pairing {
  const waiting = new Map<string, Exchange[]>();
  for (const exchange of headroom) {
    const key = pairKey(exchange, pairBy);
    const queue = waiting.get(key);
    if (queue) queue.push(exchange);
    else waiting.set(key, [exchange]);
  }
  const taken = new Set<Exchange>();
  const next = new Map<string, number>();
  const pairs: Pair[] = [];
  const onlyDirect: Exchange[] = [];
  for (const exchange of direct) {
    const key = pairKey(exchange, pairBy);
    const queue = waiting.get(key);
    const index = next.get(key) ?? 0;
    const match = queue?.[index];
    if (match) {
      next.set(key, index + 1);
      taken.add(match);
      pairs.push({ direct: exchange, headroom: match });
    } else {
      onlyDirect.push(exchange);
    }
  }
  const onlyHeadroom = headroom.filter((exchange) => !taken.has(exchange));
  return { pairs, onlyDirect, onlyHeadroom };
}
