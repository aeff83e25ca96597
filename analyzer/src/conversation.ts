/**
 * Conversations: which `/v1/messages` exchanges of one lane belong together, turn after turn.
 *
 * Why: Claude Code interleaves its main turns with side requests (a small model naming the topic or
 * the session title) and with subagents, each of which is a conversation of its own. Pairing and the
 * prompt-cache prefix check need each conversation's turns in order, whatever else ran between them.
 *
 * What defines one: the request's model, its system prompt (every block, compared without
 * `cache_control`; Claude Code's per-request billing-header block left out) and its first message.
 * Every turn of a conversation repeats all three, so they stay the same from turn to turn; a side
 * request or a subagent differs in at least one. A request whose system prompt changed (a proxy
 * editing it mid-session, say) still continues its conversation when it has the same model and
 * first message and resends all of that conversation's last messages: that edit is a prompt-cache
 * break to report (cache-prefix.ts), not a new conversation. Turns are in capture order.
 */
import { createHash } from "node:crypto";
import type { Exchange, Prompt } from "./exchange.js";

export interface Conversation {
  /** `model | system keys | first message key`: the same in every turn. */
  identity: string;
  model: string | null;
  /** The turns, in capture order (retries included; see retry.ts). */
  turns: Exchange[];
  /** Position of the conversation's first turn among the lane's conversations (0-based). */
  rank: number;
  /** What the first turn sent, for telling conversations apart across lanes (see pair.ts). */
  systemKeys: readonly string[];
  firstMessageKey: string | null;
  firstTurnMessageKeys: readonly string[];
  toolNames: readonly string[];
}

/** A lane's conversations, in order of their first turn, and the conversation of each turn. */
export interface Conversations {
  list: Conversation[];
  of: Map<Exchange, Conversation>;
}

/** Path without the query (`/v1/messages?beta=true` -> `/v1/messages`). */
function pathname(exchange: Exchange): string {
  const query = exchange.path.indexOf("?");
  return query === -1 ? exchange.path : exchange.path.slice(0, query);
}

/** A Messages API request whose body could be read: a turn of some conversation. */
export function isConversationTurn(exchange: Exchange): exchange is Exchange & { prompt: Prompt } {
  return exchange.prompt !== null && exchange.method === "POST" && pathname(exchange) === "/v1/messages";
}

function identityOf(exchange: Exchange & { prompt: Prompt }): string {
  const { system, messages } = exchange.prompt;
  return `${exchange.anthropic.model ?? "-"}|${system.map((block) => block.key).join(",")}|${messages[0]?.key ?? "-"}`;
}

function openingOf(exchange: Exchange & { prompt: Prompt }): string {
  return `${exchange.anthropic.model ?? "-"}|${exchange.prompt.messages[0]?.key ?? "-"}`;
}

/** Does `later` resend every message of `earlier`, in order (compared by key)? */
function continues(earlier: Prompt, later: Prompt): boolean {
  if (earlier.messages.length > later.messages.length) return false;
  return earlier.messages.every((message, i) => message.key === later.messages[i]?.key);
}

/** Group a lane's exchanges (in capture order) into conversations; other exchanges are left out. */
export function conversationsOf(exchanges: readonly Exchange[]): Conversations {
  const byIdentity = new Map<string, Conversation>();
  const byOpening = new Map<string, Conversation[]>();
  const list: Conversation[] = [];
  const of = new Map<Exchange, Conversation>();
  for (const exchange of exchanges) {
    if (!isConversationTurn(exchange)) continue;
    const identity = identityOf(exchange);
    const opening = openingOf(exchange);
    let conversation = byIdentity.get(identity);
    if (!conversation) {
      const candidates = byOpening.get(opening) ?? [];
      for (let i = candidates.length - 1; i >= 0 && !conversation; i--) {
        const candidate = candidates[i] as Conversation;
        if (continues((candidate.turns.at(-1) as Exchange & { prompt: Prompt }).prompt, exchange.prompt)) conversation = candidate;
      }
      if (conversation) byIdentity.set(identity, conversation);
    }
    if (!conversation) {
      const { prompt } = exchange;
      conversation = {
        identity,
        model: exchange.anthropic.model,
        turns: [],
        rank: list.length,
        systemKeys: prompt.system.map((block) => block.key),
        firstMessageKey: prompt.messages[0]?.key ?? null,
        firstTurnMessageKeys: prompt.messages.map((message) => message.key),
        toolNames: exchange.anthropic.tool_names,
      };
      byIdentity.set(identity, conversation);
      const sameOpening = byOpening.get(opening);
      if (sameOpening) sameOpening.push(conversation);
      else byOpening.set(opening, [conversation]);
      list.push(conversation);
    }
    conversation.turns.push(exchange);
    of.set(exchange, conversation);
  }
  return { list, of };
}

/** What a turn sent, reduced to what aligning two lanes' turns compares. */
export interface TurnSignature {
  messageCount: number;
  /** Key of the last message: the turn's new user message or tool result. */
  lastKey: string | null;
  /** One hash over every message key: equal when the whole conversation so far is equal. */
  messagesKey: string;
}

const signatures = new WeakMap<Exchange, TurnSignature>();

/** The turn signature of a conversation turn (computed once per exchange). */
export function turnSignature(exchange: Exchange & { prompt: Prompt }): TurnSignature {
  const known = signatures.get(exchange);
  if (known) return known;
  const { messages } = exchange.prompt;
  const hash = createHash("sha1");
  for (const message of messages) hash.update(`${message.key}\n`);
  const signature = { messageCount: messages.length, lastKey: messages.at(-1)?.key ?? null, messagesKey: hash.digest("base64") };
  signatures.set(exchange, signature);
  return signature;
}
