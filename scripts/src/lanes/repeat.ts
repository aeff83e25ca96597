/**
 * `--repeat N`: one run of an LLM agent proves little, so run the whole set of lanes N times and
 * merge the reports with `headroom-analyze aggregate`.
 *
 * Repetition i writes its captures and reports to <captures>/runs/<i>/. Each repetition runs every
 * lane once, direct first, so over the repetitions the arms alternate (direct, headroom, direct,
 * headroom, …) and drift over time (API load, caches warming) spreads evenly over both.
 * Used by the local runner and the Compose harness alike; each supplies how to run one repetition.
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { ANALYZER_CLI } from "./repo.js";

export interface RepeatOptions {
  repeat: number;
  capturesDir: string;
  /** Keep an earlier runs/ folder (new repetitions overwrite theirs) instead of moving it to previous/<time>/. */
  append: boolean;
  /** What the progress lines name (e.g. the scenario). */
  label?: string;
  /** Run one repetition into `dir`; true when every lane ran and its reports were written. */
  runOnce: (dir: string, index: number) => Promise<boolean>;
  log: (line: string) => void;
  /** Where the progress lines go on a TTY (stderr by default); elsewhere they go to `log`. */
  progress?: NodeJS.WriteStream;
}

export interface RepeatResult {
  ok: boolean;
  runsDir: string;
  failed: number[];
  /** The aggregate over the repetitions that succeeded. */
  aggregate?: AggregateFiles;
}

/** The folder repetition `index` (1-based) writes to. */
export function repetitionDir(capturesDir: string, index: number): string {
  return path.join(capturesDir, "runs", String(index));
}

/** Move an earlier runs/ folder aside, never deleting it: captures/previous/<UTC time>/runs. */
function archiveRuns(capturesDir: string, log: (line: string) => void): void {
  const runs = path.join(capturesDir, "runs");
  if (!existsSync(runs)) return;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const target = path.join(capturesDir, "previous", stamp);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  renameSync(runs, path.join(target, "runs"));
  log(`earlier repetitions moved to ${path.join(target, "runs")}`);
}

function seconds(since: bigint): string {
  return `${Math.round(Number(process.hrtime.bigint() - since) / 1e9)} s`;
}

export async function runRepeated(options: RepeatOptions): Promise<RepeatResult> {
  mkdirSync(options.capturesDir, { recursive: true, mode: 0o700 });
  if (!options.append) archiveRuns(options.capturesDir, options.log);
  const progress = options.progress ?? process.stderr;
  const tty = Boolean(progress.isTTY);
  const label = options.label ? ` ${options.label}` : "";
  const failed: number[] = [];
  for (let index = 1; index <= options.repeat; index += 1) {
    const started = process.hrtime.bigint();
    const name = `run ${index}/${options.repeat}${label}`;
    if (tty) progress.write(`${name}: running\n`);
    const ok = await options.runOnce(repetitionDir(options.capturesDir, index), index);
    if (!ok) failed.push(index);
    const line = `${name}: ${ok ? "done" : "FAILED"} in ${seconds(started)} (${index - failed.length} ok, ${failed.length} failed)`;
    // The lanes log as they go, so the line is not redrawn in place: one line as a run starts, one as it ends.
    if (tty) progress.write(`${line}\n`);
    else options.log(line);
  }
  const result: RepeatResult = { ok: failed.length === 0, runsDir: path.join(options.capturesDir, "runs"), failed };
  if (failed.length < options.repeat) result.aggregate = await aggregateRuns(options.capturesDir);
  return result;
}

/** What the aggregate over runs/ writes beside it. */
export interface AggregateFiles {
  markdown: string;
  json: string;
  html: string;
}

/** `headroom-analyze aggregate` over runs/: aggregate.md, aggregate.json and aggregate.html beside it. */
export async function aggregateRuns(capturesDir: string, extra: string[] = []): Promise<AggregateFiles> {
  const markdown = path.join(capturesDir, "aggregate.md");
  const json = path.join(capturesDir, "aggregate.json");
  const html = path.join(capturesDir, "aggregate.html");
  const run = await execa(process.execPath, [ANALYZER_CLI, "aggregate", path.join(capturesDir, "runs"), "-o", markdown, "--json-output", json, "--html-output", html, "--quiet", ...extra], {
    reject: false,
    stdin: "ignore",
  });
  if (run.exitCode !== 0) throw new Error(`headroom-analyze aggregate failed (exit ${run.exitCode}): ${String(run.stderr).trim()}`);
  return { markdown, json, html };
}

/** The aggregate's verdict paragraph, for printing to the terminal. */
export function aggregateVerdict(markdownFile: string): string {
  return readFileSync(markdownFile, "utf8").split("\n").find((line) => line.startsWith("**Verdict")) ?? "";
}
