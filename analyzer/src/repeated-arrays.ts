/**
 * A shortcut for stage 1: a request repeats, byte for byte, most of the request before it. Claude
 * Code sends its ~60 KB of tool definitions and its system prompt with every turn, and the whole
 * conversation so far; decoding and parsing all of that again is most of the work of reading a
 * capture.
 *
 * So, per prompt array of the request body (`tools`, `system`, `messages`), the bytes of the last
 * arrays seen are remembered with where each element ends and what they parse to. In a new line,
 * the bytes after a `"messages":[` key (and so on) are compared with them (memcmp, binary search
 * over element ends); the longest run of whole equal elements is replaced by a placeholder while
 * the rest of the line is decoded and parsed, and the remembered elements are put back — the same
 * objects, which later stages recognise at once (json-leaves.ts: `sameJson` starts with an
 * identity check).
 *
 * Safe by construction: remembered elements are what those exact bytes parse to (elements of a
 * JSON array parse independently), and they are used only when the parsed record shows the
 * placeholder as the first element of `request_json.<key>`. Anything else (no match, the
 * placeholder elsewhere, a parse error) returns nothing, and the line is parsed in full.
 */
import { CLOSE_BRACE, CLOSE_BRACKET, COMMA, isWhitespace, OPEN_BRACE, OPEN_BRACKET, QUOTE, stringEnd } from "./json-bytes.js";
import { sameJson } from "./json-leaves.js";

/** Runs of equal elements shorter than this are parsed again (splicing them would save little). */
const MIN_BYTES = 1024;
/** Distinct arrays remembered per key (a main session and its subagents take turns). */
const REMEMBERED = 4;
/** After this many lines without a reuse, a key learns only from every so many lines (captures with nothing repeated). */
const BACK_OFF = 8;

/** A remembered array: its bytes (`[` to `]`), the end of each element in them, and what they parse to. */
interface KnownArray {
  bytes: Buffer;
  ends: number[];
  value: unknown[];
}

/** A run of remembered elements found in a line. */
interface Splice {
  memory: KeyMemory;
  known: KnownArray;
  /** Where the array starts in the line (its `[`). */
  start: number;
  /** How many leading elements are reused, and where they end (relative to `start`). */
  count: number;
  end: number;
}

/**
 * Scan the array whose `[` is at `start`, from `from` (just after its `[`, or just after the `,`
 * that follows an element), adding element ends (relative to `start`) to `ends`. Returns the
 * array's end (exclusive), or -1 when the line ends first.
 */
export function scanArray(line: Buffer, start: number, from: number, ends: number[]): number {
  let depth = 1;
  let empty = from === start + 1;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (c === QUOTE) {
      empty = false;
      const end = stringEnd(line, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      empty = false;
      depth += 1;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth -= 1;
      if (depth === 0) {
        if (!empty) ends.push(i - start);
        return i + 1;
      }
    } else if (c === COMMA && depth === 1) {
      ends.push(i - start);
    } else if (!isWhitespace(c)) {
      empty = false;
    }
  }
  return -1;
}

/** Whether the key pattern found at `at` is JSON syntax: after `{` or `,`, not inside a string (where its quote would follow a backslash). */
function isKey(line: Buffer, at: number): boolean {
  const before = line[at - 1];
  return before === COMMA || before === OPEN_BRACE;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What one key of the body remembers. */
class KeyMemory {
  readonly pattern: Buffer;
  readonly placeholder: string;
  readonly placeholderJson: string;
  known: KnownArray[] = [];
  private missed = 0;

  constructor(readonly key: string) {
    this.pattern = Buffer.from(`"${key}":[`);
    this.placeholder = `\u0000headroom-analyze: ${key} seen before\u0000`;
    this.placeholderJson = JSON.stringify(this.placeholder);
  }

  /**
   * Where the arrays of this key start in the line (at the `[`), for keys that are JSON syntax
   * (after `{` or `,`): from `from` to the end, then from the start up to `from`.
   */
  *arrays(line: Buffer, from = 0): Generator<number> {
    const pattern = this.pattern;
    for (let at = line.indexOf(pattern, from); at !== -1; at = line.indexOf(pattern, at + pattern.length)) {
      if (isKey(line, at)) yield at + pattern.length - 1;
    }
    for (let at = from > 0 ? line.indexOf(pattern) : -1; at !== -1 && at < from; at = line.indexOf(pattern, at + pattern.length)) {
      if (isKey(line, at)) yield at + pattern.length - 1;
    }
  }

  /** The longest run of remembered leading elements found in the line (searched for from `from` on first), if worth reusing. */
  find(line: Buffer, from: number): Splice | undefined {
    let best: Splice | undefined;
    if (this.known.length === 0) return undefined;
    // The first array under this key that repeats remembered elements: the body's, nearly always (the parsed record tells).
    for (const start of this.arrays(line, from)) {
      for (const known of this.known) {
        const count = equalElements(line, start, known);
        if (count === 0) continue;
        const end = known.ends[count - 1] as number;
        if (end >= MIN_BYTES && (!best || end > best.end)) best = { memory: this, known, start, count, end };
      }
      if (best) return best;
    }
    return undefined;
  }

  /** Remember the array at `start` in the line and what it parsed to; with `from`, its leading elements are the ones that splice reused. */
  remember(line: Buffer, start: number, value: unknown[], from?: Splice): void {
    const ends = from ? from.known.ends.slice(0, from.count) : [];
    // After reused elements comes a `,` (more elements, scanned from after it) or the closing `]`.
    const after = from ? start + from.end : start;
    const end = from && line[after] === CLOSE_BRACKET ? after + 1 : scanArray(line, start, after + 1, ends);
    if (end === -1 || end - start < MIN_BYTES || ends.length !== value.length) return;
    const known: KnownArray = { bytes: Buffer.from(line.subarray(start, end)), ends, value };
    this.known = [known, ...this.known.filter((other) => other !== from?.known)].slice(0, REMEMBERED);
  }

  /** After a line parsed in full: remember this key's array, unless backing off. */
  learn(line: Buffer, value: unknown): void {
    if (!Array.isArray(value) || value.length === 0) return;
    this.missed += 1;
    if (this.missed > BACK_OFF && this.missed % BACK_OFF !== 0) return;
    const starts = [...this.arrays(line)];
    if (starts.length === 1) {
      // The body's array is the line's only one under this key: the bytes that parsed to it.
      this.remember(line, starts[0] as number, value);
      return;
    }
    for (const start of starts) {
      // Several: the one whose bytes parse to the body's array.
      const end = scanArray(line, start, start + 1, []);
      if (end === -1 || end - start < MIN_BYTES) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.toString("utf8", start, end));
      } catch {
        continue;
      }
      if (!sameJson(parsed, value)) continue;
      this.remember(line, start, parsed as unknown[]);
      return;
    }
  }

  reused(): void {
    this.missed = 0;
  }
}

