/**
 * Alignment of two requests' prompt arrays for the side-by-side view: tools matched by name,
 * system blocks and messages by content (hash without `cache_control`), so one inserted message or
 * a re-sorted tool list shows as one row, not as a cascade of changes.
 *
 * How: the longest common subsequence of the match keys anchors the rows; an element found on both
 * sides but off that subsequence has moved; the rest, between two anchors, pairs up by position
 * when tool name or message role agree (a changed element), else stays on one side.
 */
import type { ElementRef } from "./html-bodies.js";
import type { AlignedRow, RowState } from "./html-data.js";

/** Above this many cells (direct × headroom elements) the LCS is skipped and elements pair by position. */
const MAX_LCS_CELLS = 4_000_000;

/** Indexes of the longest common subsequence of `a` and `b`, as [i, j] pairs in order. */
export function lcs(a: readonly string[], b: readonly string[]): Array<[number, number]> {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_LCS_CELLS) {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < Math.min(n, m); i++) if (a[i] === b[i]) pairs.push([i, i]);
    return pairs;
  }
  // Suffix lengths: table[i * (m + 1) + j] = LCS length of a[i..] and b[j..].
  const width = m + 1;
  const table = new Int32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] = a[i] === b[j] ? (table[(i + 1) * width + j + 1] as number) + 1 : Math.max(table[(i + 1) * width + j] as number, table[i * width + j + 1] as number);
    }
  }
  const pairs: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i += 1;
      j += 1;
    } else if ((table[(i + 1) * width + j] as number) >= (table[i * width + j + 1] as number)) {
      i += 1;
    } else {
      j += 1;
    }
  }
  return pairs;
}

function row(state: RowState, direct: ElementRef | undefined, di: number, headroom: ElementRef | undefined, hi: number): AlignedRow {
  const result: AlignedRow = {
    state,
    direct: direct ? [di, direct.id] : null,
    headroom: headroom ? [hi, headroom.id] : null,
  };
  if (direct?.metadata || headroom?.metadata) result.metadata = true;
  return result;
}

/** State of two matched elements: same content (exactly, or up to cache_control), else changed. */
function matchedState(direct: ElementRef, headroom: ElementRef, moved: boolean): RowState {
  if (direct.id === headroom.id) return moved ? "moved" : "same";
  return "changed";
}

/**
 * Align two lists of elements. `by` picks the match key: `name` for tools, `key` (content) for
 * system blocks and messages. Rows follow the direct side's order, headroom-only rows where they sit.
 */
export function alignElements(direct: readonly ElementRef[], headroom: readonly ElementRef[], by: "name" | "key"): AlignedRow[] {
  const matchKey = (ref: ElementRef) => (by === "name" ? `n:${ref.name}` : `k:${ref.key}`);
  const anchors = lcs(direct.map(matchKey), headroom.map(matchKey));
  const partnerOfDirect = new Int32Array(direct.length).fill(-1);
  const partnerOfHeadroom = new Int32Array(headroom.length).fill(-1);
  for (const [i, j] of anchors) {
    partnerOfDirect[i] = j;
    partnerOfHeadroom[j] = i;
  }
  // Off the common subsequence but on both sides: moved.
  const waiting = new Map<string, number[]>();
  headroom.forEach((ref, j) => {
    if (partnerOfHeadroom[j] !== -1) return;
    const key = matchKey(ref);
    const list = waiting.get(key);
    if (list) list.push(j);
    else waiting.set(key, [j]);
  });
  const moved = new Set<number>();
  direct.forEach((ref, i) => {
    if (partnerOfDirect[i] !== -1) return;
    const j = waiting.get(matchKey(ref))?.shift();
    if (j === undefined) return;
    partnerOfDirect[i] = j;
    partnerOfHeadroom[j] = i;
    moved.add(i);
  });

  const rows: AlignedRow[] = [];
  let j = 0;
  const flushHeadroomUntil = (end: number, gapDirect: number[]) => {
    // Headroom elements without a partner before `end`: pair by position with the gap's unmatched
    // direct elements of the same name (changed), the rest are headroom-only.
    for (; j < end; j++) {
      if (partnerOfHeadroom[j] !== -1) continue;
      const h = headroom[j] as ElementRef;
      const at = gapDirect.findIndex((i) => (direct[i] as ElementRef).name === h.name);
      if (at !== -1) {
        const [i] = gapDirect.splice(at, 1) as [number];
        rows.push(row("changed", direct[i], i, h, j));
      } else {
        rows.push(row("only_headroom", undefined, 0, h, j));
      }
    }
    for (const i of gapDirect) rows.push(row("only_direct", direct[i], i, undefined, 0));
    gapDirect.length = 0;
  };
  const gap: number[] = [];
  direct.forEach((ref, i) => {
    const partner = partnerOfDirect[i] as number;
    if (partner === -1) {
      gap.push(i);
      return;
    }
    if (moved.has(i)) {
      rows.push(row(matchedState(ref, headroom[partner] as ElementRef, true), ref, i, headroom[partner], partner));
      return;
    }
    flushHeadroomUntil(partner, gap);
    rows.push(row(matchedState(ref, headroom[partner] as ElementRef, false), ref, i, headroom[partner], partner));
    j = partner + 1;
  });
  flushHeadroomUntil(headroom.length, gap);
  return rows;
}
