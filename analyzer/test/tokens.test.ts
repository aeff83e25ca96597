import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
import { loadPrices } from "../src/prices.js";
import { diffOf, laneRecords, MAIN_MODEL, PROXY, turnBody } from "./conversations.js";
import { tempDir } from "./helpers.js";

const USAGE = { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 };

describe("honest token totals", () => {
  const bodies = [turnBody(1), turnBody(2), turnBody(3)];
  const direct = laneRecords(bodies);
  // headroom: turn 2 answered 200 without usage (a stream whose usage could not be read), turn 3 with null counts.
  const headroom = laneRecords(bodies, [undefined, { usage: null }, { usage: { ...USAGE, input_tokens: null } }], PROXY);

  it("paired totals count only pairs where both sides carry usage, and say how many were left out", async () => {
    const { report, markdown } = await diffOf(direct, headroom);
    const tokens = report.summary.paired_tokens;
    expect(tokens).toMatchObject({ pairs_counted: 1, pairs_without_usage: 2, prompt_tokens_delta: 0 });
    expect(tokens.direct).toMatchObject({ prompt_tokens: 1110, exchanges_with_usage: 1 });
    expect(tokens.headroom).toMatchObject({ prompt_tokens: 1110, exchanges_with_usage: 1 });
    expect(markdown).toContain("- Paired tokens (1 of 3 pairs counted, those with usage on both sides; 2 without usage left out): direct 1110 prompt tokens");
  });

  it("per lane: exchanges with usage of exchanges; a usage whose input_tokens is null is no usage", async () => {
    const { report, markdown } = await diffOf(direct, headroom);
    expect(report.summary.headroom.tokens).toMatchObject({ exchanges_with_usage: 1, prompt_tokens: 1110 });
    expect(report.summary.direct.tokens).toMatchObject({ exchanges_with_usage: 3, prompt_tokens: 3330 });
    expect(markdown).toMatch(/^\| headroom \| 3 \| 1 of 3 \|/m);
    expect(markdown).toMatch(/^\| direct \| 3 \| 3 of 3 \|/m);
  });

  it("the paired cost leaves out pairs without usage instead of counting them as free", async () => {
    const dir = tempDir();
    folders.push(dir);
    const file = join(dir, "prices.json");
    writeFileSync(file, JSON.stringify({ "*": { input: 1, output: 1, cache_write: 1, cache_read: 1 } }));
    const { report } = await diffOf(direct, headroom, { prices: loadPrices(file) });
    expect(report.summary.cost?.paired.usd_delta).toBe(0);
    expect(report.summary.cost?.paired.direct.usd).toBeCloseTo(1130 / 1e6, 12);
  });
});

describe("cache writes by lifetime", () => {
  const split = { ...USAGE, cache_creation_input_tokens: 100, cache_creation: { ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 } };
  const direct = laneRecords([turnBody(1)], [{ usage: split }]);
  const headroom = laneRecords([turnBody(1)], [{ usage: USAGE }], PROXY);

  it("keeps Anthropic's 5-minute / 1-hour split per pair and in the totals", async () => {
    const { report, markdown } = await diffOf(direct, headroom);
    expect(report.paired[0]?.usage.direct?.cache_creation).toEqual({ ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 });
    expect(report.summary.direct.tokens.cache_creation).toEqual({ ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 });
    expect(report.summary.headroom.tokens.cache_creation).toBeNull();
    expect(markdown).toContain("Cache writes by lifetime (`usage.cache_creation`): direct 5-minute 60, 1-hour 40.");
  });

  it("prices 1-hour writes at cache_write_1h, or at 2 × input when the price file has none", async () => {
    const dir = tempDir();
    folders.push(dir);
    const withPrice = join(dir, "with.json");
    const without = join(dir, "without.json");
    writeFileSync(withPrice, JSON.stringify({ [MAIN_MODEL]: { input: 3, output: 15, cache_write: 3.75, cache_write_1h: 6, cache_read: 0.3 } }));
    writeFileSync(without, JSON.stringify({ [MAIN_MODEL]: { input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 } }));
    const base = 10 * 3 + 20 * 15 + 1000 * 0.3;
    const priced = await diffOf(direct, headroom, { prices: loadPrices(withPrice) });
    expect(priced.report.summary.cost?.direct.usd).toBeCloseTo((base + 60 * 3.75 + 40 * 6) / 1e6, 12);
    expect(priced.report.summary.cost?.headroom.usd).toBeCloseTo((base + 100 * 3.75) / 1e6, 12);
    const derived = await diffOf(direct, headroom, { prices: loadPrices(without) });
    expect(derived.report.summary.cost?.direct.usd).toBeCloseTo((base + 60 * 3.75 + 40 * 2 * 3) / 1e6, 12);
  });

  it("a bad cache_write_1h is one line naming it (exit 2 from the CLI)", () => {
    const dir = tempDir();
    const file = join(dir, "p.json");
    writeFileSync(file, JSON.stringify({ m: { input: 1, output: 1, cache_write: 1, cache_read: 1, cache_write_1h: "six" } }));
    expect(() => loadPrices(file)).toThrow(`${file}: m.cache_write_1h must be a number of USD per million tokens (--prices)`);
    rmSync(dir, { recursive: true, force: true });
  });
});
