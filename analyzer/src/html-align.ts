/**
 * The side-by-side view's rows for two requests' prompt arrays, aligned by the analyzer's own
 * alignment (align.ts): tools by name, system blocks and messages by content (hash without
 * `cache_control`), gaps paired by role; so a re-sorted tool list shows as moves and one inserted
 * message as one row, not as a cascade of changes. Claude Code's per-request billing-header block
 * is metadata, not prompt: it is left out of the alignment and shown first, paired by position.
 */
import { alignElements as alignKeys } from "./align.js";
import type { ElementRef } from "./html-bodies.js";
import type { AlignedRow, RowState } from "./html-data.js";

function row(state: RowState, direct: ElementRef | undefined, di: number, headroom: ElementRef | undefined, hi: number): AlignedRow {
  const result: AlignedRow = { state, direct: direct ? [di, direct.id] : null, headroom: headroom ? [hi, headroom.id] : null };
  if (direct?.metadata || headroom?.metadata) result.metadata = true;
  return result;
}

/** Metadata blocks on both sides, paired by position. */
function metadataRows(direct: readonly ElementRef[], headroom: readonly ElementRef[]): AlignedRow[] {
  const d = direct.flatMap((ref, i) => (ref.metadata ? [i] : []));
  const h = headroom.flatMap((ref, j) => (ref.metadata ? [j] : []));
  return Array.from({ length: Math.max(d.length, h.length) }, (_, k) => {
    const i = d[k];
    const j = h[k];
    const a = i === undefined ? undefined : direct[i];
    const b = j === undefined ? undefined : headroom[j];
    const state: RowState = a && b ? (a.id === b.id ? "same" : "changed") : a ? "only_direct" : "only_headroom";
    return row(state, a, i ?? 0, b, j ?? 0);
  });
}

/**
 * Align two lists of elements. `by` picks the match key: `name` for tools, `key` (content) for
 * system blocks and messages. Rows follow the direct side's order, headroom-only rows where they sit.
 */
export function alignElements(direct: readonly ElementRef[], headroom: readonly ElementRef[], by: "name" | "key"): AlignedRow[] {
  const rows = metadataRows(direct, headroom);
  const d = direct.flatMap((ref, i) => (ref.metadata ? [] : [i]));
  const h = headroom.flatMap((ref, j) => (ref.metadata ? [] : [j]));
  const key = (ref: ElementRef) => (by === "name" ? ref.name : ref.key);
  const alignment = alignKeys(
    d.map((i) => key(direct[i] as ElementRef)),
    h.map((j) => key(headroom[j] as ElementRef)),
    by === "name" ? { pairGaps: false } : { pairGaps: true, directGroups: d.map((i) => direct[i]?.name ?? null), headroomGroups: h.map((j) => headroom[j]?.name ?? null) },
  );
  // Headroom-only elements go before the first matched element that follows them on their side.
  const onlyHeadroom = [...alignment.onlyHeadroom];
  const flushHeadroomBefore = (limit: number) => {
    while (onlyHeadroom.length > 0 && (onlyHeadroom[0] as number) < limit) {
      const j = h[onlyHeadroom.shift() as number] as number;
      rows.push(row("only_headroom", undefined, 0, headroom[j], j));
    }
  };
  const matchOf = new Map(alignment.matches.map((match) => [match.direct, match]));
  for (let k = 0; k < d.length; k++) {
    const i = d[k] as number;
    const match = matchOf.get(k);
    if (!match) {
      rows.push(row("only_direct", direct[i], i, undefined, 0));
      continue;
    }
    if (!match.moved) flushHeadroomBefore(match.headroom);
    const j = h[match.headroom] as number;
    const a = direct[i] as ElementRef;
    const b = headroom[j] as ElementRef;
    rows.push(row(a.id !== b.id ? "changed" : match.moved ? "moved" : "same", a, i, b, j));
  }
  flushHeadroomBefore(Number.POSITIVE_INFINITY);
  return rows;
}
