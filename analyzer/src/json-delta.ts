/**
 * Stage 4b — the JSON delta of a pair: which paths only one side has, which changed, which
 * prompt elements moved, after the prompt arrays were aligned (align.ts).
 *
 * Paths keep the `$.a[0].b` form. `changed` and `only_direct` name direct-lane paths (direct
 * indexes); `only_headroom` names headroom-lane paths. A prompt element (tool, system block,
 * message) with no counterpart is one entry, its own path (`$.messages[1]`), not a list of its
 * leaves. Elements of aligned pairs are compared leaf by leaf on their paths relative to the
 * element, so a message that moved from [3] to [4] compares with itself.
 *
 * Cost: O(leaves) per pair with two arrays indexed by path id (and by relative path id), no
 * per-pair maps; an element both sides share (one object) is skipped at once, elements whose leaves
 * are identical after one linear check.
 */
import { alignElements, type Alignment } from "./align.js";
import type { BodyLeaves, Exchange, Prompt, PromptElement, PromptKind } from "./exchange.js";
import { sameLeaves, type PathTable } from "./json-leaves.js";
import { elementStart } from "./prompt.js";

export interface JsonDelta {
  only_direct: string[];
  only_headroom: string[];
  changed: string[];
  /** Prompt elements that only moved: `$.tools[3] -> $.tools[0]` (direct path -> headroom path). */
  moved: string[];
}

const KINDS: readonly PromptKind[] = ["tools", "system", "messages"];

/** Collects paths with the leaf index they sort by, so each list comes out in document order. */
class PathList {
  private readonly paths: string[] = [];
  private readonly order: number[] = [];

  add(path: string, order: number): void {
    this.paths.push(path);
    this.order.push(order);
  }

  sorted(): string[] {
    const { paths, order } = this;
    let inOrder = true;
    for (let i = 1; i < order.length && inOrder; i++) inOrder = (order[i - 1] as number) <= (order[i] as number);
    if (inOrder) return paths;
    const index = paths.map((_, i) => i).sort((a, b) => (order[a] as number) - (order[b] as number) || a - b);
    return index.map((i) => paths[i] as string);
  }
}

/** The path of a prompt element: `$.messages[3]`, or `$.system` for a system given as a string. */
export function elementPath(kind: PromptKind, element: PromptElement, table: PathTable): string {
  const { pathIds } = element.leaves;
  if (kind === "system" && pathIds.length === 1 && table.paths[pathIds[0] as number] === "$.system") return "$.system";
  return `$.${kind}[${element.index}]`;
}

/**
 * Compares the JSON of paired exchanges. One per run (it owns scratch arrays sized by the path
 * table); `compare` may be called for any two exchanges normalized with that table.
 */
export class JsonComparer {
  /** Per path id: epoch mark and value hash of the direct side of the current comparison. */
  private mark = new Int32Array(0);
  private value = new Float64Array(0);
  /** Per path id: id of its path relative to its prompt element (-1 until needed). */
  private relative = new Int32Array(0);
  private readonly relativeIds = new Map<string, number>();
  /** Per relative id: epoch mark, value hash and direct leaf index. */
  private relMark = new Int32Array(64);
  private relValue = new Float64Array(64);
  private relLeaf = new Int32Array(64);
  private epoch = 0;

  constructor(private readonly table: PathTable) {}

  private grow(): void {
    const size = this.table.size;
    if (this.mark.length >= size) return;
    const relative = new Int32Array(size).fill(-1);
    relative.set(this.relative);
    this.relative = relative;
    this.mark = new Int32Array(size);
    this.value = new Float64Array(size);
    this.epoch = 0;
    this.relMark.fill(0);
  }

  /** A fresh epoch; the comparisons use it and the next two values as marks. */
  private nextEpoch(): number {
    this.epoch += 3;
    return this.epoch;
  }

  /** Relative path id of a leaf path inside a prompt element (`$.messages[3].content[0].text` -> `.content[0].text`). */
  private relativeId(id: number): number {
    const known = this.relative[id] as number;
    if (known !== -1) return known;
    const path = this.table.paths[id] as string;
    let cut = path.indexOf("[", 2);
    const dot = path.indexOf(".", 2);
    if (cut === -1 || (dot !== -1 && dot < cut)) cut = dot === -1 ? path.length : dot;
    else cut = path.indexOf("]", cut) + 1;
    const text = path.slice(cut);
    let rel = this.relativeIds.get(text);
    if (rel === undefined) {
      rel = this.relativeIds.size;
      this.relativeIds.set(text, rel);
      if (rel >= this.relMark.length) {
        const size = this.relMark.length * 2;
        const mark = new Int32Array(size);
        mark.set(this.relMark);
        this.relMark = mark;
        const value = new Float64Array(size);
        value.set(this.relValue);
        this.relValue = value;
        const leaf = new Int32Array(size);
        leaf.set(this.relLeaf);
        this.relLeaf = leaf;
      }
    }
    this.relative[id] = rel;
    return rel;
  }

