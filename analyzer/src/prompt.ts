/**
 * The prompt of a Messages API request element by element (Exchange.prompt): each tool, system
 * block and message with a content key, its name or role, and its own leaves.
 *
 * Why keys from leaves: pairing, array alignment and the cache-prefix check compare elements by
 * content, wherever they sit. The key is derived from the element's leaves (path relative to the
 * element, value hash), so it costs O(leaves) and no serialization; an element equal to the one
 * at the same path in the previous request reuses its key (PathTable remembers the last block).
 *
 * The key leaves out what the API ignores for content: `cache_control` anywhere inside, the
 * order of object keys, and whether a message's content is a string or one text block.
 *
 * Element objects are shared between exchanges when they are equal (see ElementKeys.element, and
 * shared-copies.ts across lanes): treat them as read-only. Where an element sits in its body is
 * the exchange's own (Prompt.starts).
 */
import type { BodyLeaves, JsonLeaves, Prompt, PromptElement, PromptKind } from "./exchange.js";
import { hashText } from "./hash.js";
import type { FlatElement, Flattened, PathTable } from "./json-leaves.js";

/** Claude Code's per-request system block: billing metadata with new ids every turn, not prompt. */
export const BILLING_HEADER_PREFIX = "x-anthropic-billing-header:";

/** How a leaf takes part in its element's key, by its path relative to the element. */
const ROLE_PLAIN = 0;
/** Under a `cache_control` key: left out. */
const ROLE_CACHE_CONTROL = 1;
/** `.content[0].type` of a message: left out when the content is one text block. */
const ROLE_ONE_BLOCK_TYPE = 2;
/** `.content[0].text` of a message: counts as `.content` when the content is one text block. */
const ROLE_ONE_BLOCK_TEXT = 3;