/** How many leading elements of `known` the line repeats, byte for byte, in the array at `start`. */
function equalElements(line: Buffer, start: number, known: KnownArray): number {
  const { bytes, ends } = known;
  const same = (i: number) => {
    const end = ends[i] as number;
    // The element's bytes, and the separator after it (`,` or `]`) so the element is whole in the line too.
    return start + end < line.length && line.compare(bytes, 0, end, start, start + end) === 0 && (line[start + end] === COMMA || line[start + end] === CLOSE_BRACKET);
  };
  let low = 0;
  let high = ends.length;
  // Equal prefixes are monotonic: find the largest count with the first `count` elements equal.
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (same(mid - 1)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The prompt arrays of one reader (one lane, or one segment of it), remembered by their bytes. */
export class RepeatedArrays {
  /** In the order Claude Code sends them, so each key is looked for after the one before. */
  private readonly memories = ["messages", "system", "tools"].map((key) => new KeyMemory(key));

  /**
   * The record on `line` (UTF-8, no line ending), parsed with remembered elements reused; undefined
   * when none applies (parse the line in full, then call learn()).
   */
  parse(line: Buffer): Record<string, unknown> | undefined {
    const splices = this.splices(line);
    if (splices.length === 0) return undefined;
    let text = "";
    let at = 0;
    for (const splice of splices) {
      text += line.toString("utf8", at, splice.start + 1) + splice.memory.placeholderJson;
      at = splice.start + splice.end;
    }
    text += line.toString("utf8", at);
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isObject(record) || !isObject(record.request_json)) return undefined;
    const body = record.request_json;
    const arrays: unknown[][] = [];
    for (const splice of splices) {
      const array = body[splice.memory.key];
      if (!Array.isArray(array) || array[0] !== splice.memory.placeholder) return undefined;
      arrays.push(array);
    }
    splices.forEach((splice, i) => {
      const array = splice.known.value.slice(0, splice.count).concat((arrays[i] as unknown[]).slice(1));
      body[splice.memory.key] = array;
      splice.memory.reused();
      // Remembered by its bytes in the line (splice.start is a place in the line, not in the parsed text).
      splice.memory.remember(line, splice.start, array, splice);
    });
    for (const memory of this.memories) if (!splices.some((splice) => splice.memory === memory)) memory.learn(line, body[memory.key]);
    return record;
  }

  /** After a line was parsed in full: remember its prompt arrays by their bytes. */
  learn(line: Buffer, record: Record<string, unknown>): void {
    const body = record.request_json;
    if (!isObject(body)) return;
    for (const memory of this.memories) memory.learn(line, body[memory.key]);
  }

  /** The runs to reuse, in line order, none inside another. */
  private splices(line: Buffer): Splice[] {
    const found: Splice[] = [];
    let from = 0;
    for (const memory of this.memories) {
      const splice = memory.find(line, from);
      if (!splice) continue;
      found.push(splice);
      from = splice.start + splice.end;
    }
    found.sort((a, b) => a.start - b.start);
    const out: Splice[] = [];
    for (const splice of found) {
      const last = out.at(-1);
      if (last && splice.start < last.start + last.end) continue;
      out.push(splice);
    }
    return out;
  }
}
