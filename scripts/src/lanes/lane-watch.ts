/**
 * What a lane is doing while its client runs, and why it failed when it did — for the local runner and the Compose
 * demo alike. A lane's client can wait minutes on an API that never answers; without this the user sees nothing
 * until it gives up, and the real cause (a DNS failure, a refused connection) sits in a proxy log they never open.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export type LaneName = "direct" | "headroom";

/** Each lane's client service, the proxies its traffic passes (client side first), and its capture files. */
export const LANES: Record<LaneName, { client: string; proxies: string[]; captures: string[] }> = {
  direct: { client: "claude-direct", proxies: ["mitm-direct"], captures: ["direct.jsonl"] },
  headroom: {
    client: "claude-headroom",
    proxies: ["mitm-headroom-client", "headroom-proxy", "mitm-headroom-upstream"],
    captures: ["headroom-client.jsonl", "headroom-upstream.jsonl"],
  },
};

interface CaptureLine {
  sequence?: number;
  method?: string;
  url?: string;
  response_status?: number | null;
  error?: { kind?: string; message?: string } | null;
}

/** A capture's records so far; none when it is missing or unreadable (a container's file, say). */
function readCapture(file: string): CaptureLine[] {
  let text: string;
  try {
    text = existsSync(file) ? readFileSync(file, "utf8") : "";
  } catch {
    return [];
  }
  const records: CaptureLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as CaptureLine);
    } catch {
      // a line being written, or cut short: not ours to judge here
    }
  }
  return records;
}

/** One line per error record of a capture, the last `count` of them: `#3 POST https://…: connect: Name or service not known`. */
export function captureErrors(file: string, count = 5): string[] {
  return readCapture(file)
    .filter((record) => record.error)
    .slice(-count)
    .map((record) => `#${record.sequence ?? "?"} ${record.method ?? "?"} ${record.url ?? "?"}: ${record.error?.kind ?? "error"}: ${record.error?.message ?? ""}`.trim());
}

/** Lines of a proxy's log that report a failure (mitmproxy, Headroom, the stand-in), the last `count` of them. */
const FAILURE = /error|fail|refused|unreachable|not known|timed? ?out|reset|errno|exception|traceback|denied|cannot|could not/i;

export function logErrors(text: string, count = 8): string[] {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "" && FAILURE.test(line))
    .slice(-count);
}

/**
 * The "last errors" block printed when a lane's client failed: for each proxy of the lane, its failing log lines and
 * its capture's error records. `logOf(service)` gives a proxy's log text (a file locally, `docker compose logs` in
 * Compose). Empty when nothing failed visibly.
 */
export function laneProxyErrors(lane: LaneName, capturesDir: string, logOf: (service: string) => string): string[] {
  const lines: string[] = [];
  for (const service of LANES[lane].proxies) {
    const found = logErrors(logOf(service));
    if (found.length) lines.push(`${service} (log):`, ...found.map((line) => `  ${line}`));
  }
  for (const name of LANES[lane].captures) {
    const found = captureErrors(path.join(capturesDir, name));
    if (found.length) lines.push(`${name} (error records):`, ...found.map((line) => `  ${line}`));
  }
  return lines;
}

/** What a lane's client is waiting for, from what its captures hold so far. */
export function waitingLine(lane: LaneName, capturesDir: string, elapsedMs: number, now = Date.now()): string {
  const client = LANES[lane].client;
  const seconds = Math.round(elapsedMs / 1000);
  const records = readCapture(path.join(capturesDir, LANES[lane].captures[0]!));
  if (records.length === 0) return `${client}: waiting for the API response (${seconds} s; no exchange recorded yet)…`;
  const errors = records.filter((record) => record.error).length;
  const last = capturedAt(path.join(capturesDir, LANES[lane].captures[0]!), now);
  const ago = last === null ? "" : `, the last ${last} s ago`;
  return `${client}: waiting for the API response (${seconds} s; ${records.length} exchanges recorded${errors ? `, ${errors} with an error` : ""}${ago})…`;
}

function capturedAt(file: string, now: number): number | null {
  try {
    const { mtimeMs } = statSync(file);
    return Math.max(0, Math.round((now - mtimeMs) / 1000));
  } catch {
    return null;
  }
}

/**
 * Say every `everyMs` what the lane is waiting for, until the returned stop function is called. The timer never keeps
 * the process alive on its own.
 */
export function watchLane(lane: LaneName, capturesDir: string, log: (line: string) => void, everyMs: number): () => void {
  const started = Date.now();
  const timer = setInterval(() => log(waitingLine(lane, capturesDir, Date.now() - started)), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
