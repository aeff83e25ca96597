/**
 * What the tokens cost: an optional price table (`--prices FILE`) turns each exchange's `usage` into dollars.
 *
 * Why a file and no built-in table: list prices change and differ per model; a report that silently used stale
 * figures would answer "what does the proxy save" wrongly. The user states the prices; the report says which file
 * they came from and which models it could not price.
 *
 * File: JSON, USD per million tokens, keyed by model — an exact id, a prefix ending in `*`, or `*` for the rest
 * (keys starting with `_` are comments):
 *   { "claude-opus-*": { "input": 15, "output": 75, "cache_write": 18.75, "cache_write_1h": 30, "cache_read": 1.5 } }
 * `cache_write` prices 5-minute cache writes; `cache_write_1h` the 1-hour writes a response reports in
 * `usage.cache_creation.ephemeral_1h_input_tokens` (optional: without it, 2 × `input`, Anthropic's rule).
 */
import { readFileSync } from "node:fs";
import { InputError } from "./errors.js";
import type { Exchange } from "./exchange.js";
import { cacheWrites, hasUsage } from "./usage.js";

export interface ModelPrice {
  input: number;
  output: number;
  cache_write: number;
  cache_read: number;
  /** 1-hour cache writes; absent: 2 × input. */
  cache_write_1h?: number;
}

export interface PriceTable {
  file: string;
  models: Record<string, ModelPrice>;
}

export interface Cost {
  /** Dollars over the exchanges that could be priced. */
  usd: number;
  /** Exchanges with usage whose model has no price (not counted in usd). */
  unpriced_exchanges: number;
  unpriced_models: string[];
}

const FIELDS = ["input", "output", "cache_write", "cache_read"] as const;

function isPrice(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** Read and check a price file; every problem is one InputError naming the file. */
export function loadPrices(file: string): PriceTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ? "cannot read file" : "not valid JSON";
    throw new InputError(`${file}: ${reason} (--prices)`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InputError(`${file}: expected an object of model -> prices (--prices)`);
  }
  const models: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(parsed)) {
    if (model.startsWith("_")) continue; // "_comment" and the like
    const entry = price as Record<string, unknown>;
    for (const field of FIELDS) {
      const value = entry?.[field];
      if (!isPrice(value)) throw new InputError(`${file}: ${model}.${field} must be a number of USD per million tokens (--prices)`);
    }
    if (entry?.cache_write_1h !== undefined && !isPrice(entry.cache_write_1h)) {
      throw new InputError(`${file}: ${model}.cache_write_1h must be a number of USD per million tokens (--prices)`);
    }
    models[model] = entry as unknown as ModelPrice;
  }
  return { file, models };
}

/** The price for a model: exact id, else the longest matching `prefix*`, else `*`. */
export function priceFor(table: PriceTable, model: string | null): ModelPrice | null {
  if (model !== null && table.models[model]) return table.models[model]!;
  let best: { length: number; price: ModelPrice } | null = null;
  for (const [key, price] of Object.entries(table.models)) {
    if (!key.endsWith("*") || key === "*") continue;
    const prefix = key.slice(0, -1);
    if (model !== null && model.startsWith(prefix) && (!best || prefix.length > best.length)) best = { length: prefix.length, price };
  }
  return best?.price ?? table.models["*"] ?? null;
}

/** Dollars for some exchanges, from each response's usage and its request's model (exchanges without usage add nothing). */
export function costOf(exchanges: readonly Exchange[], table: PriceTable): Cost {
  let usd = 0;
  let unpriced = 0;
  const unpricedModels = new Set<string>();
  for (const exchange of exchanges) {
    if (!hasUsage(exchange)) continue;
    const { usage } = exchange;
    const price = priceFor(table, exchange.anthropic.model);
    if (!price) {
      unpriced += 1;
      unpricedModels.add(exchange.anthropic.model ?? "(no model)");
      continue;
    }
    const writes = cacheWrites(usage);
    usd +=
      (usage.input_tokens * price.input +
        (usage.output_tokens ?? 0) * price.output +
        writes.fiveMinute * price.cache_write +
        writes.oneHour * (price.cache_write_1h ?? 2 * price.input) +
        (usage.cache_read_input_tokens ?? 0) * price.cache_read) /
      1_000_000;
  }
  return { usd, unpriced_exchanges: unpriced, unpriced_models: [...unpricedModels].sort() };
}
