/**
 * The pipeline in one place: load -> normalize/redact -> pair -> compare -> summarize -> render.
 * The CLI only parses options, calls these and writes files.
 *
 * Pairs are compared and rendered one at a time and the rendered pieces handed to sinks, so the
 * per-pair results of a big capture are never all held at once.
 */
import { comparePair, JsonComparer, type PairDiff } from "./compare.js";
import type { Exchange, Lane } from "./exchange.js";
import { loadRecords } from "./load.js";
import { createContext, inCaptureOrder, normalizeRecord, type NormalizeContext } from "./normalize.js";
import { pairExchanges, type PairBy } from "./pair.js";
import { JsonRenderer } from "./render-json.js";
import { MarkdownRenderer } from "./render-markdown.js";
import { buildReportHead, type Report, type ReportHead } from "./summarize.js";

export interface ReadOptions {
  onBytes?: (bytes: number) => void;
  onWarning?: (message: string) => void;
}

/** Read one lane's capture into exchanges in capture order. */
export async function readLane(name: string, file: string, context: NormalizeContext, options: ReadOptions = {}): Promise<Lane> {
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

/** Where rendered pieces go; a sink may return a promise to apply backpressure. */
export type Sink = (chunk: string) => void | Promise<void>;

export interface ReportSinks {
  markdown?: Sink;
  json?: Sink;
  /** Receives every pair's diff (tests use it to inspect the report as an object). */
  pair?: (diff: PairDiff) => void;
}

/**
 * Compare two lane captures and stream the reports into the sinks. Every input problem is
 * thrown (InputError) before anything is handed to a sink. Returns the report head.
 */
export async function networkDiff(options: NetworkDiffOptions, sinks: ReportSinks): Promise<ReportHead> {
  const context = createContext();
  const direct = await readLane("direct", options.direct, context, options);
  const headroom = await readLane("headroom", options.headroom, context, options);
  const pairing = pairExchanges(direct.exchanges, headroom.exchanges, options.pairBy);
  const head = buildReportHead({ direct, headroom, pairing, pairBy: options.pairBy, generatedAt: options.generatedAt });
  const markdown = new MarkdownRenderer(head);
  const json = new JsonRenderer(head);
  const emit = async (sink: Sink | undefined, chunk: string) => {
    if (sink && chunk !== "") await sink(chunk);
  };
  await emit(sinks.markdown, markdown.start());
  await emit(sinks.json, json.start());
  const comparer = new JsonComparer(context.paths);
  for (const pair of pairing.pairs) {
    const diff = comparePair(pair, comparer);
    sinks.pair?.(diff);
    await emit(sinks.markdown, markdown.pair(diff));
    if (sinks.json) await emit(sinks.json, json.pair(diff));
  }
  await emit(sinks.markdown, markdown.end());
  await emit(sinks.json, json.end());
  return head;
}

/** networkDiff with everything collected in memory: the report object and both renderings. */
export async function networkDiffToStrings(options: NetworkDiffOptions): Promise<{ report: Report; markdown: string; json: string }> {
  const markdown: string[] = [];
  const json: string[] = [];
  const paired: PairDiff[] = [];
  const head = await networkDiff(options, { markdown: (c) => void markdown.push(c), json: (c) => void json.push(c), pair: (d) => paired.push(d) });
  return { report: { ...head, paired }, markdown: markdown.join(""), json: json.join("") };
}
