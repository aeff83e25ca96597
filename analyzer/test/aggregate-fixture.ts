/**
 * network-diff JSON reports with known figures, laid out as the runner writes repetitions
 * (runs/<i>/report.json), for the aggregate's tests and its HTML report's browser test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../src/stats.js";
import { tempDir } from "./helpers.js";

export interface ArmFigures {
  prompt: number;
  output?: number;
  cacheRead?: number;
  firstByte?: number;
  errors?: number;
}

/** A network-diff JSON report head with known figures, in the layout network-diff writes. */
export function report(direct: ArmFigures, headroom: ArmFigures, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const tokens = (arm: ArmFigures) => ({
    input_tokens: arm.prompt - (arm.cacheRead ?? 0),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: arm.cacheRead ?? 0,
    output_tokens: arm.output ?? 50,
    prompt_tokens: arm.prompt,
    exchanges_with_usage: 3,
    cache_hit_ratio: (arm.cacheRead ?? 0) / arm.prompt,
  });
  const lane = (arm: ArmFigures, name: string) => ({
    file: `${name}.jsonl`,
    exchanges: 3,
    request_bytes: 1000,
    response_bytes: 1000,
    statuses: arm.errors ? { "200": 3 - arm.errors, "529": arm.errors } : { "200": 3 },
    tokens: tokens(arm),
    first_byte_ms_median: arm.firstByte ?? 300,
    end_ms_median: 1000,
    errors: [],
    api_errors: arm.errors ?? 0,
    conversations: { count: 2, turns: 6 },
  });
  return {
    schema_version: 1,
    generated_at: "2026-11-27T00:00:00.000Z",
    labels: { direct: "direct", headroom: "headroom" },
    direct_count: 3,
    headroom_count: 3,
    paired: [],
    summary: {
      direct: lane(direct, "direct"),
      headroom: lane(headroom, "headroom"),
      paired: 3,
      only_direct: 0,
      only_headroom: 0,
      paired_tokens: { direct: tokens(direct), headroom: tokens(headroom), prompt_tokens_delta: headroom.prompt - direct.prompt },
      tools_count_delta: 0,
    },
    warnings: [],
    ...extra,
  };
}

/** Write reports as runs/<i>/report.json, as the runner lays out repetitions. */
export function writeRuns(reports: Array<Record<string, unknown>>, dir = tempDir()): string {
  reports.forEach((body, index) => {
    mkdirSync(join(dir, "runs", String(index + 1)), { recursive: true });
    writeFileSync(join(dir, "runs", String(index + 1), "report.json"), JSON.stringify(body));
  });
  return join(dir, "runs");
}

export function noisy(count: number, mean: number, spread: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Math.round(mean + spread * (random() + random() + random() - 1.5)));
}
