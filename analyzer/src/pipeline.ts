/**
 * The pipeline in one place: load -> normalize/redact -> pair -> compare -> summarize -> render.
 * The CLI only parses options, calls these and writes files.
 *
 * All pairs are compared first (their diffs are small: path strings are shared with the path
 * table), so the report head can summarize them; then the report is rendered piece by piece and
 * handed to sinks, so the rendered text of a big capture is never held at once.
 */
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { comparePair, JsonComparer, type PairDiff } from "./compare.js";
import { InputError } from "./errors.js";
import type { Exchange, Lane } from "./exchange.js";
import type { LaneMessage, LaneRequest } from "./lane-worker.js";
import { remapLeaves } from "./json-leaves.js";
import { createContext, inCaptureOrder, type NormalizeContext } from "./normalize.js";
import { TemplateCounter } from "./json-templates.js";
import { NoiseFilter } from "./noise.js";
import { pairLanes, viewLane, type PairBy } from "./pair.js";
import { shareStrings } from "./shared-strings.js";
import { JsonRenderer } from "./render-json.js";
import type { DeltaExtras } from "./render-delta.js";
import { MarkdownRenderer } from "./render-markdown.js";
import { readLane, type ReadOptions } from "./read-lane.js";
import { unpricedWarnings, type PriceTable } from "./prices.js";
import type { ProxyStatsTotals } from "./proxy-account.js";
import { buildReportHead, type Labels, type Report, type ReportHead } from "./summarize.js";

export { readLane, type ReadOptions } from "./read-lane.js";

/**
 * Each worker's heap: a small young generation, and an old generation capped well above what a
 * worker holds (its reuse caches and one batch), so garbage is collected early instead of growing
 * the heap; two lanes read at once then stay under ~200 MB RSS. A lane that needs more (a record
 * of tens of MB) is read again in the main thread, without the cap.
 */
const WORKER_YOUNG_MB = 8;
const WORKER_OLD_MB = 48;
/** The compiled worker; absent when running from the TypeScript sources (tests), then lanes are read in this thread. */
const WORKER_FILE = new URL("./lane-worker.js", import.meta.url);

/**
 * Read one lane in a worker thread (lane-worker.ts), renumbering its JSON paths into `context`
 * and pooling its repeated strings batch by batch. Errors come back as they would from readLane:
 * InputError for bad input.
 */
export function readLaneInWorker(name: string, file: string, context: NormalizeContext, options: ReadOptions = {}): Promise<Lane> {
  return new Promise((resolvePromise, reject) => {
    const request: LaneRequest = { name, file };
    const worker = new Worker(WORKER_FILE, { workerData: request, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: WORKER_OLD_MB } });
    const exchanges: Exchange[] = [];
    const progress: Reported = { bytes: 0, warnings: 0 };
    const theirPaths: string[] = [];
    let memo = new Int32Array(0);
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
      void worker.terminate();
    };
    worker.on("message", (message: LaneMessage) => {
      if (message.type === "bytes") {
        progress.bytes += message.bytes;
        options.onBytes?.(message.bytes);
      } else if (message.type === "warning") {
        progress.warnings += 1;
        options.onWarning?.(message.message);
      } else if (message.type === "error") {
        settle(() => reject(message.input ? new InputError(message.message) : new Error(message.message)));
      } else if (message.type === "exchanges") {
        for (const path of message.paths) theirPaths.push(path);
        if (memo.length < theirPaths.length) {
          const grown = new Int32Array(theirPaths.length).fill(-1);
          grown.set(memo);
          memo = grown;
        }
        for (const exchange of message.exchanges) {
          if (exchange.json) remapLeaves(exchange.json, theirPaths, context.paths, memo);
          shareStrings(exchange, context.strings);
          exchanges.push(exchange);
        }
      } else {
        settle(() => resolvePromise({ name, file, exchanges: inCaptureOrder(exchanges), warnings: message.warnings, bytes: message.bytes }));
      }
    });
    worker.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "ERR_WORKER_OUT_OF_MEMORY") settle(() => reject(error));
      else settle(() => resolvePromise(readLane(name, file, context, quietFor(options, progress))));
    });
    worker.on("exit", (code) => settle(() => reject(new Error(`lane reader stopped (exit ${code})`))));
  });
}

