import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { costOf, loadPrices, priceFor } from "../src/prices.js";
import { createContext, normalizeRecord } from "../src/normalize.js";
import { ANALYZER, expectOneLineError, messagesBody, runCli, tempDir, v1Record, writeJsonl } from "./helpers.js";

const price = (input: number) => ({ input, output: input * 5, cache_write: input * 1.25, cache_read: input / 10 });

function pricesFile(models: Record<string, unknown>): string {
  const file = join(tempDir(), "prices.json");
  writeFileSync(file, JSON.stringify(models));
  return file;
}

describe("prices", () => {
  it("finds a model's price: exact id, else the longest prefix*, else *", () => {
    const table = loadPrices(pricesFile({ "claude-opus-*": price(15), "claude-opus-5-*": price(5), "claude-opus-5-5": price(1), "*": price(100) }));
    expect(priceFor(table, "claude-opus-5-5")?.input).toBe(1);
    expect(priceFor(table, "claude-opus-5-1")?.input).toBe(5);
    expect(priceFor(table, "claude-opus-4")?.input).toBe(15);
    expect(priceFor(table, "gpt-x")?.input).toBe(100);
    expect(priceFor(loadPrices(pricesFile({ "claude-*": price(3) })), "gpt-x")).toBeNull();
  });

  it("prices each exchange's usage by its request's model, and counts what it could not price", () => {
    const context = createContext();
    const exchange = (sequence: number, model: string) =>
      normalizeRecord({ file: "f.jsonl", line: sequence, record: v1Record(sequence, messagesBody({ model })) }, context);
    const table = loadPrices(pricesFile({ "claude-sonnet-*": price(3) }));
    // usage in the helper: input 10, output 20, cache write 100, cache read 1000
    const cost = costOf([exchange(1, "claude-sonnet-4-5"), exchange(2, "claude-haiku-4-5")], table);
    expect(cost.usd).toBeCloseTo((10 * 3 + 20 * 15 + 100 * 3.75 + 1000 * 0.3) / 1e6, 12);
    expect(cost).toMatchObject({ unpriced_exchanges: 1, unpriced_models: ["claude-haiku-4-5"] });
  });

  it("a bad price file is one line naming it, exit 2; comments (_keys) are allowed", () => {
    const dir = tempDir();
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, messagesBody())]);
    for (const [content, message] of [
      ["{not json", "not valid JSON"],
      [JSON.stringify({ m: { input: 1, output: 1, cache_write: 1 } }), "m.cache_read must be a number"],
      [JSON.stringify([1]), "expected an object"],
    ] as const) {
      const file = join(dir, "p.json");
      writeFileSync(file, content);
      const result = runCli(["--direct", direct, "--headroom", direct, "--prices", file]);
      expect(result.status).toBe(2);
      expect(expectOneLineError(result)).toContain(`${file}: ${message}`);
    }
    expect(runCli(["--direct", direct, "--headroom", direct, "--prices", join(dir, "missing.json")]).status).toBe(2);
    expect(() => loadPrices(pricesFile({ _comment: "example", m: price(1) }))).not.toThrow();
  });

  it("--prices adds an estimated cost per lane and over the paired exchanges, Markdown and JSON", () => {
    const dir = tempDir();
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, messagesBody())]);
    const cheaper = { usage: { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000 } };
    const headroom = writeJsonl(dir, "h.jsonl", [v1Record(1, messagesBody(), cheaper)]);
    const json = join(dir, "r.json");
    const result = runCli(["--direct", direct, "--headroom", headroom, "--prices", join(ANALYZER, "prices.example.json"), "--json-output", json, "--quiet"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/- Estimated cost \(USD, prices from `.*prices\.example\.json`\): direct \$0\.0010, headroom \$0\.0006; .* saving \$0\.0004 \(-37\.3%\)/);
    const cost = JSON.parse(readFileSync(json, "utf8")).summary.cost;
    expect(cost.paired.usd_delta).toBeCloseTo(-100 * 3.75 / 1e6, 12);
    expect(runCli(["--direct", direct, "--headroom", headroom]).stdout).not.toContain("Estimated cost");
  });
});
