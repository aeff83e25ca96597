/**
 * Reading lanes on two cores. Each capture is cut into segments of whole lines (load.ts
 * planSegments) and two worker threads (lane-worker.ts) take the segments in turn, the lanes in
 * the order given: both cores stay busy to the end, whether there are two lanes or three (a
 * baseline) and whatever their sizes. This thread renumbers each batch's JSON paths into its
 * own path table, pools repeated strings and prompt elements, and puts each lane back together in
 * file order.
 *
 * Why workers, with capped heaps: parsing makes garbage that survives a record or two; in the
 * thread that holds the lanes it would be promoted and grow that heap for good.
 *
 * From the TypeScript sources (tests; no built worker) the lanes are read one after the other in
 * this thread, as a whole.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError } from "./errors.js";
import type { Exchange, JsonLeaves, Lane, PromptElement } from "./exchange.js";
import { remapLeaves } from "./json-leaves.js";
import { planSegments, type Segment } from "./load.js";
import type { LaneMessage, SegmentTask } from "./lane-worker.js";
import { inCaptureOrder, type NormalizeContext } from "./normalize.js";
import { readExchanges, readLane, type ReadOptions } from "./read-lane.js";
import { shareElements } from "./shared-copies.js";

/**
 * Each worker's heap: a small young generation, and an old generation capped well above what a
 * worker holds (its reuse caches and one batch), so garbage is collected early instead of growing
 * the heap. A segment that needs more (a record of tens of MB) is read again in this thread.
 */
const WORKER_YOUNG_MB = 8;
const WORKER_OLD_MB = 48;
/** Two workers: two cores. */
const WORKERS = 2;
/** Segment size: small enough that the last segments keep both cores busy, large enough that warming a worker's caches is rare. */
export const SEGMENT_BYTES = 32 << 20;
/** The compiled worker; absent when running from the TypeScript sources (tests). */
const WORKER_FILE = new URL("./lane-worker.js", import.meta.url);

export interface LaneReadOptions extends ReadOptions {
  /** Segment size in bytes (tests use small ones). */
  segmentBytes?: number;
}

/** A lane being read: its segments' results in file order. */
interface LaneState {
  name: string;
  file: string;
  parts: Array<SegmentResult | undefined>;
  /** Segments not settled yet; undefined until the file is planned. */
  open: number | undefined;
  resolve: (lane: Lane) => void;
  reject: (error: unknown) => void;
  failed: boolean;
}

interface SegmentResult {
  exchanges: Exchange[];
  warnings: string[];
  bytes: number;
  error?: unknown;
}

/** A segment's result before anything is read. */
function nothingRead(error?: unknown): SegmentResult {
  return { exchanges: [], warnings: [], bytes: 0, error };
}

interface Job {
  lane: LaneState;
  index: number;
  task: SegmentTask;
}

/**
 * Start reading lanes (name, file): one promise per lane, in the order given, so a caller can
 * work on the first lanes while a later one is still read. A lane's promise rejects with the
 * first error in file order (InputError for bad input).
 */
export function startReading(files: ReadonlyArray<readonly [string, string]>, context: NormalizeContext, options: LaneReadOptions = {}): Array<Promise<Lane>> {
  const reads = existsSync(fileURLToPath(WORKER_FILE)) ? new SegmentReaders(context, options).read(files) : readInThisThread(files, context, options);
  for (const reading of reads) reading.catch(() => undefined); // Reported when awaited, in order (see inOrder).
  return reads;
}

/** Wait for all; the first failure in the given order is the one thrown. */
export async function inOrder(reads: ReadonlyArray<Promise<Lane>>): Promise<Lane[]> {
  const settled = await Promise.allSettled(reads);
  return settled.map((lane) => {
    if (lane.status === "rejected") throw lane.reason;
    return lane.value;
  });
}

function readInThisThread(files: ReadonlyArray<readonly [string, string]>, context: NormalizeContext, options: ReadOptions): Array<Promise<Lane>> {
  let previous: Promise<unknown> = Promise.resolve();
  return files.map(([name, file]) => {
    const reading = previous.then(() => readLane(name, file, context, options));
    previous = reading.catch(() => undefined);
    return reading;
  });
}