/** What a worker already reported before it stopped. */
interface Reported {
  bytes: number;
  warnings: number;
}

/** Options for reading a lane again: progress and warnings the worker already reported are not repeated. */
function quietFor(options: ReadOptions, reported: Reported): ReadOptions {
  let bytes = 0;
  let warnings = 0;
  return {
    onBytes: (n) => {
      const before = bytes;
      bytes += n;
      const fresh = Math.max(0, bytes - Math.max(before, reported.bytes));
      if (fresh > 0) options.onBytes?.(fresh);
    },
    onWarning: (message) => {
      warnings += 1;
      if (warnings > reported.warnings) options.onWarning?.(message);
    },
  };
}

/**
 * Read both lanes at once, each in a worker thread with a small young generation (reading and
 * JSON.parse dominate the run time; two cores read two files). When both fail, the direct lane's
 * error is the one reported, as a sequential read would.
 */
export async function readLanes(direct: string, headroom: string, context: NormalizeContext, options: ReadOptions = {}): Promise<[Lane, Lane]> {
  const reads = startReading(
    [
      ["direct", direct],
      ["headroom", headroom],
    ],
    context,
    options,
  );
  return (await inOrder(reads)) as [Lane, Lane];
}

/**
 * Start reading lanes (name, file), two at a time in worker threads (two cores; and two workers'
 * heaps are what the memory target allows): one promise per lane, so a caller can work on the
 * first lanes while a third is read. From the TypeScript sources (no built worker) the lanes are
 * read one after the other in this thread.
 */
