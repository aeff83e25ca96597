/**
 * Packing of aligned rows for the HTML report (see PackedRow): the analyzer packs, the page
 * unpacks. No Node imports, so the page's bundle can take it.
 */
import { METADATA_FLAG, ROW_STATES, SAME_RUN, type AlignedRow, type PackedRow } from "./html-data.js";

/** Pack rows: runs of two or more same rows at consecutive indexes become one entry. */
export function packRows(rows: readonly AlignedRow[]): PackedRow[] {
  const packed: PackedRow[] = [];
  let run: PackedRow | null = null;
  let next: [number, number] = [-1, -1];
  for (const row of rows) {
    const plain = row.state === "same" && !row.metadata && row.direct && row.headroom && row.direct[1] === row.headroom[1];
    if (plain && run && row.direct?.[0] === next[0] && row.headroom?.[0] === next[1]) {
      run.push(row.direct?.[1] as number);
      next = [next[0] + 1, next[1] + 1];
      continue;
    }
    if (plain && row.direct && row.headroom) {
      run = [SAME_RUN, row.direct[0], row.headroom[0], row.direct[1]];
      packed.push(run);
      next = [row.direct[0] + 1, row.headroom[0] + 1];
      continue;
    }
    run = null;
    const code = ROW_STATES.indexOf(row.state) + (row.metadata ? METADATA_FLAG : 0);
    packed.push([code, row.direct?.[0] ?? -1, row.direct?.[1] ?? -1, row.headroom?.[0] ?? -1, row.headroom?.[1] ?? -1]);
  }
  return packed;
}

/** The rows packed by packRows. */
export function unpackRows(packed: readonly PackedRow[]): AlignedRow[] {
  const rows: AlignedRow[] = [];
  for (const entry of packed) {
    const code = entry[0] as number;
    if (code === SAME_RUN) {
      const [, d, h] = entry as [number, number, number];
      for (let k = 3; k < entry.length; k++) rows.push({ state: "same", direct: [d + k - 3, entry[k] as number], headroom: [h + k - 3, entry[k] as number] });
      continue;
    }
    const [, di, de, hi, he] = entry as [number, number, number, number, number];
    const row: AlignedRow = { state: ROW_STATES[code & ~METADATA_FLAG] as AlignedRow["state"], direct: di === -1 ? null : [di, de], headroom: hi === -1 ? null : [hi, he] };
    if (code & METADATA_FLAG) row.metadata = true;
    rows.push(row);
  }
  return rows;
}
