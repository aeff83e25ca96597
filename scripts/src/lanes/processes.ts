/**
 * Start the lanes' processes, know when each is ready, and make sure every one of them is stopped.
 *
 * Each process runs in its own process group (so a wrapper such as tsx and its child die together), its output
 * goes to a log file, and readiness is read from what the process prints — never a fixed sleep.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import net from "node:net";
import path from "node:path";
import { execa, type Options as ExecaOptions, type ResultPromise } from "execa";

/**
 * How to tell that a process is ready: a line it prints matching `pattern` (the match is handed back), or, for
 * programs that print nothing useful, a URL answering 2xx (polled; the match is then the URL).
 */
export type Readiness = { pattern: RegExp; timeoutMs: number } | { httpGet: string; timeoutMs: number };

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  readiness: Readiness;
}

export interface Started {
  name: string;
  pid: number;
  match: RegExpMatchArray;
  logFile: string;
}

export class ProcessGroup {
  private readonly running = new Map<string, ResultPromise>();
  private stopping = false;

  constructor(private readonly logDir: string) {}

  /** Start a long-running service and resolve once it prints its readiness line. */
  async start(options: StartOptions): Promise<Started> {
    if (this.stopping) throw new Error(`not starting ${options.name}: shutting down`);
    const logFile = path.join(this.logDir, `${options.name}.log`);
    const log = createWriteStream(logFile, { flags: "a", mode: 0o600 });
    const child = spawnInOwnGroup(options, { buffer: false, stripFinalNewline: false });
    this.running.set(options.name, child);
    const pid = child.pid;
    if (pid === undefined) {
      log.end();
      throw new Error(`${options.name}: could not start ${options.command} (is it installed?) — see ${logFile}`);
    }
    const match = await waitForLine(child, log, options, logFile);
    return { name: options.name, pid, match, logFile };
  }

  /** Stop every process still running: SIGTERM to its group, SIGKILL after a grace period. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const stops = [...this.running.entries()].reverse().map(async ([name, child]) => {
      await stopGroup(child, graceMs);
      this.running.delete(name);
    });
    await Promise.all(stops);
  }

  /**
   * Run a command to completion in its own process group (stopped with the rest on Ctrl-C or failure), its
   * output both logged and returned.
   *
   * The timeout ends the whole group — Claude Code and the tool subprocesses it started — not just the leader. When
   * the leader exits, whatever it left running in its group is ended too: it would otherwise hold the output pipes
   * open (and the run with them) and outlive the runner.
   */
  async run(options: RunOptions): Promise<Finished> {
    if (this.stopping) throw new Error(`not starting ${options.name}: shutting down`);
    const child = spawnInOwnGroup(options, {});
    this.running.set(options.name, child);
    const pid = child.pid;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) void endGroup(pid, child, 2000);
    }, options.timeoutMs);
    child.once("exit", () => {
      if (pid !== undefined) signalGroup(pid, "SIGKILL");
    });
    const result = await child;
    clearTimeout(timer);
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
    this.running.delete(options.name);
    const logFile = path.join(this.logDir, `${options.name}.log`);
    const log = createWriteStream(logFile, { flags: "a", mode: 0o600 });
    log.end(`--- stdout\n${String(result.stdout)}\n--- stderr\n${String(result.stderr)}\n--- exit ${result.exitCode}\n`);
    return {
      exitCode: result.exitCode,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
      timedOut,
    };
  }

  /** True once stopAll() began: nothing new starts after that. */
  get isStopping(): boolean {
    return this.stopping;
  }
}

/** A child in its own process group, with exactly the environment given. */
function spawnInOwnGroup(
  options: { command: string; args: string[]; env: Record<string, string>; cwd?: string },
  extra: ExecaOptions,
): ResultPromise {
  return execa(options.command, options.args, {
    ...extra,
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    detached: true,
    reject: false,
    stdin: "ignore",
  });
}

function waitForLine(
  child: ResultPromise,
  log: WriteStream,
  options: StartOptions,
  logFile: string,
): Promise<RegExpMatchArray> {
  const pattern = "pattern" in options.readiness ? options.readiness.pattern : null;
  return new Promise((resolve, reject) => {
    let settled = false;
    let pending = "";
    const finish = (error: Error | null, match?: RegExpMatchArray) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(match!);
    };
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      if (settled || !pattern) return;
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) return finish(null, match);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const timer = setTimeout(
      () => finish(new Error(`${options.name} was not ready within ${options.readiness.timeoutMs} ms — see ${logFile}`)),
      options.readiness.timeoutMs,
    );
    if ("httpGet" in options.readiness) {
      const url = options.readiness.httpGet;
      const poll = async () => {
        while (!settled) {
          const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
          if (ok) return finish(null, Object.assign([url], { index: 0, input: url }) as RegExpMatchArray);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      };
      void poll();
    }
    void child.then((result) => {
      log.end();
      finish(new Error(`${options.name} exited (code ${result.exitCode ?? result.signal}) before it was ready — see ${logFile}`));
    });
  });
}

/** Send a signal to a whole process group; a group that is already gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

async function stopGroup(child: ResultPromise, graceMs: number): Promise<void> {
  if (child.pid === undefined) return;
  await endGroup(child.pid, child, graceMs);
}

/**
 * SIGTERM to the group, SIGKILL after a grace period if the leader is still there, and a final SIGKILL to the group
 * in every case: children that outlived their leader (same group) get the same end, even when the leader had
 * already exited before the stop began.
 */
async function endGroup(pid: number, child: ResultPromise, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = child.then(() => true, () => true);
    signalGroup(pid, "SIGTERM");
    const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref());
    if (!(await Promise.race([exited, timedOut]))) {
      signalGroup(pid, "SIGKILL");
      await exited;
    }
  }
  signalGroup(pid, "SIGKILL");
}

export interface RunOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
}

export interface Finished {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A free TCP port on 127.0.0.1, for programs that cannot be told to pick one (port 0) and report it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}
