/**
 * Descriptive statistics and the bootstrap behind `aggregate`'s verdicts.
 *
 * Why a bootstrap and not a t-test: per-run figures of an LLM agent (tokens, turns, latency) are
 * skewed and often few; a percentile bootstrap makes no normality assumption. Why seeded: the same
 * reports must give the same interval on every machine and in every CI run, or a gate would flap.
 */

export interface Described {
  n: number;
  mean: number | null;
  median: number | null;
  /** Sample standard deviation (n - 1); null below two values. */
  sd: number | null;
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function standardDeviation(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const centre = mean(values)!;
  let squares = 0;
  for (const value of values) squares += (value - centre) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

export function describe(values: readonly number[]): Described {
  return { n: values.length, mean: mean(values), median: median(values), sd: standardDeviation(values) };
}

/** mulberry32: a small, fast, seedable PRNG with uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The q-quantile (0..1) of sorted values, linear between neighbours. */
export function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/**
 * Samples of one metric from both arms, split into strata (e.g. scenarios): a resample draws each
 * arm's values with replacement within each stratum, so a mix of tasks is kept as it was run and
 * the spread between tasks is not mistaken for noise.
 */
export interface TwoArmSample {
  strata: Array<{ direct: readonly number[]; headroom: readonly number[] }>;
}

/** A statistic of the two arms' pooled means, e.g. the relative delta. */
export type MeansStatistic = (directMean: number, headroomMean: number) => number | null;

/** Pooled mean of one arm's resample: draw each stratum's values with replacement, same counts. */
function resampledMean(strata: readonly Float64Array[], random: () => number): number {
  let sum = 0;
  let count = 0;
  for (const values of strata) {
    const n = values.length;
    for (let i = 0; i < n; i += 1) sum += values[(random() * n) | 0]!;
    count += n;
  }
  return sum / count;
}

/** Non-empty strata as typed arrays (the resampling loop reads them millions of times). */
function typed(strata: ReadonlyArray<readonly number[]>): Float64Array[] {
  return strata.filter((values) => values.length > 0).map((values) => Float64Array.from(values));
}

function total(strata: readonly Float64Array[]): number {
  return strata.reduce((sum, values) => sum + values.length, 0);
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * Percentile bootstrap intervals of `statistic(mean(direct), mean(headroom))`, one per confidence
 * level asked for (e.g. 0.95 for the interval shown, 0.90 for the TOST equivalence test).
 * Null when an arm has fewer than two values, or when the statistic is undefined on most resamples.
 */
export function bootstrapIntervals(
  sample: TwoArmSample,
  statistic: MeansStatistic,
  levels: readonly number[],
  options: { resamples: number; seed: number },
): Array<Interval | null> {
  const direct = typed(sample.strata.map((stratum) => stratum.direct));
  const headroom = typed(sample.strata.map((stratum) => stratum.headroom));
  const none = levels.map(() => null);
  if (total(direct) < 2 || total(headroom) < 2) return none;
  const random = seededRandom(options.seed);
  const values: number[] = [];
  for (let i = 0; i < options.resamples; i += 1) {
    const value = statistic(resampledMean(direct, random), resampledMean(headroom, random));
    if (value !== null && Number.isFinite(value)) values.push(value);
  }
  if (values.length < options.resamples / 2) return none;
  const sorted = Float64Array.from(values).sort();
  return levels.map((level) => ({ low: quantile(sorted, (1 - level) / 2), high: quantile(sorted, 1 - (1 - level) / 2) }));
}

/** Percentile bootstrap interval of the mean of one set of values (per-run figures without arms). */
export function bootstrapMeanInterval(strata: ReadonlyArray<readonly number[]>, level: number, options: { resamples: number; seed: number }): Interval | null {
  const filled = typed(strata);
  if (total(filled) < 2) return null;
  const random = seededRandom(options.seed);
  const values = new Float64Array(options.resamples);
  for (let i = 0; i < options.resamples; i += 1) values[i] = resampledMean(filled, random);
  values.sort();
  return { low: quantile(values, (1 - level) / 2), high: quantile(values, 1 - (1 - level) / 2) };
}

/**
 * Two one-sided tests (TOST) at level alpha, by the interval inclusion rule: the difference is
 * equivalent within ±margin when the (1 - 2·alpha) interval lies strictly inside (-margin, +margin).
 */
export function equivalentWithin(interval: Interval | null, margin: number): boolean | null {
  if (!interval) return null;
  return interval.low > -margin && interval.high < margin;
}
