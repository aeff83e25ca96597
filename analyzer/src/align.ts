/**
 * Stage 4a — align: which element of one lane's prompt arrays corresponds to which of the other's,
 * before their JSON leaves are compared.
 *
 * Why: comparing `$.tools[3]` with `$.tools[3]` is wrong as soon as a proxy sorts the tools or
 * inserts a message: every later element then "changes" (a cascade). Aligned first — tools by
 * name, system blocks and messages by content key (prompt.ts) — a sorted tool list is a few moves,
 * an inserted message is one added element, and a message the proxy rewrote (a compressed
 * tool_result) still pairs with its counterpart, so its change shows inside it.
 *
 * How: the longest common subsequence of the keys (patience style: common prefix and suffix, then
 * keys unique on both sides as anchors, recursively; a small quadratic LCS where no anchor is
 * left), so cost stays near-linear for long conversations. Elements with equal keys outside that
 * subsequence moved. What is left in a gap between two matches is paired in order, by role for
 * messages (a rewritten message keeps its role); tools pair by name only.
 */

/** One aligned element: positions in the two element lists. */
export interface ElementMatch {
  direct: number;
  headroom: number;
  /** Paired by equal key but out of order relative to the other matches. */
  moved: boolean;
}

export interface Alignment {
  /** In direct order. */
  matches: ElementMatch[];
  /** Positions with no counterpart, ascending. */
  onlyDirect: number[];
  onlyHeadroom: number[];
}

export interface AlignOptions {
  /** Pair what is left between two matches in order (messages, system); tools do not. */
  pairGaps: boolean;
  /** With pairGaps: only elements of equal group (a message's role) are paired. */
  directGroups?: ReadonlyArray<string | null>;
  headroomGroups?: ReadonlyArray<string | null>;
}

/** Largest gap (cells) aligned by a quadratic LCS when it has no unique anchor. */
const QUADRATIC_LIMIT = 1 << 14;
/** Deepest recursion of anchor search; deeper gaps are left to gap pairing. */
const MAX_DEPTH = 48;

/** Matches (dPos -> hPos) of the longest common subsequence, found patience style. */
class CommonSubsequence {
  readonly directMatch: Int32Array;
  readonly headroomMatch: Int32Array;

  constructor(
    private readonly d: readonly string[],
    private readonly h: readonly string[],
  ) {
    this.directMatch = new Int32Array(d.length).fill(-1);
    this.headroomMatch = new Int32Array(h.length).fill(-1);
    this.align(0, d.length, 0, h.length, 0);
  }

  private match(i: number, j: number): void {
    this.directMatch[i] = j;
    this.headroomMatch[j] = i;
  }

  private align(dLo: number, dHi: number, hLo: number, hHi: number, depth: number): void {
    const { d, h } = this;
    while (dLo < dHi && hLo < hHi && d[dLo] === h[hLo]) this.match(dLo++, hLo++);
    while (dLo < dHi && hLo < hHi && d[dHi - 1] === h[hHi - 1]) this.match(--dHi, --hHi);
    if (dLo === dHi || hLo === hHi) return;
    const anchors = depth < MAX_DEPTH ? this.anchors(dLo, dHi, hLo, hHi) : [];
    if (anchors.length === 0) {
      if ((dHi - dLo) * (hHi - hLo) <= QUADRATIC_LIMIT) this.quadratic(dLo, dHi, hLo, hHi);
      return;
    }
    let i = dLo;
    let j = hLo;
    for (const [ai, aj] of anchors) {
      this.align(i, ai, j, aj, depth + 1);
      this.match(ai, aj);
      i = ai + 1;
      j = aj + 1;
    }
    this.align(i, dHi, j, hHi, depth + 1);
  }

  /** Keys occurring once on each side of the range, as (dPos, hPos), longest increasing run by hPos. */
  private anchors(dLo: number, dHi: number, hLo: number, hHi: number): Array<[number, number]> {
    const seen = new Map<string, { d: number; h: number; dCount: number; hCount: number }>();
    for (let i = dLo; i < dHi; i++) {
      const key = this.d[i] as string;
      const entry = seen.get(key);
      if (entry) entry.dCount += 1;
      else seen.set(key, { d: i, h: -1, dCount: 1, hCount: 0 });
    }
    for (let j = hLo; j < hHi; j++) {
      const entry = seen.get(this.h[j] as string);
      if (!entry) continue;
      entry.hCount += 1;
      entry.h = j;
    }
    const unique: Array<[number, number]> = [];
    for (const entry of seen.values()) if (entry.dCount === 1 && entry.hCount === 1) unique.push([entry.d, entry.h]);
    unique.sort((a, b) => a[0] - b[0]);
    return longestIncreasing(unique);
  }

