/**
 * Reads one lane's capture in a worker thread, so two lanes are read at the same time on two
 * cores (reading and JSON.parse dominate the run time). The worker runs the same load and
 * normalize stages and sends the exchanges back in batches, each with the JSON paths its path
 * table gained since the last batch; the main thread renumbers the paths into its own table
 * (pipeline.ts).
 *
 * Why batches: a batch sent is a batch the worker no longer holds, so the lane exists once (in
 * the main thread) instead of twice while it is handed over, and the worker's heap stays small.
 */
import { parentPort, workerData } from "node:worker_threads";
import { InputError } from "./errors.js";
import type { Exchange } from "./exchange.js";
import { createContext } from "./normalize.js";
import { readExchanges } from "./read-lane.js";

export interface LaneRequest {
  name: string;
  file: string;
}

export type LaneMessage =
  | { type: "bytes"; bytes: number }
  | { type: "warning"; message: string }
  /** Exchanges in file order; `paths`: the worker's path table entries added since the last batch. */
  | { type: "exchanges"; exchanges: Exchange[]; paths: string[] }
  | { type: "done"; bytes: number; warnings: string[] }
  | { type: "error"; input: boolean; message: string };

/** A batch is sent once it holds this many JSON leaves (about 12 bytes each) or exchanges. */
const BATCH_LEAVES = 1 << 19;
const BATCH_EXCHANGES = 256;

async function run(port: NonNullable<typeof parentPort>, request: LaneRequest): Promise<void> {
  const post = (message: LaneMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  try {
    const context = createContext();
    const warnings: string[] = [];
    let bytes = 0;
    let pending = 0;
    let batch: Exchange[] = [];
    let leaves = 0;
    let pathsSent = 0;
    const flush = () => {
      const transfer: ArrayBuffer[] = [];
      for (const exchange of batch) {
        if (exchange.json) transfer.push(exchange.json.pathIds.buffer as ArrayBuffer, exchange.json.hashes.buffer as ArrayBuffer);
      }
      const paths = context.paths.paths.slice(pathsSent);
      pathsSent += paths.length;
      post({ type: "exchanges", exchanges: batch, paths }, transfer);
      batch = [];
      leaves = 0;
    };
    const reading = readExchanges(request.file, context, {
      onBytes: (n) => {
        bytes += n;
        pending += n;
        if (pending >= 4 << 20) {
          post({ type: "bytes", bytes: pending });
          pending = 0;
        }
      },
      onWarning: (message) => {
        warnings.push(message);
        post({ type: "warning", message });
      },
    });
    for await (const exchange of reading) {
      batch.push(exchange);
      leaves += exchange.json?.pathIds.length ?? 0;
      if (leaves >= BATCH_LEAVES || batch.length >= BATCH_EXCHANGES) flush();
    }
    flush();
    if (pending) post({ type: "bytes", bytes: pending });
    post({ type: "done", bytes, warnings });
  } catch (error) {
    post({ type: "error", input: error instanceof InputError, message: error instanceof Error ? error.message : String(error) });
  }
}

if (parentPort) void run(parentPort, workerData as LaneRequest);
