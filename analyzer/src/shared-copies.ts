/**
 * One copy of each repeated string and prompt element after a lane crosses from its worker thread.
 *
 * Why: a lane comes back from its worker as structured clones, batch by batch, and a clone has its
 * own copy of everything: the element keys and role or tool names, and every prompt element a
 * batch mentions (the tools and the conversation so far, which every request repeats). Pooling
 * them keeps this thread's memory proportional to what differs, and equal elements of different
 * lanes (a baseline repeats the direct lane) become one object, which the comparison then
 * recognises at once. The leaves of pooled elements are packed into shared blocks.
 */
import type { JsonLeaves, Prompt, PromptElement } from "./exchange.js";
import { sameLeaves } from "./json-leaves.js";

/** Leaves per block of the pool's leaf store; an element with more gets arrays of its own. */
const STORE_BLOCK = 1 << 15;

export class SharedCopies {
  private readonly strings = new Map<string, string>();
  /** Pooled elements by key (the same key may stand for several: other indexes, other leaves). */
  private readonly elements = new Map<string, PromptElement[]>();
  private ids = new Int32Array(0);
  private hashes = new Float64Array(0);
  private used = 0;

  /** The pool's copy of `text`. */
  of(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }

  /** The pool's element equal to `element` (same index, key, name and leaves); a compact copy of it the first time. */
  element(element: PromptElement): PromptElement {
    let known = this.elements.get(element.key);
    if (known === undefined) {
      known = [];
      this.elements.set(this.of(element.key), known);
    }
    for (const candidate of known) {
      if (candidate.index === element.index && candidate.name === element.name && sameLeaves(candidate.leaves, element.leaves)) return candidate;
    }
    const copy: PromptElement = { index: element.index, key: this.of(element.key), name: element.name === null ? null : this.of(element.name), leaves: this.store(element.leaves) };
    known.push(copy);
    return copy;
  }

  /** The leaves as views into the pool's current block (arrays of their own when they are many). */
  private store(leaves: JsonLeaves): JsonLeaves {
    const count = leaves.pathIds.length;
    if (count > STORE_BLOCK / 4) return { pathIds: leaves.pathIds.slice(), hashes: leaves.hashes.slice() };
    if (this.used + count > this.ids.length) {
      this.ids = new Int32Array(STORE_BLOCK);
      this.hashes = new Float64Array(STORE_BLOCK);
      this.used = 0;
    }
    const pathIds = this.ids.subarray(this.used, this.used + count);
    const hashes = this.hashes.subarray(this.used, this.used + count);
    pathIds.set(leaves.pathIds);
    hashes.set(leaves.hashes);
    this.used += count;
    return { pathIds, hashes };
  }
}

/**
 * Replace a cloned prompt's elements by the pool's. `adopted` maps the clones of this batch
 * already seen (a batch mentions most elements many times) to theirs; `renumber` rewrites a
 * clone's path ids into this thread's table.
 */
export function shareElements(prompt: Prompt, pool: SharedCopies, adopted: Map<PromptElement, PromptElement>, renumber: (leaves: JsonLeaves) => void): void {
  for (const elements of [prompt.tools, prompt.system, prompt.messages]) {
    for (let i = 0; i < elements.length; i++) {
      const clone = elements[i] as PromptElement;
      let shared = adopted.get(clone);
      if (shared === undefined) {
        renumber(clone.leaves);
        shared = pool.element(clone);
        adopted.set(clone, shared);
      }
      elements[i] = shared;
    }
  }
}
