/**
 * One copy of each repeated string after a lane crosses from its worker thread.
 *
 * Why: a lane comes back from its worker as a structured clone, in which every occurrence of a
 * string is its own copy: the element keys and role or tool names of every prompt element, and
 * every request header name and value. Thousands of exchanges repeat the same few hundred of them,
 * so pooling them (and the header pairs themselves) keeps the main thread's memory proportional
 * to what differs.
 */
import type { Exchange } from "./exchange.js";

export class StringPool {
  private readonly strings = new Map<string, string>();
  private readonly headerPairs = new Map<string, readonly [string, string]>();

  of(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }

  header(pair: readonly [string, string]): readonly [string, string] {
    const id = `${pair[0]}\u0000${pair[1]}`;
    let known = this.headerPairs.get(id);
    if (known === undefined) {
      known = [this.of(pair[0]), this.of(pair[1])];
      this.headerPairs.set(id, known);
    }
    return known;
  }
}

/** Replace an exchange's repeated strings (prompt keys and names, header pairs) by the pool's copies. */
export function shareStrings(exchange: Exchange, pool: StringPool): void {
  exchange.request_headers = exchange.request_headers.map((pair) => pool.header(pair));
  const prompt = exchange.prompt;
  if (!prompt) return;
  for (const elements of [prompt.tools, prompt.system, prompt.messages]) {
    for (const element of elements) {
      element.key = pool.of(element.key);
      if (element.name !== null) element.name = pool.of(element.name);
    }
  }
}