function startReading(files: ReadonlyArray<readonly [string, string]>, context: NormalizeContext, options: ReadOptions): Array<Promise<Lane>> {
  const inWorkers = existsSync(fileURLToPath(WORKER_FILE));
  const read = (name: string, file: string) => (inWorkers ? readLaneInWorker(name, file, context, options) : readLane(name, file, context, options));
  // A lane starts when one of the running reads ends, in the order given.
  let free = inWorkers ? 2 : 1;
  const waiting: Array<() => void> = [];
  const slot = () => (free > 0 ? ((free -= 1), Promise.resolve()) : new Promise<void>((start) => waiting.push(start)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  };
  return files.map(([name, file]) => {
    const reading = slot().then(() => read(name, file).finally(release));
    reading.catch(() => undefined); // Reported when awaited, in order (see inOrder).
    return reading;
  });
}

/** Wait for all; the first failure in the given order is the one thrown. */
async function inOrder(reads: ReadonlyArray<Promise<Lane>>): Promise<Lane[]> {
  const settled = await Promise.allSettled(reads);
  return settled.map((lane) => {
    if (lane.status === "rejected") throw lane.reason;
    return lane.value;
  });
}

export interface NetworkDiffOptions extends ReadOptions {
  direct: string;
  headroom: string;
  pairBy: PairBy;
  generatedAt?: Date;
  labels?: Labels;
  prices?: PriceTable;
  /** The proxy's saved stats (--proxy-stats), set beside the captures in the proxy account. */
  proxyStats?: ProxyStatsTotals;
  /** A second capture of the direct lane: differences it shows too are noise (noise.ts). */
  baseline?: string;
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

/** What the renderers draw from: the report head and every pair's diff. */
interface Analysis {
  head: ReportHead;
  diffs: PairDiff[];
  extras: DeltaExtras;
}

/**
 * Read, pair, compare and summarize. Every pair is compared before anything is rendered, so the
 * head can say what the pairs show (templates across pairs, noise); a diff is small (its path
 * strings are the path table's). The lanes are not returned, so their exchanges can be freed
 * before the reports are rendered.
 */
async function analyze(options: NetworkDiffOptions): Promise<Analysis> {
  const context = createContext();
  const files: Array<[string, string]> = [
    ["direct", options.direct],
    ["headroom", options.headroom],
  ];
  if (options.baseline !== undefined) files.push(["baseline", options.baseline]);
  const reads = startReading(files, context, options);
  const [direct, headroom] = (await inOrder(reads.slice(0, 2))) as [Lane, Lane];
  const views = { direct: viewLane(direct.exchanges), headroom: viewLane(headroom.exchanges) };
  const pairing = pairLanes(views.direct, views.headroom, options.pairBy);

  // Compared while a baseline is still being read; its noise is taken out once it is there.
  const comparer = new JsonComparer(context.paths);
  const diffs = pairing.pairs.map((pair) => comparePair(pair, comparer));
  const baseline = reads[2] ? await reads[2] : undefined;
  const noise = baseline ? new NoiseFilter(baseline.file, pairLanes(views.direct, viewLane(baseline.exchanges), options.pairBy), comparer) : null;
  if (noise) pairing.pairs.forEach((pair, index) => noise.apply(diffs[index] as PairDiff, pair.direct));
  const templates = new TemplateCounter();
  for (const diff of diffs) templates.add(diff);
  const head = buildReportHead({
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
    proxyStats: options.proxyStats,
  });
  for (const warning of reportWarnings(options, head)) {
    if (head.warnings.includes(warning)) continue; // read in this thread, the lane said it already
    head.warnings.push(warning);
    options.onWarning?.(warning);
  }

  head.summary.json_templates = templates.templates();
  if (baseline && noise) {
    head.inputs.baseline = baseline.file;
    head.summary.noise = noise.summary();
    head.warnings.push(...baseline.warnings);
  }
  Object.assign(head, options.onHead?.(head));
  return { head, diffs, extras: { varyingHeaders: templates.varyingHeaders } };
}

/**
 * Compare two lane captures and stream the reports into the sinks. Every input problem is
 * thrown (InputError) before anything is handed to a sink. Returns the report head.
 */
export async function networkDiff(options: NetworkDiffOptions, sinks: ReportSinks): Promise<ReportHead> {
  const { head, diffs, extras } = await analyze(options);
  const markdown = new MarkdownRenderer(head, extras);
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

/**
 * Warnings about the comparison as a whole (each lane's own warnings come from reading it): inputs that would
 * otherwise give a plausible-looking but meaningless report.
 */
function reportWarnings(options: NetworkDiffOptions, head: ReportHead): string[] {
  const warnings: string[] = [];
  // An empty lane compares as "everything only on the other side": say so instead of passing silently.
  for (const [file, count] of [[options.direct, head.direct_count], [options.headroom, head.headroom_count]] as const) {
    if (count === 0) warnings.push(`${file}: empty capture (no exchanges)`);
  }
  if (sameFile(options.direct, options.headroom)) {
    warnings.push(`${options.direct} is given as both sides (--direct and --headroom): every pair compares an exchange with itself`);
  }
  const cost = head.summary.cost;
  if (cost) {
    warnings.push(...unpricedWarnings(cost.prices_file, [[head.labels.direct, cost.direct], [head.labels.headroom, cost.headroom]]));
  }
  return warnings;
}

/** The same file under two names (same path, a symlink or a hard link)? */
function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** networkDiff with everything collected in memory: the report object and both renderings. */
export async function networkDiffToStrings(options: NetworkDiffOptions): Promise<{ report: Report; markdown: string; json: string }> {
  const markdown: string[] = [];
  const json: string[] = [];
  const paired: PairDiff[] = [];
  const head = await networkDiff(options, { markdown: (c) => void markdown.push(c), json: (c) => void json.push(c), pair: (d) => paired.push(d) });
  return { report: { ...head, paired }, markdown: markdown.join(""), json: json.join("") };
}
