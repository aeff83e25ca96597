/**
 * Noise: differences that are not the proxy's doing. Two runs of the same task differ anyway
 * (session and request ids, `metadata.user_id`, the date in the system prompt, the model's own
 * answers). A second capture of the direct lane (--baseline) shows which: a JSON path template or
 * header name that differs between an exchange and its baseline counterpart is noise in that
 * exchange's direct-vs-headroom pair, and moves there from the only_* and changed lists to `noise`.
 *
 * The baseline pairs with the direct lane exactly as the headroom lane does (pairExchanges with
 * the same --pair-by) and is compared with the same aligned JSON delta, so "the same path" means
 * the same thing on both sides.
 */
import { headerDelta, type PairDiff } from "./compare.js";
import type { Exchange } from "./exchange.js";
import type { JsonComparer } from "./json-delta.js";
import { pathTemplate } from "./json-templates.js";
import type { Pairing } from "./pair.js";

/** `summary.noise`: how much was classed as noise, and against which baseline. */
export interface NoiseSummary {
  /** The --baseline file. */
  baseline: string;
  /** Direct-vs-headroom pairs whose direct exchange has a baseline counterpart. */
  pairs_with_baseline: number;
  /** JSON paths moved to `json.noise`, over all pairs. */
  json: number;
  /** Header names moved to `headers.noise`, over all pairs. */
  headers: number;
}

export class NoiseFilter {
  private readonly baselineOf = new Map<Exchange, Exchange>();
  private pairs = 0;
  private json = 0;
  private headers = 0;

  /** `pairing`: the direct lane paired with its baseline (the baseline in the headroom slot). */
  constructor(
    private readonly file: string,
    pairing: Pairing,
    private readonly comparer: JsonComparer,
  ) {
    for (const pair of pairing.pairs) this.baselineOf.set(pair.direct, pair.headroom);
  }

  /** Move the differences of `diff` (the pair of `direct`) that its baseline also shows into the noise lists. */
  apply(diff: PairDiff, direct: Exchange): void {
    const baseline = this.baselineOf.get(direct);
    if (!baseline) return;
    this.pairs += 1;
    const runDelta = this.comparer.compare(direct, baseline);
    const templates = new Set<string>();
    for (const list of [runDelta.only_direct, runDelta.only_headroom, runDelta.changed]) for (const path of list) templates.add(pathTemplate(path));
    const runHeaders = headerDelta(direct.request_headers, baseline.request_headers);
    const names = new Set([...runHeaders.only_direct, ...runHeaders.only_headroom, ...runHeaders.changed].map((name) => name.toLowerCase()));

    const json = diff.json;
    const isJsonNoise = (path: string) => templates.has(pathTemplate(path));
    for (const key of ["only_direct", "only_headroom", "changed"] as const) {
      const [noise, kept] = split(json[key], isJsonNoise);
      json.noise.push(...noise);
      json[key] = kept;
    }
    const headers = diff.headers;
    const isHeaderNoise = (name: string) => names.has(name.toLowerCase());
    for (const key of ["only_direct", "only_headroom", "changed"] as const) {
      const [noise, kept] = split(headers[key], isHeaderNoise);
      headers.noise.push(...noise);
      headers[key] = kept;
    }
    headers.noise.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    this.json += json.noise.length;
    this.headers += headers.noise.length;
  }

  summary(): NoiseSummary {
    return { baseline: this.file, pairs_with_baseline: this.pairs, json: this.json, headers: this.headers };
  }
}

function split<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  if (!items.some(test)) return [[], items];
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
