/**
 * Reads segments of lane captures in a worker thread, so the lanes are read on two cores at once
 * (reading and JSON.parse dominate the run time; lane-readers.ts hands out the segments). The
 * worker runs the same load and normalize stages and sends the exchanges back in batches, each
 * with the JSON paths its path table gained since the last batch; the main thread renumbers the
 * paths into its own table.
 *
 * Why batches: a batch sent is a batch the worker no longer holds, so a lane exists once (in the
 * main thread) instead of twice while it is handed over, and the worker's heap stays small. A
 * batch carries each prompt element it mentions once (structured clones keep shared objects
 * shared); the element's leaves are copied, not transferred, since the worker's reuse caches
 * keep them.
 * Why one worker for many segments: its path table and reuse caches (json-leaves.ts) stay warm.
 */
import { parentPort } from "node:worker_threads";
import { InputError } from "./errors.js";
import type { Exchange, PromptElement } from "./exchange.js";
import type { Segment } from "./load.js";
import { createContext, type NormalizeContext } from "./normalize.js";
import { promptElements } from "./prompt.js";
import { readExchanges } from "./read-lane.js";

/** What the main thread sends: one segment of a capture to read (one at a time; the worker is ended by terminate()). */
export interface SegmentTask {
  file: string;
  segment: Segment;
}

/** What the worker sends, about the segment it is reading. */
export type LaneMessage =
  | { type: "bytes"; bytes: number }
  | { type: "warning"; message: string }
  /** Exchanges in file order; `paths`: the worker's path table entries added since the last batch. */
  | { type: "exchanges"; exchanges: Exchange[]; paths: string[] }
  | { type: "done" }
  | { type: "error"; input: boolean; message: string };

/** A batch is sent once it holds this many JSON leaves (about 12 bytes each; an element's counted once) or exchanges. */
const BATCH_LEAVES = 1 << 19;
const BATCH_EXCHANGES = 256;
/** Progress is reported every so many bytes. */
const BYTES_EVERY = 4 << 20;

/** The worker's state across segments: its path table, and how much of it the main thread has. */
interface WorkerState {
  context: NormalizeContext;
  pathsSent: number;
}

async function readSegment(port: NonNullable<typeof parentPort>, state: WorkerState, { file, segment }: SegmentTask): Promise<void> {
  const post = (message: LaneMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  let pending = 0;
  let batch: Exchange[] = [];
  let leaves = 0;
  /** Prompt elements the batch mentions: each is sent once however many requests repeat it. */
  let elements = new Set<PromptElement>();
  const flush = () => {
    const transfer: ArrayBuffer[] = [];
    for (const exchange of batch) {
      const json = exchange.json;
      if (json) transfer.push(json.pathIds.buffer as ArrayBuffer, json.hashes.buffer as ArrayBuffer, json.at.buffer as ArrayBuffer);
      if (exchange.prompt) transfer.push(exchange.prompt.starts.buffer as ArrayBuffer);
    }
    const paths = state.context.paths.paths.slice(state.pathsSent);
    state.pathsSent += paths.length;
    post({ type: "exchanges", exchanges: batch, paths }, transfer);
    batch = [];
    leaves = 0;
    elements = new Set();
  };
  try {
    const reading = readExchanges(file, state.context, {
      segment,
      onBytes: (n) => {
        pending += n;
        if (pending >= BYTES_EVERY) {
          post({ type: "bytes", bytes: pending });
          pending = 0;
        }
      },
      onWarning: (message) => post({ type: "warning", message }),
    });
    for await (const exchange of reading) {
      batch.push(exchange);
      leaves += exchange.json?.pathIds.length ?? 0;
      for (const element of exchange.prompt ? promptElements(exchange.prompt) : []) {
        if (elements.has(element)) continue;
        elements.add(element);
        leaves += element.leaves.pathIds.length;
      }
      if (leaves >= BATCH_LEAVES || batch.length >= BATCH_EXCHANGES) flush();
    }
    flush();
    if (pending) post({ type: "bytes", bytes: pending });
    post({ type: "done" });
  } catch (error) {
    post({ type: "error", input: error instanceof InputError, message: error instanceof Error ? error.message : String(error) });
  }
}

if (parentPort) {
  const port = parentPort;
  const state: WorkerState = { context: createContext(), pathsSent: 0 };
  port.on("message", (task: SegmentTask) => void readSegment(port, state, task));
}
