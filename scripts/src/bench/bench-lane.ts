/**
 * `make bench-lane`: what a capture lane costs, measured against plain mitmdump in the same run.
 *
 * Two mitmdumps on loopback in front of one local upstream: one plain (no addon), one with
 * addons/mitm_capture.py recording every exchange. Many short rounds alternate between them, so that
 * whatever else the machine is doing weighs on both alike, and each figure compares measurements taken
 * moments apart. The rounds are spread over several fresh pairs of processes: one process runs a few
 * percent faster or slower than another of the same program for its whole life (hash seed, memory
 * layout), which no number of rounds with the same pair averages out. Two figures, each with its target:
 *   - throughput: 100 KB JSON POSTs, 8 at a time; the median over rounds of lane / plain (>= 0.9). Each
 *     block starts once the lane has written every record so far: the writer, catching up on the last
 *     records of a lane block, would otherwise run during the plain block that follows;
 *   - latency: 1 MB POSTs one at a time, measured once the lane has written every record of the
 *     throughput rounds; lane p50 - plain p50 (<= 1 ms).
 * The upstream runs in a worker thread so that the client's event loop only measures.
 */
import { once } from "node:events";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { execa, type ResultPromise } from "execa";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { CAPTURE_ADDON as ADDON, VENV_MITMDUMP as MITMDUMP } from "../lanes/repo.js";

const argv = yargs(hideBin(process.argv))
  .scriptName("bench-lane")
  .usage("$0: a capture lane against plain mitmdump, same run, loopback only")
  .option("pairs", { type: "number", default: 6, describe: "Fresh pairs of mitmdumps (plain and lane) the rounds are spread over" })
  .option("rounds", { type: "number", default: 4, describe: "Alternating rounds per pair, for each figure" })
  .option("throughput-requests", { type: "number", default: 150, describe: "100 KB POSTs per round" })
  .option("latency-requests", { type: "number", default: 20, describe: "1 MB POSTs per round" })
  .strict()
  .parseSync();

/** A Messages-shaped JSON body of about `bytes` bytes. */
function messagesBody(bytes: number): Buffer {
  const messages: Array<{ role: string; content: string }> = [];
  let size = 0;
  for (let i = 0; size < bytes - 200; i++) {
    const content = `turn ${i}: ${"lorem ipsum dolor sit amet ".repeat(8)}`;
    messages.push({ role: i % 2 === 0 ? "user" : "assistant", content });
    size += content.length + 40;
  }
  return Buffer.from(JSON.stringify({ model: "claude-bench", max_tokens: 16, messages }));
}

const UPSTREAM_CODE = `
const http = require("node:http");
const { parentPort } = require("node:worker_threads");
const answer = Buffer.from(JSON.stringify({ id: "msg_bench", type: "message", content: [{ type: "text", text: "ok" }],
  usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } }));
const server = http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": answer.length });
    res.end(answer);
  });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.on("message", () => server.close(() => process.exit(0)));
`;

async function startUpstream(): Promise<{ port: number; stop: () => Promise<void> }> {
  const worker = new Worker(UPSTREAM_CODE, { eval: true });
  const [port] = (await once(worker, "message")) as [number];
  return {
    port,
    stop: async () => {
      worker.postMessage("stop");
      await once(worker, "exit");
    },
  };
}