/** The two workers and the queue of segments they take from. */
class SegmentReaders {
  private readonly queue: Job[] = [];
  private readonly lanes: LaneState[] = [];
  private readonly idle: ReaderThread[] = [];
  private readonly threads: ReaderThread[] = [];
  private planning = true;

  constructor(
    private readonly context: NormalizeContext,
    private readonly options: LaneReadOptions,
  ) {}

  read(files: ReadonlyArray<readonly [string, string]>): Array<Promise<Lane>> {
    const promises = files.map(
      ([name, file]) =>
        new Promise<Lane>((resolve, reject) => {
          this.lanes.push({ name, file, parts: [], open: undefined, resolve, reject, failed: false });
        }),
    );
    for (let i = 0; i < WORKERS; i++) {
      const reader = new ReaderThread(this.context, this.options, (job, result) => this.settled(reader, job, result));
      this.threads.push(reader);
      this.idle.push(reader);
    }
    void this.plan();
    return promises;
  }

  /** Plan the files one by one; their segments are queued as soon as a file is planned. */
  private async plan(): Promise<void> {
    for (const lane of this.lanes) {
      let segments: Segment[];
      try {
        segments = await planSegments(lane.file, this.options.segmentBytes ?? SEGMENT_BYTES);
      } catch (error) {
        lane.open = 0;
        lane.parts = [nothingRead(error)];
        this.finish(lane);
        continue;
      }
      lane.open = segments.length;
      lane.parts = segments.map(() => undefined);
      segments.forEach((segment, index) => this.queue.push({ lane, index, task: { file: lane.file, segment } }));
      this.dispatch();
    }
    this.planning = false;
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0) {
      const job = this.nextJob();
      if (!job) break;
      (this.idle.pop() as ReaderThread).start(job);
    }
    if (!this.planning && this.queue.length === 0 && this.idle.length === this.threads.length) {
      for (const thread of this.threads) thread.stop();
    }
  }

  /** The next segment of a lane that has not failed (a failed lane's later segments are skipped). */
  private nextJob(): Job | undefined {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      if (!job.lane.failed) return job;
      this.record(job, nothingRead());
    }
    return undefined;
  }

  private settled(thread: ReaderThread, job: Job, result: SegmentResult): void {
    this.record(job, result);
    this.idle.push(thread);
    this.dispatch();
  }

  private record(job: Job, result: SegmentResult): void {
    const lane = job.lane;
    lane.parts[job.index] = result;
    if (result.error !== undefined) lane.failed = true;
    lane.open = (lane.open as number) - 1;
    if (lane.open === 0) this.finish(lane);
  }

  /** All segments of a lane are in: the lane in capture order, or its first error in file order. */
  private finish(lane: LaneState): void {
    const parts = lane.parts as SegmentResult[];
    const { resolve, reject } = lane;
    // The lane is the caller's now: nothing here may keep it (a worker's handle keeps this object until the worker has exited).
    lane.parts = [];
    lane.resolve = lane.reject = () => undefined;
    const failure = parts.find((part) => part.error !== undefined);
    if (failure) {
      reject(failure.error);
      return;
    }
    const exchanges = parts.flatMap((part) => part.exchanges);
    resolve({
      name: lane.name,
      file: lane.file,
      exchanges: inCaptureOrder(exchanges),
      warnings: parts.flatMap((part) => part.warnings),
      bytes: parts.reduce((sum, part) => sum + part.bytes, 0),
    });
  }
}

/**
 * Read `job`'s segment in this thread into `result`; progress and warnings are passed on only
 * past what `reported` already holds (a segment read again after its worker failed).
 */
