/**
 * Reads one lane's capture in a worker thread, so the two lanes are read at the same time on two
 * cores (reading and JSON.parse dominate the run time). The worker runs the same load and
 * normalize stages and sends back the exchanges, its path table and any warnings; the main thread
 * renumbers the JSON paths into its own table (pipeline.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { InputError } from "./errors.js";
import type { Lane } from "./exchange.js";
import { createContext } from "./normalize.js";
import { readLane } from "./read-lane.js";

export interface LaneRequest {
  name: string;
  file: string;
}

export type LaneMessage =
  | { type: "bytes"; bytes: number }
  | { type: "warning"; message: string }
  | { type: "done"; lane: Lane; paths: string[] }
  | { type: "error"; input: boolean; message: string };

async function run(port: NonNullable<typeof parentPort>, request: LaneRequest): Promise<void> {
  const post = (message: LaneMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  try {
    const context = createContext();
    let pending = 0;
    const lane = await readLane(request.name, request.file, context, {
      onBytes: (bytes) => {
        pending += bytes;
        if (pending >= 4 << 20) {
          post({ type: "bytes", bytes: pending });
          pending = 0;
        }
      },
      onWarning: (message) => post({ type: "warning", message }),
    });
    if (pending) post({ type: "bytes", bytes: pending });
    const transfer: ArrayBuffer[] = [];
    for (const exchange of lane.exchanges) {
      if (exchange.json) transfer.push(exchange.json.pathIds.buffer as ArrayBuffer, exchange.json.hashes.buffer as ArrayBuffer);
    }
    post({ type: "done", lane, paths: context.paths.paths }, transfer);
  } catch (error) {
    post({ type: "error", input: error instanceof InputError, message: error instanceof Error ? error.message : String(error) });
  }
}

if (parentPort) void run(parentPort, workerData as LaneRequest);
