/**
 * `npm run bench:aggregate` — how fast `aggregate` merges many reports.
 *
 * Writes 1,000 network-diff JSON reports into <repo>/bench-data/aggregate/ (runs/<i>/report.json,
 * 4 scenarios; every 100th one carries 2,000 paired rows, ~8 MB, as a long session's report does),
 * then runs the built CLI under GNU time, best of 3, and prints wall time and peak RSS.
 * Target: 1,000 reports in a few seconds, memory independent of the number of reports.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom } from "../src/stats.js";

const here = dirname(fileURLToPath(import.meta.url));
const analyzer = resolve(here, "..");
const dataDir = join(resolve(analyzer, ".."), "bench-data", "aggregate");
const cli = join(analyzer, "dist", "cli.js");
const REPORTS = 1000;
const VERSION = 1;

function tokens(prompt: number, output: number, cacheRead: number) {
  return {
    input_tokens: prompt - cacheRead,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cacheRead,
    output_tokens: output,
    prompt_tokens: prompt,
    exchanges_with_usage: 40,
    cache_hit_ratio: cacheRead / prompt,
  };
}

function lane(random: () => number, scale: number) {
  const prompt = Math.round(scale * (400_000 + 40_000 * random()));
  return {
    file: "lane.jsonl",
    exchanges: 40,
    request_bytes: prompt * 4,
    response_bytes: 80_000,
    statuses: { "200": 40 },
    tokens: tokens(prompt, 9_000, Math.round(prompt * 0.8)),
    first_byte_ms_median: 400 + 100 * random(),
    end_ms_median: 3000 + 800 * random(),
    errors: [],
  };
}

function pairedRow(index: number) {
  return {
    route: "POST api.anthropic.com/v1/messages?beta=true",
    direct_sequence: index,
    headroom_sequence: index,
    json: { only_direct: [], only_headroom: [`$.messages[${index}].content[0].text`], changed: Array.from({ length: 30 }, (_, i) => `$.messages[${i}].content[0].content`) },
    headers: { only_direct: [], only_headroom: ["x-headroom-proxy-token"], changed: ["anthropic-beta"] },
    note: "a \"quoted\" [bracketed] {braced} string",
  };
}

function generate(): void {
  const stamp = join(dataDir, ".version");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === String(VERSION)) return;
  const random = seededRandom(20261127);
  for (let i = 1; i <= REPORTS; i += 1) {
    const direct = lane(random, 1);
    const headroom = lane(random, 0.8);
    const report = {
      schema_version: 1,
      scenario: `scenario-${i % 4}`,
      labels: { direct: "direct", headroom: "headroom" },
      direct_count: 40,
      headroom_count: 40,
      paired: i % 100 === 0 ? Array.from({ length: 2000 }, (_, index) => pairedRow(index)) : [pairedRow(0)],
      summary: {
        direct,
        headroom,
        paired: 40,
        paired_tokens: { direct: direct.tokens, headroom: headroom.tokens, prompt_tokens_delta: headroom.tokens.prompt_tokens - direct.tokens.prompt_tokens },
        tools_count_delta: 0,
      },
      warnings: [],
    };
    mkdirSync(join(dataDir, "runs", String(i)), { recursive: true });
    writeFileSync(join(dataDir, "runs", String(i), "report.json"), JSON.stringify(report));
  }
  writeFileSync(stamp, String(VERSION));
}

function measure(): { seconds: number; rssMb: number } {
  const rssFile = join(dataDir, ".rss");
  const started = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "%M", "-o", rssFile, process.execPath, cli, "aggregate", join(dataDir, "runs"), "--quiet", "--json-output", join(dataDir, "aggregate.json"), "-o", join(dataDir, "aggregate.md")], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`aggregate exited ${run.status}: ${run.stderr.trim()}`);
  return { seconds, rssMb: Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) / 1024 };
}

generate();
const runs = [measure(), measure(), measure()];
const seconds = Math.min(...runs.map((run) => run.seconds));
const rssMb = Math.max(...runs.map((run) => run.rssMb));
const result = JSON.parse(readFileSync(join(dataDir, "aggregate.json"), "utf8")) as { runs: number };
const machine = `${cpus().length}-core ${cpus()[0]?.model.trim() ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
process.stdout.write(`aggregate: ${result.runs} reports in ${seconds.toFixed(2)} s (best of 3), peak RSS ${rssMb.toFixed(0)} MB — ${machine}\n`);
if (result.runs !== REPORTS) throw new Error(`expected ${REPORTS} runs, got ${result.runs}`);
