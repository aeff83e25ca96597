/**
 * One copy of each repeated string after a lane crosses from its worker thread.
 *
 * Why: a lane comes back from its worker as a structured clone, in which every occurrence of a
 * string is its own copy: the element keys and role or tool names of every prompt element.
 * Thousands of exchanges repeat the same few thousand of them, so pooling them keeps the main
 * thread's memory proportional to what differs. (Objects shared within a batch stay shared: equal
 * header pairs are shared by normalize, equal prompt elements by prompt.ts.)
 */
import type { Exchange } from "./exchange.js";

export class StringPool {
  private readonly strings = new Map<string, string>();
  of(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }
}

/** Replace an exchange's repeated strings (prompt keys and names) by the pool's copies. */
export function shareStrings(exchange: Exchange, pool: StringPool): void {
  const prompt = exchange.prompt;
  if (!prompt) return;
  for (const elements of [prompt.tools, prompt.system, prompt.messages]) {
    for (const element of elements) {
      element.key = pool.of(element.key);
      if (element.name !== null) element.name = pool.of(element.name);
    }
  }
}