  compare(direct: Exchange, headroom: Exchange): JsonDelta {
    const d = direct.json;
    const h = headroom.json;
    if (!d || !h) return { only_direct: [], only_headroom: [], changed: [], moved: [] };
    this.grow();
    const onlyDirect = new PathList();
    const onlyHeadroom = new PathList();
    const changed = new PathList();
    const moved: string[] = [];
    this.compareOutside(d, h, onlyDirect, onlyHeadroom, changed);
    if (direct.prompt && headroom.prompt) {
      for (const kind of KINDS) this.compareElements(kind, direct.prompt, headroom.prompt, onlyDirect, onlyHeadroom, changed, moved);
    } else {
      // Only one side is a Messages request: its prompt elements are not among the other's leaves.
      const prompt = direct.prompt ?? headroom.prompt;
      const list = direct.prompt ? onlyDirect : onlyHeadroom;
      for (const kind of KINDS) {
        prompt?.[kind].forEach((element, position) => list.add(elementPath(kind, element, this.table), elementStart(prompt, kind, position)));
      }
    }
    return { only_direct: onlyDirect.sorted(), only_headroom: onlyHeadroom.sorted(), changed: changed.sorted(), moved };
  }

  /** Leaves outside the prompt elements: compared by path id. */
  private compareOutside(d: BodyLeaves, h: BodyLeaves, onlyDirect: PathList, onlyHeadroom: PathList, changed: PathList): void {
    const { mark, value } = this;
    const names = this.table.paths;
    const seen = this.nextEpoch();
    const matched = seen + 1;
    const differs = seen + 2;
    for (let i = 0; i < d.pathIds.length; i++) {
      const id = d.pathIds[i] as number;
      mark[id] = seen;
      value[id] = d.hashes[i] as number;
    }
    for (let i = 0; i < h.pathIds.length; i++) {
      const id = h.pathIds[i] as number;
      if (mark[id] === seen) mark[id] = value[id] === h.hashes[i] ? matched : differs;
      else if (mark[id] !== matched && mark[id] !== differs) onlyHeadroom.add(names[id] as string, h.at[i] as number);
    }
    // Changed and only-direct paths in direct document order.
    for (let i = 0; i < d.pathIds.length; i++) {
      const id = d.pathIds[i] as number;
      if (mark[id] === seen) onlyDirect.add(names[id] as string, d.at[i] as number);
      else if (mark[id] === differs) changed.add(names[id] as string, d.at[i] as number);
    }
  }

  private compareElements(kind: PromptKind, d: Prompt, h: Prompt, onlyDirect: PathList, onlyHeadroom: PathList, changed: PathList, moved: string[]): void {
    const dElements = d[kind];
    const hElements = h[kind];
    if (dElements.length === 0 && hElements.length === 0) return;
    const alignment = alignKind(kind, dElements, hElements);
    for (const match of alignment.matches) {
      const de = dElements[match.direct] as PromptElement;
      const he = hElements[match.headroom] as PromptElement;
      if (match.moved) moved.push(`${elementPath(kind, de, this.table)} -> ${elementPath(kind, he, this.table)}`);
      if (sameLeaves(de.leaves, he.leaves)) continue; // the common case: an element the proxy left alone, often one object
      this.compareElement(de, elementStart(d, kind, match.direct), he, elementStart(h, kind, match.headroom), onlyDirect, onlyHeadroom, changed);
    }
    for (const position of alignment.onlyDirect) {
      onlyDirect.add(elementPath(kind, dElements[position] as PromptElement, this.table), elementStart(d, kind, position));
    }
    for (const position of alignment.onlyHeadroom) {
      onlyHeadroom.add(elementPath(kind, hElements[position] as PromptElement, this.table), elementStart(h, kind, position));
    }
  }

  /** Two aligned elements, leaf by leaf on their relative paths; `dAt`, `hAt`: where each starts in its body. */
  private compareElement(de: PromptElement, dAt: number, he: PromptElement, hAt: number, onlyDirect: PathList, onlyHeadroom: PathList, changed: PathList): void {
    const { relMark, relValue, relLeaf } = this;
    const names = this.table.paths;
    const d = de.leaves;
    const h = he.leaves;
    const seen = this.nextEpoch();
    const matched = seen + 1;
    for (let i = 0; i < d.pathIds.length; i++) {
      const rel = this.relativeId(d.pathIds[i] as number);
      relMark[rel] = seen;
      relValue[rel] = d.hashes[i] as number;
      relLeaf[rel] = i;
    }
    for (let i = 0; i < h.pathIds.length; i++) {
      const rel = this.relativeId(h.pathIds[i] as number);
      if (relMark[rel] === seen) {
        if (relValue[rel] !== h.hashes[i]) {
          const leaf = relLeaf[rel] as number;
          changed.add(names[d.pathIds[leaf] as number] as string, dAt + leaf);
        }
        relMark[rel] = matched;
      } else if (relMark[rel] !== matched) {
        onlyHeadroom.add(names[h.pathIds[i] as number] as string, hAt + i);
      }
    }
    for (let i = 0; i < d.pathIds.length; i++) {
      const rel = this.relative[d.pathIds[i] as number] as number;
      if (relMark[rel] === seen) onlyDirect.add(names[d.pathIds[i] as number] as string, dAt + i);
    }
  }
}

/** Tools align by name (a tool without one by its key); system blocks and messages by key, gaps paired (messages by role). */
function alignKind(kind: PromptKind, d: readonly PromptElement[], h: readonly PromptElement[]): Alignment {
  if (kind === "tools") {
    const byName = (element: PromptElement) => element.name ?? element.key;
    return alignElements(d.map(byName), h.map(byName), { pairGaps: false });
  }
  const role = (element: PromptElement) => element.name;
  return alignElements(
    d.map((element) => element.key),
    h.map((element) => element.key),
    { pairGaps: true, directGroups: d.map(role), headroomGroups: h.map(role) },
  );
}
