/**
 * `npm run bench` — how fast and how lean `network-diff` is on Claude-Code-sized captures.
 *
 * Generates (or reuses) synthetic captures — direct, headroom and a baseline (a second direct
 * run) — at full and half size in <repo>/bench-data/, then runs the installed command
 * (bin/headroom-analyze.js through its shebang, as `npx headroom-analyze` does) with everything on
 * (--baseline, both reports) and a floor (read + JSON.parse of every line of the same three files,
 * nothing else) as child processes under GNU time, alternately, best of 5 for time, and prints
 * time, ratio to the floor, peak RSS and growth.
 * Targets: ratio <= 1.3, peak RSS <= 200 MB, doubling the input <= 2.2x the time.
 * Then once more at full size with `--html-output`: the HTML report's size (target <= 25 MB, the
 * budget the README states), its time and peak RSS.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, type GenerateParams } from "./generate.js";

const here = dirname(fileURLToPath(import.meta.url));
const analyzer = resolve(here, "..");
const repo = resolve(analyzer, "..");
const dataDir = join(repo, "bench-data");
/** What users run (`npx headroom-analyze`): the installed command, started through its shebang as a shell would. */
const command = join(analyzer, "bin", "headroom-analyze.js");
const built = join(analyzer, "dist", "cli.js");
const floor = join(here, "floor.mjs");
const TIME = "/usr/bin/time";
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const GENERATOR_VERSION = 5;

const PARAMS: GenerateParams = { sessions: 40, turnsPerSession: 40, toolResultChars: 6200, seed: 20251126 };

interface Measurement {
  seconds: number;
  rssMb: number;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

/** Run `argv` (a program and its arguments) under GNU time; wall seconds and peak RSS (MB). */
function measure(argv: string[]): Measurement {
  const rssFile = join(dataDir, ".rss");
  const started = process.hrtime.bigint();
  const run = spawnSync(TIME, ["-f", "%M", "-o", rssFile, ...argv], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) fail(`${argv.join(" ")} exited ${run.status}: ${run.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  const rssKb = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop());
  return { seconds, rssMb: rssKb / 1024 };
}

function best(runs: Measurement[]): Measurement {
  return { seconds: Math.min(...runs.map((r) => r.seconds)), rssMb: Math.max(...runs.map((r) => r.rssMb)) };
}

/** Floor and network-diff alternately, so a busy moment on the machine hits both alike. */
function compareRuns(floorArgs: string[], diffArgs: string[]): { floor: Measurement; diff: Measurement } {
  const floorRuns: Measurement[] = [];
  const diffRuns: Measurement[] = [];
  for (let i = 0; i < RUNS; i++) {
    floorRuns.push(measure(floorArgs));
    diffRuns.push(measure(diffArgs));
  }
  return { floor: best(floorRuns), diff: best(diffRuns) };
}

type Files = [direct: string, headroom: string, baseline: string];

async function dataset(): Promise<{ full: Files; half: Files }> {
  mkdirSync(dataDir, { recursive: true });
  const files = {
    direct: join(dataDir, "direct.jsonl"),
    headroom: join(dataDir, "headroom.jsonl"),
    baseline: join(dataDir, "baseline.jsonl"),
    halfDirect: join(dataDir, "half-direct.jsonl"),
    halfHeadroom: join(dataDir, "half-headroom.jsonl"),
    halfBaseline: join(dataDir, "half-baseline.jsonl"),
  };
  const metaFile = join(dataDir, "params.json");
  const meta = JSON.stringify({ ...PARAMS, generator: GENERATOR_VERSION });
  const fresh = existsSync(metaFile) && readFileSync(metaFile, "utf8") === meta && Object.values(files).every((file) => existsSync(file));
  if (fresh) {
    process.stderr.write(`bench: reusing ${dataDir}\n`);
  } else {
    process.stderr.write(`bench: generating synthetic captures in ${dataDir} …\n`);
    await generate(PARAMS, files);
    writeFileSync(metaFile, meta);
  }
  return { full: [files.direct, files.headroom, files.baseline], half: [files.halfDirect, files.halfHeadroom, files.halfBaseline] };
}

function lines(file: string): number {
  return Number(execFileSync("wc", ["-l", file], { encoding: "utf8" }).trim().split(/\s+/)[0]);
}

async function main(): Promise<void> {
  if (!existsSync(TIME)) fail(`${TIME} not found; install GNU time (Debian: apt-get install -y time)`);
  if (!existsSync(built)) fail(`${built} not found; run \`make build\` first`);
  const { full, half } = await dataset();
  const rows: Array<{ name: string; files: Files; floor: Measurement; diff: Measurement }> = [];
  for (const [name, files] of [["half", half], ["full", full]] as const) {
    process.stderr.write(`bench: ${name} size, ${RUNS} runs each …\n`);
    const out = join(dataDir, `report-${name}`);
    const diffArgs = [command, "network-diff", "--direct", files[0], "--headroom", files[1], "--baseline", files[2], "--output", `${out}.md`, "--json-output", `${out}.json`, "--quiet"];
    rows.push({ name, files, ...compareRuns([process.execPath, floor, ...files], diffArgs) });
  }
  const mb = (file: string) => statSync(file).size / 1024 / 1024;
  const table = [
    "| Size | Exchanges per lane | MB per lane (direct / headroom / baseline) | Floor s | network-diff s | Ratio | Floor RSS MB | network-diff RSS MB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${lines(r.files[0])} | ${r.files.map((file) => mb(file).toFixed(0)).join(" / ")} | ${r.floor.seconds.toFixed(2)} | ${r.diff.seconds.toFixed(2)} | ${(r.diff.seconds / r.floor.seconds).toFixed(2)} | ${r.floor.rssMb.toFixed(0)} | ${r.diff.rssMb.toFixed(0)} |`,
    ),
  ];
  const [halfRow, fullRow] = rows as [(typeof rows)[0], (typeof rows)[0]];
  process.stderr.write("bench: full size with --html-output …\n");
  const htmlFile = join(dataDir, "report-full.html");
  const html = measure([command, "network-diff", "--direct", full[0], "--headroom", full[1], "--output", join(dataDir, "report-html.md"), "--html-output", htmlFile, "--quiet"]);
  const htmlMb = statSync(htmlFile).size / 1024 / 1024;
  const ratio = fullRow.diff.seconds / fullRow.floor.seconds;
  const growth = fullRow.diff.seconds / halfRow.diff.seconds;
  const rss = Math.max(halfRow.diff.rssMb, fullRow.diff.rssMb);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");
  const summary = [
    `Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}`,
    `Time ratio network-diff / floor (full): ${ratio.toFixed(2)} (target <= 1.3: ${verdict(ratio <= 1.3)})`,
    `Peak RSS network-diff: ${rss.toFixed(0)} MB (target <= 200 MB: ${verdict(rss <= 200)})`,
    `Growth half -> full: ${growth.toFixed(2)}x time (target <= 2.2x: ${verdict(growth <= 2.2)})`,
    `HTML report (full, --html-bodies changed): ${htmlMb.toFixed(1)} MB (target <= 25 MB: ${verdict(htmlMb <= 25)}), ${html.seconds.toFixed(2)} s (${(html.seconds / fullRow.floor.seconds).toFixed(2)}x the floor), peak RSS ${html.rssMb.toFixed(0)} MB`,
  ];
  process.stdout.write(`${table.join("\n")}\n\n${summary.join("\n")}\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
