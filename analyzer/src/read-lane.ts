/**
 * Stages 1 and 2 for one lane: load its capture and normalize every record into an Exchange, in
 * capture order. Its own module so the lane worker loads only what reading needs.
 */
import type { Exchange, Lane } from "./exchange.js";
import { loadRecords, type LoadOptions } from "./load.js";
import { inCaptureOrder, normalizeRecord, type NormalizeContext } from "./normalize.js";

export interface ReadOptions {
  onBytes?: (bytes: number) => void;
  onWarning?: (message: string) => void;
}

/** One lane's exchanges (of one segment of its file, if given) in file order, as they are read. */
export async function* readExchanges(file: string, context: NormalizeContext, options: LoadOptions = {}): AsyncGenerator<Exchange> {
  for await (const raw of loadRecords(file, options)) yield normalizeRecord(raw, context);
}

/** Read one lane's capture into exchanges in capture order. */
export async function readLane(name: string, file: string, context: NormalizeContext, options: ReadOptions = {}): Promise<Lane> {
  const warnings: string[] = [];
  const exchanges: Exchange[] = [];
  let bytes = 0;
  const reading = readExchanges(file, context, {
    onBytes: (n) => {
      bytes += n;
      options.onBytes?.(n);
    },
    onWarning: (message) => {
      warnings.push(message);
      options.onWarning?.(message);
    },
  });
  for await (const exchange of reading) exchanges.push(exchange);
  if (exchanges.length === 0) {
    // An empty lane compares as "everything only on the other side": say so instead of passing silently.
    const message = `${file}: empty capture (no exchanges)`;
    warnings.push(message);
    options.onWarning?.(message);
  }
  return { name, file, exchanges: inCaptureOrder(exchanges), warnings, bytes };
}
