/**
 * The pipeline in one place: load -> normalize/redact -> pair -> compare -> summarize -> render.
 * The CLI only parses options, calls these and writes files.
 *
 * Every pair is compared before anything is rendered, because the report opens with figures over
 * all pairs (the verdict); the compact per-pair diffs (path lists, no bodies) are kept, then
 * rendered one at a time and the rendered pieces handed to sinks, so the report text of a big
 * capture is never held at once.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { comparePair, JsonComparer, type PairDiff } from "./compare.js";
import { InputError } from "./errors.js";
import type { Lane } from "./exchange.js";
import type { LaneMessage, LaneRequest } from "./lane-worker.js";
import { remapLeaves } from "./json-leaves.js";
import { createContext, type NormalizeContext } from "./normalize.js";
import { pairLanes, viewLane, type PairBy } from "./pair.js";
import { JsonRenderer } from "./render-json.js";
import { MarkdownRenderer } from "./render-markdown.js";
import { readLane, type ReadOptions } from "./read-lane.js";
import type { PriceTable } from "./prices.js";
import { buildReportHead, type Labels, type Report, type ReportHead } from "./summarize.js";

export { readLane, type ReadOptions } from "./read-lane.js";

/** Each worker's young generation (MB): small, so two lanes read at once stay under ~200 MB RSS. */
const WORKER_YOUNG_MB = 8;
/** The compiled worker; absent when running from the TypeScript sources (tests), then lanes are read in this thread. */
const WORKER_FILE = new URL("./lane-worker.js", import.meta.url);

/**
 * Read one lane in a worker thread (lane-worker.ts) and renumber its JSON paths into `context`.
 * Errors come back as they would from readLane: InputError for bad input.
 */
export function readLaneInWorker(name: string, file: string, context: NormalizeContext, options: ReadOptions = {}): Promise<Lane> {
  return new Promise((resolvePromise, reject) => {
    const request: LaneRequest = { name, file };
    const worker = new Worker(WORKER_FILE, { workerData: request, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
      void worker.terminate();
    };
    worker.on("message", (message: LaneMessage) => {
      if (message.type === "bytes") options.onBytes?.(message.bytes);
      else if (message.type === "warning") options.onWarning?.(message.message);
      else if (message.type === "error") settle(() => reject(message.input ? new InputError(message.message) : new Error(message.message)));
      else {
        const memo = new Int32Array(message.paths.length).fill(-1);
        for (const exchange of message.lane.exchanges) if (exchange.json) remapLeaves(exchange.json, message.paths, context.paths, memo);
        settle(() => resolvePromise(message.lane));
      }
    });
    worker.on("error", (error) => settle(() => reject(error)));
    worker.on("exit", (code) => settle(() => reject(new Error(`lane reader stopped (exit ${code})`))));
  });
}

/**
 * Read both lanes at once, each in a worker thread with a small young generation (reading and
 * JSON.parse dominate the run time; two cores read two files). When both fail, the direct lane's
 * error is the one reported, as a sequential read would.
 */
export async function readLanes(direct: string, headroom: string, context: NormalizeContext, options: ReadOptions = {}): Promise<[Lane, Lane]> {
  if (!existsSync(fileURLToPath(WORKER_FILE))) {
    return [await readLane("direct", direct, context, options), await readLane("headroom", headroom, context, options)];
  }
  const lanes = [readLaneInWorker("direct", direct, context, options), readLaneInWorker("headroom", headroom, context, options)] as const;
  const [directLane, headroomLane] = await Promise.allSettled(lanes);
  if (directLane.status === "rejected") throw directLane.reason;
  if (headroomLane.status === "rejected") throw headroomLane.reason;
  return [directLane.value, headroomLane.value];
}

export interface NetworkDiffOptions extends ReadOptions {
  direct: string;
  headroom: string;
  pairBy: PairBy;
  generatedAt?: Date;
  labels?: Labels;
  prices?: PriceTable;
  /** Called once the report head is known, before anything is rendered; returns members to add (scenario, gates). */
  onHead?: (head: ReportHead) => Partial<ReportHead>;
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
  const [direct, headroom] = await readLanes(options.direct, options.headroom, context, options);
  const views = { direct: viewLane(direct.exchanges), headroom: viewLane(headroom.exchanges) };
  const pairing = pairLanes(views.direct, views.headroom, options.pairBy);
  const comparer = new JsonComparer(context.paths);
  const diffs = pairing.pairs.map((pair) => comparePair(pair, comparer));
  const built = buildReportHead({
    direct,
    headroom,
    pairing,
    pairBy: options.pairBy,
    diffs,
    views,
    paths: context.paths.paths,
    generatedAt: options.generatedAt,
    labels: options.labels,
    prices: options.prices,
  });
  const head: ReportHead = { ...built, ...options.onHead?.(built) };
  const markdown = new MarkdownRenderer(head);
  const json = new JsonRenderer(head);
  const emit = async (sink: Sink | undefined, chunk: string) => {
    if (sink && chunk !== "") await sink(chunk);
  };
  await emit(sinks.markdown, markdown.start());
  await emit(sinks.json, json.start());
  for (const diff of diffs) {
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
