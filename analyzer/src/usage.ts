/**
 * What counts as "the response carried usage": a `usage` object with a number for `input_tokens`.
 *
 * Why one definition: an errored exchange, a 529 or a stream whose usage could not be read has no
 * usage, or one with null counts. Counted as zero, it would make that lane look cheaper; every total
 * and every price leaves such exchanges out and says how many it left out.
 */
import type { Exchange, Usage } from "./exchange.js";

export function hasUsage(exchange: Exchange): exchange is Exchange & { usage: Usage & { input_tokens: number } } {
  return exchange.usage !== null && exchange.usage.input_tokens !== null;
}

/** Cache writes split by lifetime: the 1-hour part when the response said, the rest 5-minute. */
export function cacheWrites(usage: Usage): { fiveMinute: number; oneHour: number } {
  const split = usage.cache_creation;
  const oneHour = split?.ephemeral_1h_input_tokens ?? 0;
  const total = usage.cache_creation_input_tokens ?? (split?.ephemeral_5m_input_tokens ?? 0) + oneHour;
  return { fiveMinute: Math.max(0, total - oneHour), oneHour };
}
