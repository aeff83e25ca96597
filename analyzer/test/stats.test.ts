import { describe as group, expect, it } from "vitest";
import { bootstrapIntervals, bootstrapMeanInterval, describe, equivalentWithin, median, seededRandom } from "../src/stats.js";

const relative = (d: number, h: number) => (d === 0 ? null : ((h - d) / d) * 100);

/** Normally distributed values (Box-Muller) from a seeded generator: known true means, realistic noise. */
function normal(count: number, mean: number, sd: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

group("descriptive statistics", () => {
  it("mean, median, sample sd and n", () => {
    expect(describe([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ n: 8, mean: 5, median: 4.5, sd: Math.sqrt(32 / 7) });
    expect(describe([3])).toEqual({ n: 1, mean: 3, median: 3, sd: null });
    expect(describe([])).toEqual({ n: 0, mean: null, median: null, sd: null });
    expect(median([10, 1, 3])).toBe(3);
  });
});

group("bootstrap", () => {
  const options = { resamples: 2000, seed: 7 };

  it("is deterministic for a seed", () => {
    const sample = { strata: [{ direct: normal(20, 1000, 80, 1), headroom: normal(20, 950, 80, 2) }] };
    expect(bootstrapIntervals(sample, relative, [0.95], options)).toEqual(bootstrapIntervals(sample, relative, [0.95], options));
    expect(seededRandom(3)()).toBe(seededRandom(3)());
  });

  it("a known true difference of -20 %: the interval holds it and excludes 0", () => {
    const sample = { strata: [{ direct: normal(30, 1000, 50, 11), headroom: normal(30, 800, 50, 12) }] };
    const [interval] = bootstrapIntervals(sample, relative, [0.95], options);
    expect(interval!.low).toBeLessThan(-20);
    expect(interval!.high).toBeGreaterThan(-20);
    expect(interval!.high).toBeLessThan(0);
  });

  it("no true difference: the interval holds 0", () => {
    const sample = { strata: [{ direct: normal(30, 1000, 50, 21), headroom: normal(30, 1000, 50, 22) }] };
    const [interval] = bootstrapIntervals(sample, relative, [0.95], options);
    expect(interval!.low).toBeLessThan(0);
    expect(interval!.high).toBeGreaterThan(0);
  });

  it("the 90 % interval lies inside the 95 % one; TOST by inclusion", () => {
    const sample = { strata: [{ direct: normal(40, 1000, 20, 31), headroom: normal(40, 1000, 20, 32) }] };
    const [wide, narrow] = bootstrapIntervals(sample, relative, [0.95, 0.9], options);
    expect(narrow!.low).toBeGreaterThanOrEqual(wide!.low);
    expect(narrow!.high).toBeLessThanOrEqual(wide!.high);
    expect(equivalentWithin(narrow!, 2)).toBe(true);
    expect(equivalentWithin(narrow!, 0.01)).toBe(false);
    expect(equivalentWithin(null, 2)).toBeNull();
  });

  it("strata: the spread between scenarios is not mistaken for noise", () => {
    // Two tasks of very different size, each with a steady -10 %: pooled resampling would blur it.
    const strata = [
      { direct: [100, 101, 99, 100], headroom: [90, 91, 89, 90] },
      { direct: [10000, 10100, 9900, 10000], headroom: [9000, 9100, 8900, 9000] },
    ];
    const [interval] = bootstrapIntervals({ strata }, relative, [0.95], options);
    expect(interval!.low).toBeGreaterThan(-11);
    expect(interval!.high).toBeLessThan(-9);
  });

  it("no interval below two values in an arm", () => {
    expect(bootstrapIntervals({ strata: [{ direct: [1], headroom: [1, 2] }] }, relative, [0.95], options)).toEqual([null]);
    expect(bootstrapMeanInterval([[5]], 0.95, options)).toBeNull();
    expect(bootstrapMeanInterval([[1, 1, 1]], 0.95, options)).toEqual({ low: 1, high: 1 });
  });
});
