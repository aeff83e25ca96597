/**
 * Warnings about the pairing itself, for the reader to weigh the figures: pairs that may not be
 * the same request (different model or message count), records a lane lost (gaps in its
 * sequence numbers), and a pairing that left most exchanges unpaired.
 *
 * Why aggregated: a proxy that inserts a message does so in every request; one line per kind,
 * with a count and the first few pairs, says the same as a thousand lines.
 */
import type { Exchange } from "./exchange.js";
import type { Labels } from "./summarize.js";
import type { PairBy, Pairing } from "./pair.js";

/** Examples a warning names before `…`. */
const EXAMPLES = 3;
/** Below this share of exchanges paired (of the larger lane, retries left out), the pairing is suspect. */
export const LOW_PAIRING_RATE = 0.5;

function where(exchange: Exchange): string {
  return exchange.sequence !== null ? `#${exchange.sequence}` : `line ${exchange.line}`;
}

function examples(items: readonly string[]): string {
  return items.slice(0, EXAMPLES).join(", ") + (items.length > EXAMPLES ? ", …" : "");
}

/** Pairs whose two requests name a different model, or carry a different number of messages. */
export function pairMismatchWarnings(pairing: Pairing, labels: Labels): string[] {
  const models: string[] = [];
  const counts: string[] = [];
  for (const { direct, headroom } of pairing.pairs) {
    const pair = `${labels.direct} ${where(direct)} -> ${labels.headroom} ${where(headroom)}`;
    if (direct.anthropic.model !== headroom.anthropic.model) models.push(`${pair} (${direct.anthropic.model ?? "none"} vs ${headroom.anthropic.model ?? "none"})`);
    const d = direct.anthropic.message_count;
    const h = headroom.anthropic.message_count;
    if (d !== null && h !== null && d !== h) counts.push(`${pair} (${d} vs ${h} messages)`);
  }
  const warnings: string[] = [];
  if (models.length) warnings.push(`${models.length} pair(s) name a different model: ${examples(models)}`);
  if (counts.length) warnings.push(`${counts.length} pair(s) carry a different number of messages: ${examples(counts)}`);
  return warnings;
}

/** `5`, `9-11`: runs of missing numbers. */
function runs(missing: readonly number[]): string[] {
  const parts: string[] = [];
  for (let i = 0; i < missing.length; ) {
    let j = i;
    while (j + 1 < missing.length && (missing[j + 1] as number) === (missing[j] as number) + 1) j += 1;
    parts.push(i === j ? String(missing[i]) : `${missing[i]}-${missing[j]}`);
    i = j + 1;
  }
  return parts;
}

/** Sequence numbers missing between a lane's lowest and highest: records the capture lost. */
export function sequenceGapWarning(label: string, exchanges: readonly Exchange[]): string | null {
  const sequences = [...new Set(exchanges.map((exchange) => exchange.sequence).filter((s): s is number => s !== null))].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let i = 1; i < sequences.length; i++) {
    const from = sequences[i - 1] as number;
    const to = sequences[i] as number;
    // A huge gap is a capture continued much later, or a different numbering: name its ends only.
    if (to - from > 1) for (let s = from + 1; s < to && missing.length < 10_000; s++) missing.push(s);
  }
  if (missing.length === 0) return null;
  const parts = runs(missing);
  const shown = parts.slice(0, 5).join(", ") + (parts.length > 5 ? ", …" : "");
  return `${label} lane: ${missing.length} sequence number(s) missing (${shown}): records lost, so some exchanges may be unpaired or missing from the totals`;
}

/** A pairing that left most exchanges unpaired, with what to try instead. */
export function pairingRateWarning(pairing: Pairing, direct: readonly Exchange[], headroom: readonly Exchange[], pairBy: PairBy): string | null {
  const attempts = (exchanges: readonly Exchange[]) => exchanges.filter((exchange) => !pairing.retriedBy.has(exchange)).length;
  const larger = Math.max(attempts(direct), attempts(headroom));
  if (direct.length === 0 || headroom.length === 0 || larger === 0) return null;
  const rate = pairing.pairs.length / larger;
  if (rate >= LOW_PAIRING_RATE) return null;
  const hint =
    pairBy === "conversation"
      ? "try --pair-by model or --pair-by path if the proxy rewrites the model, system prompt and first message"
      : pairBy === "route"
        ? "--pair-by route pairs only exchanges to the same host; try --pair-by conversation (the default)"
        : "try --pair-by conversation (the default)";
  return `only ${pairing.pairs.length} of ${larger} exchanges paired (${Math.round(rate * 100)}%, --pair-by ${pairBy}): ${hint}`;
}

/** Every pairing warning, in the order the report lists them. */
export function pairingWarnings(options: {
  pairing: Pairing;
  direct: readonly Exchange[];
  headroom: readonly Exchange[];
  pairBy: PairBy;
  labels: Labels;
}): string[] {
  const { pairing, direct, headroom, pairBy, labels } = options;
  return [
    ...pairMismatchWarnings(pairing, labels),
    sequenceGapWarning(labels.direct, direct),
    sequenceGapWarning(labels.headroom, headroom),
    pairingRateWarning(pairing, direct, headroom, pairBy),
  ].filter((warning): warning is string => warning !== null);
}