const CACHE_CONTROL = /\.cache_control(?:[.[]|$)/;

function fmix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Two independent 32-bit mixes of a relative path, the seeds of its leaves' contributions. */
function pathSeeds(relative: string): [number, number] {
  const h = hashText(relative);
  const lo = h >>> 0;
  const hi = Math.floor(h / 4294967296);
  return [fmix(lo ^ fmix(hi ^ 0x3c6ef372)), fmix(hi ^ fmix(lo ^ 0x1b873593))];
}

const CONTENT_SEEDS = pathSeeds(".content");
const TYPE_SEEDS = pathSeeds(".type");
const TEXT_SEEDS = pathSeeds(".text");
const TEXT_VALUE_HASH = hashText("text");

/**
 * A multiset hash of (relative path, value) pairs: the sum of each pair's 64-bit mix, so key
 * order does not matter and array order does (indexes are part of the path).
 */
class KeyHash {
  private a = 0;
  private b = 0;
  private count = 0;

  add(seedA: number, seedB: number, valueHash: number): void {
    const lo = valueHash >>> 0;
    const hi = Math.floor(valueHash / 4294967296);
    this.a = (this.a + fmix(fmix(seedA ^ lo) ^ hi)) >>> 0;
    this.b = (this.b + fmix(fmix(seedB ^ hi) ^ lo ^ 0x9e3779b9)) >>> 0;
    this.count += 1;
  }

  toString(): string {
    return `${this.count.toString(36)}.${this.a.toString(36)}.${this.b.toString(36)}`;
  }
}

/**
 * Element keys for one run's PathTable: caches, per path id, how its leaf takes part in a key
 * (relative path seeds and role), so each distinct path is looked at once.
 */
export class ElementKeys {
  private readonly seedA: number[] = [];
  private readonly seedB: number[] = [];
  private readonly role: number[] = [];
  /** Per element path id: the last element built there, handed out again when it is the same. */
  private readonly lastElement: Array<PromptElement | undefined> = [];

  constructor(private readonly table: PathTable) {}

  /**
   * The element object for these facts: the one built last time at this path when they are the
   * same (the same leaves object: flattenJson reused the block). Consecutive requests of a
   * conversation repeat most tools and messages at the same index, so they share those objects,
   * leaves included.
   */
  element(node: number, index: number, key: string, name: string | null, leaves: JsonLeaves): PromptElement {
    const last = this.lastElement[node];
    if (last && last.leaves === leaves && last.index === index && last.key === key && last.name === name) return last;
    const element: PromptElement = { index, key, name, leaves };
    this.lastElement[node] = element;
    return element;
  }

  private describe(id: number, element: number): void {
    const relative = (this.table.paths[id] as string).slice((this.table.paths[element] as string).length);
    const [a, b] = pathSeeds(relative);
    this.seedA[id] = a;
    this.seedB[id] = b;
    this.role[id] = CACHE_CONTROL.test(relative)
      ? ROLE_CACHE_CONTROL
      : relative === ".content[0].type"
        ? ROLE_ONE_BLOCK_TYPE
        : relative === ".content[0].text"
          ? ROLE_ONE_BLOCK_TEXT
          : ROLE_PLAIN;
  }

  /** Key of the element at `flat` (leaves [start, end) under path `node`); see the module doc. */
  private compute(leaves: JsonLeaves, flat: FlatElement, oneTextBlock: boolean, systemText: boolean): string {
    const key = new KeyHash();
    if (systemText) {
      // A string system is the same prompt as one text block with that text.
      key.add(TYPE_SEEDS[0], TYPE_SEEDS[1], TEXT_VALUE_HASH);
      key.add(TEXT_SEEDS[0], TEXT_SEEDS[1], leaves.hashes[flat.start] as number);
      return key.toString();
    }
    for (let i = flat.start; i < flat.end; i++) {
      const id = leaves.pathIds[i] as number;
      if (this.role[id] === undefined) this.describe(id, flat.node);
      const role = this.role[id];
      if (role === ROLE_CACHE_CONTROL) continue;
      if (oneTextBlock && role === ROLE_ONE_BLOCK_TYPE) continue;
      if (oneTextBlock && role === ROLE_ONE_BLOCK_TEXT) key.add(CONTENT_SEEDS[0], CONTENT_SEEDS[1], leaves.hashes[i] as number);
      else key.add(this.seedA[id] as number, this.seedB[id] as number, leaves.hashes[i] as number);
    }
    return key.toString();
  }

  /** The element's key, reused from the last equal block at its path when there is one. */
  keyOf(value: unknown, leaves: JsonLeaves, flat: FlatElement, kind: "tools" | "system" | "messages"): string {
    if (flat.reused) {
      const known = this.table.blockKey(flat.node);
      if (known !== undefined) return known;
    }
    const systemText = kind === "system" && typeof value === "string" && flat.end === flat.start + 1;
    const key = this.compute(leaves, flat, kind === "messages" && isOneTextBlock(value), systemText);
    this.table.rememberBlockKey(flat.node, value, key);
    return key;
  }
}

/** A message whose content is exactly one text block (with nothing but type, text, cache_control). */
function isOneTextBlock(message: unknown): boolean {
  const content = (message as { content?: unknown } | null)?.content;
  if (!Array.isArray(content) || content.length !== 1) return false;
  const block = content[0] as Record<string, unknown> | null;
  if (block === null || typeof block !== "object" || block.type !== "text" || typeof block.text !== "string") return false;
  for (const key in block) if (key !== "type" && key !== "text" && key !== "cache_control") return false;
  return true;
}

function isBillingHeader(block: unknown): boolean {
  const text = typeof block === "string" ? block : (block as { text?: unknown } | null)?.text;
  return typeof text === "string" && text.startsWith(BILLING_HEADER_PREFIX);
}

function nameOf(value: unknown, field: "name" | "role"): string | null {
  const name = (value as Record<string, unknown> | null)?.[field];
  return typeof name === "string" ? name : null;
}

/** The prompt's elements in the order of Prompt.starts: the tools, the system blocks, the messages. */
export function promptElements(prompt: Prompt): PromptElement[] {
  return [...prompt.tools, ...prompt.system, ...prompt.messages];
}

/** Where `prompt[kind][position]` starts among the body's leaves (Prompt.starts). */
export function elementStart(prompt: Prompt, kind: PromptKind, position: number): number {
  const offset = kind === "tools" ? 0 : kind === "system" ? prompt.tools.length : prompt.tools.length + prompt.system.length;
  return prompt.starts[offset + position] as number;
}

/**
 * The prompt of a request body already flattened into `flat`; null when the body has no
 * `messages` array (not a Messages API request).
 */
export function promptOf(body: unknown, flat: Flattened, keys: ElementKeys): Prompt | null {
  const object = body as Record<string, unknown> | null;
  if (object === null || typeof object !== "object" || !Array.isArray(object.messages)) return null;
  const starts: number[] = [];
  const elements = (kind: "tools" | "system" | "messages"): PromptElement[] => {
    const value = object[kind];
    const flats = flat.elements[kind];
    if (value === undefined || flats === undefined) return [];
    const values: unknown[] = Array.isArray(value) ? value : [value];
    const out: PromptElement[] = [];
    for (let index = 0; index < flats.length; index++) {
      const element = values[index];
      if (kind === "system" && isBillingHeader(element)) continue;
      const range = flats[index] as FlatElement;
      const name = kind === "tools" ? nameOf(element, "name") : kind === "messages" ? nameOf(element, "role") : null;
      const leaves = range.own ?? { pathIds: flat.leaves.pathIds.slice(range.start, range.end), hashes: flat.leaves.hashes.slice(range.start, range.end) };
      out.push(keys.element(range.node, index, keys.keyOf(element, flat.leaves, range, kind), name, leaves));
      starts.push(range.start);
    }
    return out;
  };
  // In this order: Prompt.starts lists the tools' starts, then the system blocks', then the messages'.
  const tools = elements("tools");
  const system = elements("system");
  const messages = elements("messages");
  return { tools, system, messages, starts: Int32Array.from(starts) };
}

/**
 * The body's leaves outside the prompt's elements (all of them without a prompt), with their
 * places among all the leaves: Exchange.json.
 */
export function bodyLeaves(leaves: JsonLeaves, prompt: Prompt | null): BodyLeaves {
  const covered = new Uint8Array(leaves.pathIds.length);
  if (prompt) {
    promptElements(prompt).forEach((element, i) => covered.fill(1, prompt.starts[i] as number, (prompt.starts[i] as number) + element.leaves.pathIds.length));
  }
  let count = 0;
  for (let i = 0; i < covered.length; i++) if (covered[i] === 0) count += 1;
  const out: BodyLeaves = { pathIds: new Int32Array(count), hashes: new Float64Array(count), at: new Int32Array(count) };
  for (let i = 0, n = 0; i < covered.length; i++) {
    if (covered[i] === 1) continue;
    out.pathIds[n] = leaves.pathIds[i] as number;
    out.hashes[n] = leaves.hashes[i] as number;
    out.at[n] = i;
    n += 1;
  }
  return out;
}
