/**
 * Retries: a failed exchange that the client sent again.
 *
 * Why: Claude Code retries a 529 or a dropped connection with the same request. Left in, the failed
 * attempt pairs with the other lane's turn and shifts every later pair by one; its missing usage
 * also skews token totals. So a retried exchange is never paired: the report lists it on its own,
 * with the sequence of the attempt that replaced it.
 *
 * What counts: an exchange that failed (an `error`, or a status of 400 or more) followed in the same
 * lane by the same request — the same body hash, or, for a conversation turn, the same messages
 * (Claude Code's billing-header block changes between attempts; see conversation.ts). "Followed"
 * means the next turn of its conversation, or for other routes the next exchange on the same route.
 */
import { isConversationTurn, turnSignature, type Conversations } from "./conversation.js";
import type { Exchange } from "./exchange.js";

export function failed(exchange: Exchange): boolean {
  return exchange.error !== null || (exchange.response_status !== null && exchange.response_status >= 400);
}

function sameRequest(attempt: Exchange, next: Exchange): boolean {
  if (attempt.request_body_sha256 !== null && attempt.request_body_sha256 === next.request_body_sha256) return true;
  if (isConversationTurn(attempt) && isConversationTurn(next)) return turnSignature(attempt).messagesKey === turnSignature(next).messagesKey;
  return false;
}

/** Each retried exchange of a lane (in capture order) -> the exchange that retried it. */
export function findRetries(exchanges: readonly Exchange[], conversations: Conversations): Map<Exchange, Exchange> {
  const retries = new Map<Exchange, Exchange>();
  /** The next exchange after each one in its conversation (turns) or on its route (other exchanges). */
  const nextOf = new Map<Exchange, Exchange>();
  /** The last exchange seen in each conversation (keyed by the Conversation) or on each route (by its text). */
  const lastIn = new Map<unknown, Exchange>();
  for (const exchange of exchanges) {
    const group = conversations.of.get(exchange) ?? exchange.route;
    const previous = lastIn.get(group);
    if (previous) nextOf.set(previous, exchange);
    lastIn.set(group, exchange);
  }
  for (const exchange of exchanges) {
    if (!failed(exchange)) continue;
    const next = nextOf.get(exchange);
    if (next && sameRequest(exchange, next)) retries.set(exchange, next);
  }
  return retries;
}
