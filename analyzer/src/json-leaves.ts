/**
 * JSON leaves: a request body flattened to (path id, value hash) pairs in document order, with
 * every path interned once in a PathTable.
 *
 * Why: comparing two bodies then costs O(leaves) with no strings built per leaf, and a body of
 * megabytes is reduced to ~12 bytes per leaf as soon as it is read.
 */
import { HASH_EMPTY_ARRAY, HASH_EMPTY_OBJECT, HASH_FALSE, HASH_NULL, HASH_TRUE, hashNumber, hashText } from "./hash.js";
import type { JsonLeaves } from "./exchange.js";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The deepest nesting of arrays and objects a body may have. JSON.parse accepts any depth, but
 * the walks over a body recurse; a body nested 100,000 levels deep (no real request comes close:
 * Claude Code's deepest are tool schemas, ~10 levels) is bad input, not a stack overflow. 1,024 is
 * the deepest body the capture addon records as JSON (its checker's limit), so every capture it
 * writes can be read.
 */
export const MAX_JSON_DEPTH = 1024;

/** A value nested deeper than MAX_JSON_DEPTH; the caller names the record. */
export class JsonTooDeepError extends Error {
  override name = "JsonTooDeepError";
}
/**
 * Memory bounds for the reuse caches below, so an odd input (a request with a million messages)
 * costs time, not memory: characters of remembered strings, and leaves of remembered blocks.
 */
const MAX_REMEMBERED_CHARS = 32 << 20;
const MAX_REMEMBERED_LEAVES = 2 << 20;

/**
 * Every JSON path seen in this run gets a small integer id; paths are built once per distinct
 * path (a trie of object keys and array indexes), not once per leaf per request.
 */
export class PathTable {
  readonly paths: string[] = [];
  /** Id of every path by its text; built on first use by intern() (merging another table's ids). */
  private ids: Map<string, number> | null = null;
  private readonly objectChildren: Array<Map<string, number> | undefined> = [];
  private readonly arrayChildren: Array<number[] | undefined> = [];
  /**
   * The last string seen at each path and its hash. Every Claude Code request repeats the whole
   * conversation so far, so most strings equal the one at the same path in the previous request:
   * comparing them (a memcmp) is far cheaper than hashing them again.
   */
  private readonly lastText: Array<string | undefined> = [];
  private readonly lastHash: number[] = [];
  private rememberedChars = 0;
  /**
   * The same idea one level up: per block path (a top-level value, or an element of a top-level
   * array such as `$.messages[3]` or `$.tools[5]`), the last block seen there and its leaves. A
   * block equal to the last one (checked by a walk with no lookups) reuses those leaves.
   */
  private readonly lastBlock: unknown[] = [];
  private readonly lastBlockLeaves: Array<JsonLeaves | undefined> = [];
  /** A key another stage derived from the last block at a path (prompt.ts: the element key). */
  private readonly lastBlockKey: Array<string | undefined> = [];
  private rememberedLeaves = 0;
  static readonly ROOT = 0;

  constructor() {
    this.add("$");
  }

  get size(): number {
    return this.paths.length;
  }

  private add(path: string): number {
    const id = this.paths.length;
    this.paths.push(path);
    this.ids?.set(path, id);
    this.objectChildren.push(undefined);
    this.arrayChildren.push(undefined);
    this.lastText.push(undefined);
    this.lastHash.push(0);
    this.lastBlock.push(undefined);
    this.lastBlockLeaves.push(undefined);
    this.lastBlockKey.push(undefined);
    return id;
  }

  /** Hash of the string `text` found at path `id`, reusing the last result when it is the same string. */
  textHash(id: number, text: string): number {
    const last = this.lastText[id];
    if (last === text) return this.lastHash[id] as number;
    const hash = hashText(text);
    const growth = text.length - (last?.length ?? 0);
    if (this.rememberedChars + growth <= MAX_REMEMBERED_CHARS) {
      this.rememberedChars += growth;
      this.lastText[id] = text;
      this.lastHash[id] = hash;
    }
    return hash;
  }

  /** The leaves last seen for the block at `id` if `block` is the same JSON, else undefined. */
  sameBlockLeaves(id: number, block: object): JsonLeaves | undefined {
    const leaves = this.lastBlockLeaves[id];
    return leaves !== undefined && sameJson(this.lastBlock[id], block) ? leaves : undefined;
  }

  /** Remember `block` and its leaves at `id` (within the memory bound). */
  rememberBlock(id: number, block: object, leaves: JsonLeaves): void {
    const growth = leaves.pathIds.length - (this.lastBlockLeaves[id]?.pathIds.length ?? 0);
    if (this.rememberedLeaves + growth > MAX_REMEMBERED_LEAVES) return;
    this.rememberedLeaves += growth;
    this.lastBlock[id] = block;
    this.lastBlockLeaves[id] = leaves;
    this.lastBlockKey[id] = undefined;
  }

  /**
   * The key remembered for the last block at `id`. Only meaningful right after flattenJson reused
   * that block's leaves (FlatElement.reused): the block then equals the remembered one.
   */
  blockKey(id: number): string | undefined {
    return this.lastBlockKey[id];
  }

  /** Remember `key` for `block` if it is the block remembered at `id` (else the key would name another block). */
  rememberBlockKey(id: number, block: unknown, key: string): void {
    if (this.lastBlock[id] === block) this.lastBlockKey[id] = key;
  }

  /** Id of the path `parent` + `.key`. */
  key(parent: number, key: string): number {
    let children = this.objectChildren[parent];
    if (children === undefined) {
      children = new Map();
      this.objectChildren[parent] = children;
    }
    let id = children.get(key);
    if (id === undefined) {
      const segment = IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      id = this.add(this.paths[parent] + segment);
      children.set(key, id);
    }
    return id;
  }

  /** Id of the path `parent` + `[index]`. */
  index(parent: number, index: number): number {
    let children = this.arrayChildren[parent];
    if (children === undefined) {
      children = [];
      this.arrayChildren[parent] = children;
    }
    let id = children[index];
    if (id === undefined) {
      id = this.add(`${this.paths[parent]}[${index}]`);
      children[index] = id;
    }
    return id;
  }

  /**
   * Id of a path given as text (added when new), for paths numbered by another table. Used on a
   * table that flattens nothing itself (the main thread's, when workers read the lanes).
   */
  intern(path: string): number {
    if (this.ids === null) this.ids = new Map(this.paths.map((text, id) => [text, id]));
    return this.ids.get(path) ?? this.add(path);
  }
}

/** Growable scratch space for one body's leaves; copied out once per exchange. */
let scratchIds = new Int32Array(1 << 14);
let scratchHashes = new Float64Array(1 << 14);
let scratchCount = 0;

function reserve(extra: number): void {
  if (scratchCount + extra <= scratchIds.length) return;
  let size = scratchIds.length * 2;
  while (size < scratchCount + extra) size *= 2;
  const ids = new Int32Array(size);
  ids.set(scratchIds);
  scratchIds = ids;
  const hashes = new Float64Array(size);
  hashes.set(scratchHashes);
  scratchHashes = hashes;
}

function pushLeaf(pathId: number, valueHash: number): void {
  if (scratchCount === scratchIds.length) reserve(1);
  scratchIds[scratchCount] = pathId;
  scratchHashes[scratchCount] = valueHash;
  scratchCount += 1;
}

function walk(value: unknown, node: number, table: PathTable, depth: number): void {
  if (typeof value === "string") {
    pushLeaf(node, table.textHash(node, value));
  } else if (typeof value === "number") {
    pushLeaf(node, hashNumber(value));
  } else if (typeof value === "boolean") {
    pushLeaf(node, value ? HASH_TRUE : HASH_FALSE);
  } else if (value === null || typeof value !== "object") {
    pushLeaf(node, HASH_NULL);
  } else if (depth >= MAX_JSON_DEPTH) {
    throw new JsonTooDeepError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  } else if (Array.isArray(value)) {
    if (value.length === 0) pushLeaf(node, HASH_EMPTY_ARRAY);
    for (let i = 0; i < value.length; i++) walk(value[i], table.index(node, i), table, depth + 1);
  } else {
    let position = 0;
    for (const key in value) {
      walk((value as Record<string, unknown>)[key], table.key(node, key), table, depth + 1);
      position += 1;
    }
    if (position === 0) pushLeaf(node, HASH_EMPTY_OBJECT);
  }
}

/** One element of a top-level array (or a top-level value that is not an array) as flattened. */
export interface FlatElement {
  /** Path id of the element (`$.messages[3]`, or `$.system` for a string system). */
  node: number;
  /** Its leaves: indexes [start, end) in `Flattened.leaves`. */
  start: number;
  end: number;
  /** The element equals the last one flattened at this path, whose leaves (and remembered key) were reused. */
  reused: boolean;
  /** The same leaves as their own arrays, when the element is an object or array (else null). */
  own: JsonLeaves | null;
}

/** Top-level keys whose elements flattenJson reports one by one (the prompt: see prompt.ts). */
export const ELEMENT_KEYS = ["tools", "system", "messages"] as const;
export type ElementKey = (typeof ELEMENT_KEYS)[number];

export interface Flattened {
  leaves: JsonLeaves;
  /** Index range of the leaves under top-level `tools`, when there is one. */
  tools: { start: number; end: number } | null;
  /** Per prompt key present in the body: its elements (a non-array value is one element). */
  elements: Partial<Record<ElementKey, FlatElement[]>>;
}

/** Same JSON value? (Key order may differ; the leaves are the same set.) Allocates nothing. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  let count = 0;
  for (const key in a) {
    const other = (b as Record<string, unknown>)[key];
    if (other === undefined || !sameJson((a as Record<string, unknown>)[key], other)) return false;
    count += 1;
  }
  for (const _key in b) count -= 1;
  return count === 0;
}

/** A block as walkBlock flattened it: its own leaves (null for a scalar), and whether they were the remembered ones. */
interface BlockLeaves {
  own: JsonLeaves | null;
  reused: boolean;
}

/**
 * Flatten one block, reusing the leaves of the last block at this path when it is the same.
 * The block's leaves are also returned as arrays of their own (prompt elements keep them).
 */
function walkBlock(value: unknown, node: number, table: PathTable, depth: number): BlockLeaves {
  if (typeof value !== "object" || value === null) {
    walk(value, node, table, depth);
    return { own: null, reused: false };
  }
  const leaves = table.sameBlockLeaves(node, value);
  if (leaves !== undefined) {
    reserve(leaves.pathIds.length);
    scratchIds.set(leaves.pathIds, scratchCount);
    scratchHashes.set(leaves.hashes, scratchCount);
    scratchCount += leaves.pathIds.length;
    return { own: leaves, reused: true };
  }
  const start = scratchCount;
  walk(value, node, table, depth);
  const own = { pathIds: scratchIds.slice(start, scratchCount), hashes: scratchHashes.slice(start, scratchCount) };
  table.rememberBlock(node, value, own);
  return { own, reused: false };
}

/**
 * Flatten a top-level value: an array block by block (messages, tools, system), else as one block.
 * With `elements`, each block's range is recorded there.
 */
function walkTopLevel(value: unknown, node: number, table: PathTable, elements: FlatElement[] | null): void {
  if (Array.isArray(value) && value.length > 0) {
    for (let i = 0; i < value.length; i++) {
      const start = scratchCount;
      const child = table.index(node, i);
      const block = walkBlock(value[i], child, table, 2);
      elements?.push({ node: child, start, end: scratchCount, ...block });
    }
  } else {
    const start = scratchCount;
    const block = walkBlock(value, node, table, 1);
    if (elements && !Array.isArray(value)) elements.push({ node, start, end: scratchCount, ...block });
  }
}

/**
 * Flatten a JSON value to leaves in document order: `$.a.b[0].c` for scalars, and the path of an
 * empty object or array for the container itself.
 */
export function flattenJson(value: unknown, table: PathTable): Flattened {
  scratchCount = 0;
  let tools: Flattened["tools"] = null;
  const elements: Flattened["elements"] = {};
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    let empty = true;
    for (const key in value) {
      empty = false;
      const start = scratchCount;
      const list = (ELEMENT_KEYS as readonly string[]).includes(key) ? (elements[key as ElementKey] = []) : null;
      walkTopLevel((value as Record<string, unknown>)[key], table.key(PathTable.ROOT, key), table, list);
      if (key === "tools") tools = { start, end: scratchCount };
    }
    if (empty) pushLeaf(PathTable.ROOT, HASH_EMPTY_OBJECT);
  } else {
    walk(value, PathTable.ROOT, table, 0);
  }
  return {
    leaves: { pathIds: scratchIds.slice(0, scratchCount), hashes: scratchHashes.slice(0, scratchCount) },
    tools,
    elements,
  };
}

/** The same leaves (paths and values, in order)? The very same arrays at once, else one linear check. */
export function sameLeaves(a: JsonLeaves, b: JsonLeaves): boolean {
  if (a === b) return true;
  if (a.pathIds.length !== b.pathIds.length) return false;
  for (let i = 0; i < a.pathIds.length; i++) if (a.pathIds[i] !== b.pathIds[i] || a.hashes[i] !== b.hashes[i]) return false;
  return true;
}

/**
 * Rewrite leaves numbered by another PathTable (`theirPaths`, e.g. from a worker thread) into
 * `table`'s ids, in place.
 */
export function remapLeaves(leaves: JsonLeaves, theirPaths: readonly string[], table: PathTable, memo: Int32Array): void {
  const ids = leaves.pathIds;
  for (let i = 0; i < ids.length; i++) {
    const theirs = ids[i] as number;
    let ours = memo[theirs] as number;
    if (ours === -1) {
      ours = table.intern(theirPaths[theirs] as string);
      memo[theirs] = ours;
    }
    ids[i] = ours;
  }
}

/** Path strings for the given leaf indexes (for tests and debugging). */
export function leafPaths(leaves: JsonLeaves, table: PathTable): string[] {
  return Array.from(leaves.pathIds, (id) => table.paths[id] ?? "?");
}