async function readHere(job: Job, context: NormalizeContext, options: ReadOptions, reported: SegmentResult = nothingRead()): Promise<SegmentResult> {
  const result = nothingRead();
  try {
    const reading = readExchanges(job.task.file, context, {
      segment: job.task.segment,
      onBytes: (n) => {
        const fresh = Math.max(0, result.bytes + n - Math.max(result.bytes, reported.bytes));
        result.bytes += n;
        if (fresh > 0) options.onBytes?.(fresh);
      },
      onWarning: (message) => {
        result.warnings.push(message);
        if (result.warnings.length > reported.warnings.length) options.onWarning?.(message);
      },
    });
    for await (const exchange of reading) result.exchanges.push(exchange);
    return result;
  } catch (error) {
    return { ...result, error };
  }
}

/** One worker thread and the segment it reads; replaced by a fresh one if it runs out of memory. */
class ReaderThread {
  private worker: Worker | null = null;
  /** The worker's path table, as far as it has sent it, and its ids in ours. */
  private theirPaths: string[] = [];
  private memo = new Int32Array(0);
  private job: Job | null = null;
  private result = nothingRead();

  constructor(
    private readonly context: NormalizeContext,
    private readonly options: ReadOptions,
    private readonly onSettled: (job: Job, result: SegmentResult) => void,
  ) {}

  start(job: Job): void {
    this.job = job;
    this.result = nothingRead();
    this.thread().postMessage(job.task);
  }

  stop(): void {
    void this.worker?.terminate();
    this.worker = null;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_FILE, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: WORKER_OLD_MB } });
    this.theirPaths = [];
    this.memo = new Int32Array(0);
    worker.on("message", (message: LaneMessage) => this.receive(message));
    worker.on("error", (error: NodeJS.ErrnoException) => void this.failed(worker, error));
    worker.on("exit", (code) => {
      if (this.worker === worker && this.job) this.settle({ ...this.result, error: new Error(`lane reader stopped (exit ${code})`) });
    });
    this.worker = worker;
    return worker;
  }

  private receive(message: LaneMessage): void {
    const result = this.result;
    if (message.type === "bytes") {
      result.bytes += message.bytes;
      this.options.onBytes?.(message.bytes);
    } else if (message.type === "warning") {
      result.warnings.push(message.message);
      this.options.onWarning?.(message.message);
    } else if (message.type === "exchanges") {
      this.adopt(message.exchanges, message.paths, result.exchanges);
    } else if (message.type === "done") {
      this.settle(result);
    } else {
      this.settle({ ...result, error: message.input ? new InputError(message.message) : new Error(message.message) });
    }
  }

  /** Renumber a batch's paths into our table and pool its strings and prompt elements. */
  private adopt(exchanges: Exchange[], paths: string[], into: Exchange[]): void {
    for (const path of paths) this.theirPaths.push(path);
    if (this.memo.length < this.theirPaths.length) {
      const grown = new Int32Array(this.theirPaths.length).fill(-1);
      grown.set(this.memo);
      this.memo = grown;
    }
    const renumbered = new Set<JsonLeaves>();
    const renumber = (leaves: JsonLeaves) => {
      if (renumbered.has(leaves)) return; // one clone, seen again: its ids are ours already
      renumbered.add(leaves);
      remapLeaves(leaves, this.theirPaths, this.context.paths, this.memo);
    };
    const adopted = new Map<PromptElement, PromptElement>();
    for (const exchange of exchanges) {
      if (exchange.json) renumber(exchange.json);
      if (exchange.prompt) shareElements(exchange.prompt, this.context.shared, adopted, renumber);
      into.push(exchange);
    }
  }

  private settle(result: SegmentResult): void {
    const job = this.job;
    if (!job) return;
    this.job = null;
    this.onSettled(job, result);
  }

  /**
   * A worker that ran out of memory (a record of tens of MB): its segment is read again in this
   * thread, without the cap, and a fresh worker takes the next one. Progress and warnings it
   * already reported are not repeated.
   */
  private async failed(worker: Worker, error: NodeJS.ErrnoException): Promise<void> {
    if (this.worker !== worker) return;
    this.worker = null;
    void worker.terminate();
    const job = this.job;
    if (!job) return;
    if (error.code !== "ERR_WORKER_OUT_OF_MEMORY") {
      this.settle({ ...this.result, error });
      return;
    }
    this.settle(await readHere(job, this.context, this.options, this.result));
  }
}
