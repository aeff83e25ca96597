/**
 * The pipeline in one place: load -> normalize/redact -> pair -> compare -> summarize -> render.
 * The CLI only parses options, calls these and writes files.
 */
import { comparePairs } from "./compare.js";
import type { Exchange, Lane } from "./exchange.js";
import { loadRecords } from "./load.js";
import { createContext, inCaptureOrder, normalizeRecord, type NormalizeContext } from "./normalize.js";
import { pairExchanges, type PairBy } from "./pair.js";
import { renderJson } from "./render-json.js";
import { renderMarkdown } from "./render-markdown.js";
import { buildReport, type Report } from "./summarize.js";

export interface ReadOptions {
  onBytes?: (bytes: number) => void;
  onWarning?: (message: string) => void;
}

/** Read one lane's capture into exchanges in capture order. */
export async function readLane(name: Lane["name"], file: string, context: NormalizeContext, options: ReadOptions = {}): Promise<Lane> {
  const warnings: string[] = [];
  const exchanges: Exchange[] = [];
  let bytes = 0;
  const records = loadRecords(file, {
    onBytes: (n) => {
      bytes += n;
      options.onBytes?.(n);
    },
    onWarning: (message) => {
      warnings.push(message);
      options.onWarning?.(message);
    },
  });
  for await (const raw of records) exchanges.push(normalizeRecord(raw, context));
  return { name, file, exchanges: inCaptureOrder(exchanges), warnings, bytes };
}

export interface NetworkDiffOptions extends ReadOptions {
  direct: string;
  headroom: string;
  pairBy: PairBy;
  generatedAt?: Date;
}

export interface NetworkDiffResult {
  report: Report;
  markdown: string;
  json: string;
}

/** Compare two lane captures; the result holds the report and both renderings. */
export async function networkDiff(options: NetworkDiffOptions): Promise<NetworkDiffResult> {
  const context = createContext();
  const direct = await readLane("direct", options.direct, context, options);
  const headroom = await readLane("headroom", options.headroom, context, options);
  const pairing = pairExchanges(direct.exchanges, headroom.exchanges, options.pairBy);
  const paired = comparePairs(pairing.pairs, context.paths);
  const report = buildReport({ direct, headroom, pairing, paired, pairBy: options.pairBy, generatedAt: options.generatedAt });
  return { report, markdown: renderMarkdown(report), json: renderJson(report) };
}