interface Proxy {
  name: string;
  port: number;
  process: ResultPromise;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** The mitmdumps running now, for an interrupted run to stop. */
const running = new Set<ResultPromise>();

async function startProxy(name: string, work: string, withAddon: boolean): Promise<Proxy> {
  const port = await freePort();
  const args = ["--listen-host", "127.0.0.1", "-p", String(port), "--set", `confdir=${path.join(work, `conf-${name}`)}`, "--set", "flow_detail=0"];
  if (withAddon) {
    args.push("-s", ADDON, "--set", "capture_lane=bench", "--set", `capture_output=${capturePath(work, name)}`);
    args.push("--set", "capture_include_hosts=127.0.0.1");
  }
  const child = execa(MITMDUMP, args, { reject: false, stdout: "pipe", stderr: "pipe", env: { PYTHONUNBUFFERED: "1" } });
  running.add(child);
  void child.finally(() => running.delete(child));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mitmdump (${name}) exited: ${(await child).stderr}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) throw new Error(`mitmdump (${name}) did not listen within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { name, port, process: child };
}

/** Whether something listens on the port (a bare TCP connect: no request the lane would record). */
async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** One POST through the proxy (absolute-form URL, as an HTTP proxy client sends it); resolves with its duration in ms. */
function post(agent: http.Agent, proxyPort: number, upstreamPort: number, body: Buffer): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: "127.0.0.1",
        port: proxyPort,
        method: "POST",
        path: `http://127.0.0.1:${upstreamPort}/v1/messages`,
        headers: { "content-type": "application/json", "content-length": body.length, "x-api-key": "bench-canary-not-a-key" },
      },
      (response) => {
        response.resume();
        response.on("end", () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${response.statusCode}`))));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function throughput(proxy: Proxy, upstreamPort: number, body: Buffer, requests: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next += 1;
        await post(agent, proxy.port, upstreamPort, body);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return requests / seconds;
}

async function latencies(proxy: Proxy, upstreamPort: number, body: Buffer, requests: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < requests; i++) times.push(await post(agent, proxy.port, upstreamPort, body));
  agent.destroy();
  return times;
}

/** CPU seconds (user + system) a process has used so far; Linux /proc, clock ticks of 1/100 s. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of a proxy and of its children (the lane's record writer). */
function proxyCpuSeconds(proxy: Proxy): { own: number; children: number } {
  const pid = proxy.process.pid ?? 0;
  let children = 0;
  try {
    // Children are listed per thread: the writer is started by the addon's sender thread.
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) {
        children += cpuSeconds(Number(child));
      }
    }
  } catch {
    // the proxy is gone: no children counted
  }
  return { own: cpuSeconds(pid), children };
}

/**
 * The number of records in a capture that is still growing: each call reads only what was appended since the last
 * one (non-empty lines, a last line without its newline included). Counted as bytes: a capture of many rounds is
 * larger than the longest string V8 makes.
 */
function recordCounter(capture: string): () => number {
  const chunk = Buffer.alloc(1 << 20);
  let offset = 0;
  let records = 0;
  let lineOpen = false;
  return () => {
    if (!existsSync(capture)) return 0;
    const fd = openSync(capture, "r");
    try {
      for (let read = readSync(fd, chunk, 0, chunk.length, offset); read > 0; read = readSync(fd, chunk, 0, chunk.length, offset)) {
        const bytes = chunk.subarray(0, read);
        let start = 0;
        for (let newline = bytes.indexOf(0x0a); newline !== -1; newline = bytes.indexOf(0x0a, start)) {
          if (newline > start || lineOpen) records += 1;
          lineOpen = false;
          start = newline + 1;
        }
        lineOpen ||= start < read;
        offset += read;
      }
    } finally {
      closeSync(fd);
    }
    return records + (lineOpen ? 1 : 0);
  };
}

/** Waits until the capture holds `count` records (the lane's writer may still be catching up); at most 60 s. */
async function recordsWritten(countRecords: () => number, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (countRecords() >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the lane had not written ${count} records within 60 s of the throughput rounds`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number): number => sorted[index] ?? Number.NaN;
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/** Plain first in even rounds, the lane first in odd ones. */
function alternating(round: number, plain: Proxy, lane: Proxy): Proxy[] {
  return round % 2 === 0 ? [plain, lane] : [lane, plain];
}

// Requests each proxy serves before the measured rounds.
const WARM_UP = { throughput: 100, latency: 5 };

/** What one pair of mitmdumps measured. */
interface PairFigures {
  rates: { plain: number[]; lane: number[] };
  times: { plain: number[]; lane: number[] };
  cpuMs: { plain: number; lane: number; writer: number };
  recorded: number;
  expected: number;
}

/** A fresh plain mitmdump and a fresh lane: warmed up, then the alternating rounds of both figures. */
async function measurePair(pair: number, work: string, upstreamPort: number, small: Buffer, large: Buffer): Promise<PairFigures> {
  const proxies: Proxy[] = [];
  try {
    const plain = await startProxy(`plain-${pair}`, work, false);
    proxies.push(plain);
    const lane = await startProxy(`lane-${pair}`, work, true);
    proxies.push(lane);
    for (const proxy of proxies) {
      await throughput(proxy, upstreamPort, small, WARM_UP.throughput, 8);
      await latencies(proxy, upstreamPort, large, WARM_UP.latency);
    }
    const rates = new Map<Proxy, number[]>([[plain, []], [lane, []]]);
    const times = new Map<Proxy, number[]>([[plain, []], [lane, []]]);
    const of = (figures: Map<Proxy, number[]>, proxy: Proxy): number[] => figures.get(proxy) ?? [];
    const cpuBefore = new Map(proxies.map((proxy) => [proxy, proxyCpuSeconds(proxy)]));
    const countRecords = recordCounter(capturePath(work, lane.name));
    const warmUp = WARM_UP.throughput + WARM_UP.latency;
    let handed = warmUp;
    for (let round = 0; round < argv.rounds; round++) {
      for (const proxy of alternating(round, plain, lane)) {
        await recordsWritten(countRecords, handed);
        of(rates, proxy).push(await throughput(proxy, upstreamPort, small, argv["throughput-requests"], 8));
        if (proxy === lane) handed += argv["throughput-requests"];
      }
      console.error(`pair ${pair}, throughput round ${round + 1}/${argv.rounds}: plain ${of(rates, plain).at(-1)?.toFixed(0)}, lane ${of(rates, lane).at(-1)?.toFixed(0)} req/s`);
    }
    // The latency figure is the lane's cost per request, not the tail of the throughput rounds' records.
    await recordsWritten(countRecords, handed);
    for (let round = 0; round < argv.rounds; round++) {
      for (const proxy of alternating(round, plain, lane)) of(times, proxy).push(...(await latencies(proxy, upstreamPort, large, argv["latency-requests"])));
    }
    const cpuAfter = new Map(proxies.map((proxy) => [proxy, proxyCpuSeconds(proxy)]));
    const cpuMs = (proxy: Proxy, part: "own" | "children"): number => ((cpuAfter.get(proxy)?.[part] ?? 0) - (cpuBefore.get(proxy)?.[part] ?? 0)) * 1000;
    for (const proxy of proxies) proxy.process.kill("SIGINT");
    await Promise.all(proxies.map((proxy) => proxy.process));
    return {
      rates: { plain: of(rates, plain), lane: of(rates, lane) },
      times: { plain: of(times, plain), lane: of(times, lane) },
      cpuMs: { plain: cpuMs(plain, "own"), lane: cpuMs(lane, "own"), writer: cpuMs(lane, "children") },
      recorded: countRecords(),
      expected: warmUp + argv.rounds * (argv["throughput-requests"] + argv["latency-requests"]),
    };
  } finally {
    for (const proxy of proxies) if (proxy.process.exitCode === null) proxy.process.kill("SIGKILL");
    await Promise.allSettled(proxies.map((proxy) => proxy.process));
  }
}

function capturePath(work: string, laneName: string): string {
  return path.join(work, `${laneName}.jsonl`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), "bench-lane-"));
  const upstream = await startUpstream();
  // Ctrl-C or a kill: stop the mitmdumps and remove the work folder before leaving.
  const interrupted = (signal: NodeJS.Signals) => {
    for (const child of running) child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const small = messagesBody(100 * 1024);
    const large = messagesBody(1024 * 1024);
    const pairs: PairFigures[] = [];
    for (let pair = 1; pair <= argv.pairs; pair++) pairs.push(await measurePair(pair, work, upstream.port, small, large));
    const all = (pick: (figures: PairFigures) => number[]): number[] => pairs.flatMap(pick);
    const sum = (pick: (figures: PairFigures) => number): number => pairs.reduce((total, figures) => total + pick(figures), 0);
    const pairRatios = pairs.map((figures) => figures.rates.lane.map((laneRate, round) => laneRate / (figures.rates.plain[round] ?? Number.NaN)));
    const ratios = pairRatios.flat();
    const ratio = median(ratios);
    const plainP50 = median(all((figures) => figures.times.plain));
    const laneP50 = median(all((figures) => figures.times.lane));
    const added = laneP50 - plainP50;
    const measured = argv.pairs * argv.rounds * (argv["throughput-requests"] + argv["latency-requests"]);
    const cpuPerRequest = (part: "plain" | "lane" | "writer"): string => (sum((figures) => figures.cpuMs[part]) / measured).toFixed(2);
    const recorded = sum((figures) => figures.recorded);
    const expected = sum((figures) => figures.expected);
    const rounds = ratios.length;
    const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
    console.log(
      [
        `Throughput, 100 KB JSON POSTs, 8 concurrent (median of ${rounds} rounds over ${argv.pairs} pairs of mitmdumps): plain ${median(all((figures) => figures.rates.plain)).toFixed(0)} req/s, lane ${median(all((figures) => figures.rates.lane)).toFixed(0)} req/s`,
        ...pairRatios.map((perRound, index) => `  lane / plain per round, pair ${index + 1}: ${perRound.map((r) => r.toFixed(2)).join(", ")}`),
        `Throughput ratio lane / plain (median over rounds): ${ratio.toFixed(2)} (target >= 0.9: ${verdict(ratio >= 0.9)})`,
        `Latency, 1 MB POSTs one at a time (${all((figures) => figures.times.plain).length} each): p50 plain ${plainP50.toFixed(2)} ms, lane ${laneP50.toFixed(2)} ms`,
        `Added p50: ${added.toFixed(2)} ms (target <= 1 ms: ${verdict(added <= 1)})`,
        `CPU per request (ms, both sizes): plain mitmdump ${cpuPerRequest("plain")}; lane mitmdump ${cpuPerRequest("lane")} + record writer ${cpuPerRequest("writer")}`,
        `Records written by the lanes: ${recorded} of ${expected}`,
      ].join("\n"),
    );
    if (recorded !== expected) process.exitCode = 1;
  } finally {
    await upstream.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench-lane: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