  /** Plain LCS table for a small gap without anchors (repeated keys). */
  private quadratic(dLo: number, dHi: number, hLo: number, hHi: number): void {
    const rows = dHi - dLo;
    const cols = hHi - hLo;
    const table = new Int32Array((rows + 1) * (cols + 1));
    for (let i = rows - 1; i >= 0; i--) {
      for (let j = cols - 1; j >= 0; j--) {
        table[i * (cols + 1) + j] =
          this.d[dLo + i] === this.h[hLo + j]
            ? (table[(i + 1) * (cols + 1) + j + 1] as number) + 1
            : Math.max(table[(i + 1) * (cols + 1) + j] as number, table[i * (cols + 1) + j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < rows && j < cols) {
      if (this.d[dLo + i] === this.h[hLo + j]) {
        this.match(dLo + i++, hLo + j++);
      } else if ((table[(i + 1) * (cols + 1) + j] as number) >= (table[i * (cols + 1) + j + 1] as number)) {
        i += 1;
      } else {
        j += 1;
      }
    }
  }
}

/** The longest subsequence of `pairs` (sorted by [0]) increasing in [1] (patience sorting). */
function longestIncreasing(pairs: Array<[number, number]>): Array<[number, number]> {
  if (pairs.length <= 1) return pairs;
  const tails: number[] = [];
  const previous = new Int32Array(pairs.length).fill(-1);
  for (let k = 0; k < pairs.length; k++) {
    const value = (pairs[k] as [number, number])[1];
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((pairs[tails[mid] as number] as [number, number])[1] < value) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[k] = tails[lo - 1] as number;
    tails[lo] = k;
  }
  const out: Array<[number, number]> = [];
  for (let k = tails[tails.length - 1] as number; k !== -1; k = previous[k] as number) out.push(pairs[k] as [number, number]);
  return out.reverse();
}

/**
 * Align two element lists by key (see the module doc). Keys may repeat; a repeated key pairs in
 * order.
 */
export function alignElements(directKeys: readonly string[], headroomKeys: readonly string[], options: AlignOptions): Alignment {
  const lcs = new CommonSubsequence(directKeys, headroomKeys);
  const dMatch = lcs.directMatch;
  const hMatch = lcs.headroomMatch;
  const moved = new Uint8Array(directKeys.length);

  // Equal keys outside the common subsequence: the element moved.
  const waiting = new Map<string, number[]>();
  for (let j = 0; j < headroomKeys.length; j++) {
    if (hMatch[j] !== -1) continue;
    const key = headroomKeys[j] as string;
    const list = waiting.get(key);
    if (list) list.push(j);
    else waiting.set(key, [j]);
  }
  if (waiting.size > 0) {
    for (let i = 0; i < directKeys.length; i++) {
      if (dMatch[i] !== -1) continue;
      const j = waiting.get(directKeys[i] as string)?.shift();
      if (j === undefined) continue;
      dMatch[i] = j;
      hMatch[j] = i;
      moved[i] = 1;
    }
  }

  if (options.pairGaps) pairGaps(dMatch, hMatch, moved, options);

  const matches: ElementMatch[] = [];
  const onlyDirect: number[] = [];
  for (let i = 0; i < directKeys.length; i++) {
    const j = dMatch[i] as number;
    if (j === -1) onlyDirect.push(i);
    else matches.push({ direct: i, headroom: j, moved: moved[i] === 1 });
  }
  const onlyHeadroom: number[] = [];
  for (let j = 0; j < headroomKeys.length; j++) if (hMatch[j] === -1) onlyHeadroom.push(j);
  return { matches, onlyDirect, onlyHeadroom };
}

/** Between consecutive in-order matches, pair the unmatched elements in order (same group only). */
function pairGaps(dMatch: Int32Array, hMatch: Int32Array, moved: Uint8Array, options: AlignOptions): void {
  const dGroups = options.directGroups;
  const hGroups = options.headroomGroups;
  let i = 0;
  let j = 0;
  while (i < dMatch.length || j < hMatch.length) {
    // The gap: unmatched direct elements up to the next in-order match, and headroom ones up to its partner.
    let dEnd = i;
    while (dEnd < dMatch.length && (dMatch[dEnd] === -1 || moved[dEnd] === 1)) dEnd += 1;
    const hEnd = dEnd < dMatch.length ? (dMatch[dEnd] as number) : hMatch.length;
    let next = j;
    for (let di = i; di < dEnd; di++) {
      if (dMatch[di] !== -1) continue;
      for (let hj = next; hj < hEnd; hj++) {
        if (hMatch[hj] !== -1) continue;
        if ((dGroups?.[di] ?? null) !== (hGroups?.[hj] ?? null)) continue;
        dMatch[di] = hj;
        hMatch[hj] = di;
        next = hj + 1;
        break;
      }
    }
    i = dEnd + 1;
    j = Math.max(j, hEnd + 1);
  }
}
