/**
 * Stage 4 — compare: what differs between the two exchanges of a pair.
 *
 * Why sets of paths: a proxy that rewrites a request changes some JSON leaves, adds some and drops
 * others; naming those paths (`$.messages[3].content[0].content`) says where it intervened without
 * printing any content. The prompt arrays are aligned first (json-delta.ts, align.ts), so a
 * reorder or an inserted message is named once instead of shifting every later path. Headers are
 * compared by name (case-insensitive), values never shown.
 */
import type { AnthropicSummary, Exchange, Timings, Usage } from "./exchange.js";
import { JsonComparer } from "./json-delta.js";
import type { PathTable } from "./json-leaves.js";
import type { Pair } from "./pair.js";

export { JsonComparer, type JsonDelta } from "./json-delta.js";

/** The Anthropic summary as reported (tool names are reported as added/removed instead). */
export type AnthropicReport = Omit<AnthropicSummary, "tool_names">;

export interface SideBySide<T> {
  direct: T;
  headroom: T;
}

/** One paired row of the report; the field names are those of the original harness's JSON. */
export interface PairDiff {
  route: string;
  headroom_route: string;
  direct_sequence: number | null;
  headroom_sequence: number | null;
  direct_line: number;
  headroom_line: number;
  status: SideBySide<number | null>;
  request_body_size: SideBySide<number | null> & { delta: number | null };
  /** `same` is null when a side's hash is unknown (a truncated body without a recorded hash). */
  request_body_sha256: SideBySide<string | null> & { same: boolean | null };
  anthropic: SideBySide<AnthropicReport> & {
    tools_added: string[];
    tools_removed: string[];
    /** The tools both sides send are sent in a different order (a proxy sorting tools for cache stability, say). */
    tools_reordered: boolean;
  };
  headers: {
    only_direct: string[];
    only_headroom: string[];
    changed: string[];
    /** Names that also differ between the direct lane and its baseline (--baseline): moved here from the lists above. */
    noise: string[];
  };
  json: {
    /** Direct-lane paths (direct indexes); a prompt element with no counterpart is its own path (`$.messages[2]`). */
    only_direct: string[];
    /** Headroom-lane paths (headroom indexes). */
    only_headroom: string[];
    /** Direct-lane paths whose value differs in the aligned headroom leaf. */
    changed: string[];
    /** Prompt elements that only moved: `$.tools[3] -> $.tools[0]` (direct path -> headroom path). */
    moved: string[];
    /** Paths whose template also differs between the direct lane and its baseline (--baseline): moved here from only_direct/only_headroom/changed. */
    noise: string[];
    /** False when that side's body is not JSON or could not be recovered; the path lists are then empty. */
    direct_is_json: boolean;
    headroom_is_json: boolean;
  };
  usage: SideBySide<Usage | null>;
  timings: SideBySide<Timings | null>;
  error: SideBySide<Exchange["error"]>;
}

/** Header names only in one lane, and names present in both whose values differ (case-insensitive). */
export function headerDelta(
  direct: ReadonlyArray<readonly [string, string]>,
  headroom: ReadonlyArray<readonly [string, string]>,
): Omit<PairDiff["headers"], "noise"> {
  const byName = (headers: ReadonlyArray<readonly [string, string]>) => {
    const map = new Map<string, { name: string; value: string }>();
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      const known = map.get(lower);
      map.set(lower, known ? { name: known.name, value: `${known.value}, ${value}` } : { name, value });
    }
    return map;
  };
  const d = byName(direct);
  const h = byName(headroom);
  const onlyDirect = [...d].filter(([lower]) => !h.has(lower)).map(([, header]) => header.name);
  const onlyHeadroom = [...h].filter(([lower]) => !d.has(lower)).map(([, header]) => header.name);
  const changed = [...d].filter(([lower, header]) => h.has(lower) && h.get(lower)?.value !== header.value).map(([, header]) => header.name);
  const sort = (names: string[]) => names.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  return { only_direct: sort(onlyDirect), only_headroom: sort(onlyHeadroom), changed: sort(changed) };
}

function anthropicReport(summary: AnthropicSummary): AnthropicReport {
  const { tool_names: _names, ...rest } = summary;
  return rest;
}

/** Do the names both lists share appear in a different relative order? */
export function reordered(direct: readonly string[], headroom: readonly string[]): boolean {
  const inHeadroom = new Set(headroom);
  const inDirect = new Set(direct);
  const commonDirect = direct.filter((name) => inHeadroom.has(name));
  const commonHeadroom = headroom.filter((name) => inDirect.has(name));
  return commonDirect.some((name, i) => name !== commonHeadroom[i]);
}

/** Everything the report says about one pair. */
export function comparePair(pair: Pair, comparer: JsonComparer): PairDiff {
  const { direct, headroom } = pair;
  // Path sets only mean something when both bodies are JSON; otherwise the flags say which is not.
  const delta = comparer.compare(direct, headroom);
  const directTools = new Set(direct.anthropic.tool_names);
  const headroomTools = new Set(headroom.anthropic.tool_names);
  const dSha = direct.request_body_sha256;
  const hSha = headroom.request_body_sha256;
  const dSize = direct.request_body_size;
  const hSize = headroom.request_body_size;
  return {
    route: direct.route,
    headroom_route: headroom.route,
    direct_sequence: direct.sequence,
    headroom_sequence: headroom.sequence,
    direct_line: direct.line,
    headroom_line: headroom.line,
    status: { direct: direct.response_status, headroom: headroom.response_status },
    request_body_size: { direct: dSize, headroom: hSize, delta: dSize !== null && hSize !== null ? hSize - dSize : null },
    request_body_sha256: { direct: dSha, headroom: hSha, same: dSha !== null && hSha !== null ? dSha === hSha : null },
    anthropic: {
      direct: anthropicReport(direct.anthropic),
      headroom: anthropicReport(headroom.anthropic),
      tools_added: [...headroomTools].filter((name) => !directTools.has(name)),
      tools_removed: [...directTools].filter((name) => !headroomTools.has(name)),
      tools_reordered: reordered(direct.anthropic.tool_names, headroom.anthropic.tool_names),
    },
    headers: { ...headerDelta(direct.request_headers, headroom.request_headers), noise: [] },
    json: { ...delta, noise: [], direct_is_json: direct.json !== null, headroom_is_json: headroom.json !== null },
    usage: { direct: direct.usage, headroom: headroom.usage },
    timings: { direct: direct.timings, headroom: headroom.timings },
    error: { direct: direct.error, headroom: headroom.error },
  };
}

/** Compare every pair. */
export function comparePairs(pairs: readonly Pair[], paths: PathTable): PairDiff[] {
  const comparer = new JsonComparer(paths);
  return pairs.map((pair) => comparePair(pair, comparer));
}
