/**
 * network-diff in a worker thread with a small young generation; the main thread only draws the
 * progress bar, prints warnings and writes stdout. Not needed when node itself was started with a
 * small young generation, as the installed command does (mainThreadIsLean).
 *
 * Why: the analysis holds every lane's exchanges, which arrive from the lane readers as
 * structured clones. Nearly all of them survive, and V8 answers survivors by growing the young
 * generation to its default maximum (48 MB) — memory the run never gives back. A worker's young
 * generation can be capped (resourceLimits), the main thread's only by node's command line.
 */
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { InputError, OutputError, UsageError } from "./errors.js";
import { runNetworkDiff, type DiffArgs, type DiffIo } from "./network-diff-command.js";
import type { Progress } from "./progress.js";

/**
 * The analysis worker's young generation (MB; three semi-spaces' worth): its garbage is short-lived
 * (batches being adopted, diffs being built); a larger one only grows the peak.
 */
const YOUNG_MB = 6;
const WORKER_FILE = new URL(import.meta.url);

type ErrorKind = "input" | "usage" | "output" | "other";

/** What the worker tells the main thread. */
type FromWorker =
  | { type: "progress"; total: number; quiet: boolean }
  | { type: "advance"; bytes: number }
  | { type: "clear" }
  | { type: "progress-done" }
  | { type: "warning"; message: string }
  | { type: "stdout"; id: number; text: string }
  | { type: "finished"; exitCode: number }
  | { type: "failed"; kind: ErrorKind; message: string };

/** The main thread's answer once a stdout chunk is written (backpressure). */
interface Written {
  type: "written";
  id: number;
}

function kindOf(error: unknown): ErrorKind {
  if (error instanceof InputError) return "input";
  if (error instanceof UsageError) return "usage";
  if (error instanceof OutputError) return "output";
  return "other";
}

function errorOf(kind: ErrorKind, message: string): Error {
  if (kind === "input") return new InputError(message);
  if (kind === "usage") return new UsageError(message);
  if (kind === "output") return new OutputError(message);
  return new Error(message);
}

/** Whether the compiled worker is there (it is not when running from the TypeScript sources, in tests). */
export function canRunInWorker(): boolean {
  return WORKER_FILE.pathname.endsWith(".js");
}

/**
 * Whether node was started with a young generation as small as the worker's: the installed
 * command (bin/headroom-analyze.js) starts it with `--max-semi-space-size=1`. The analysis then
 * runs in this thread, and the worker's isolate and second copy of the modules are saved.
 */
export function mainThreadIsLean(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ""): boolean {
  const semiSpace = /--max-semi-space-size[= ](\d+)/.exec(`${execArgv.join(" ")} ${nodeOptions}`)?.[1];
  return semiSpace !== undefined && Number(semiSpace) * 3 <= YOUNG_MB;
}

/** Run network-diff in a worker; `io` is the main thread's. Resolves to the exit code; rejects as the command would. */
export function runNetworkDiffInWorker(args: DiffArgs, io: DiffIo): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(fileURLToPath(WORKER_FILE), { workerData: { args }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } });
    let progress: Progress | null = null;
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      progress?.done();
      action();
    };
    worker.on("message", (message: FromWorker) => {
      switch (message.type) {
        case "progress":
          progress = io.progress(message.total, message.quiet);
          break;
        case "advance":
          progress?.advance(message.bytes);
          break;
        case "clear":
          progress?.clear();
          break;
        case "progress-done":
          progress?.done();
          break;
        case "warning":
          io.warn(message.message);
          break;
        case "stdout":
          void io.stdout(message.text).then(() => worker.postMessage({ type: "written", id: message.id } satisfies Written));
          break;
        case "finished":
          settle(() => resolvePromise(message.exitCode));
          break;
        case "failed":
          settle(() => reject(errorOf(message.kind, message.message)));
          break;
      }
    });
    worker.on("error", (error) => settle(() => reject(error)));
    worker.on("exit", (code) => settle(() => reject(new Error(`network-diff stopped (exit ${code})`))));
  });
}

/** The worker's side: the command with an io that posts to the main thread. */
async function serve(port: NonNullable<typeof parentPort>, args: DiffArgs): Promise<void> {
  const post = (message: FromWorker) => port.postMessage(message);
  const pending = new Map<number, () => void>();
  let nextId = 0;
  port.on("message", (message: Written) => {
    pending.get(message.id)?.();
    pending.delete(message.id);
  });
  const io: DiffIo = {
    warn: (message) => post({ type: "warning", message }),
    stdout: (text) =>
      new Promise((done) => {
        const id = nextId++;
        pending.set(id, done);
        post({ type: "stdout", id, text });
      }),
    progress: (total, quiet) => {
      post({ type: "progress", total, quiet });
      return {
        advance: (bytes) => post({ type: "advance", bytes }),
        clear: () => post({ type: "clear" }),
        done: () => post({ type: "progress-done" }),
      };
    },
  };
  try {
    post({ type: "finished", exitCode: await runNetworkDiff(args, io) });
  } catch (error) {
    post({ type: "failed", kind: kindOf(error), message: error instanceof Error ? error.message : String(error) });
  }
  port.unref();
}

if (!isMainThread && parentPort && (workerData as { args?: DiffArgs } | null)?.args) {
  void serve(parentPort, (workerData as { args: DiffArgs }).args);
}
