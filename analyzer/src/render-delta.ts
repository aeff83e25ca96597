/**
 * Markdown for what changed inside the requests: the JSON and header cells of a pair row, their
 * full lists, the change templates across pairs and the noise line.
 *
 * Why cells speak in elements: after alignment (align.ts) an inserted message or a sorted tool
 * list is one entry, so a cell says "+1 message at [2]" or "tools reordered (2 moved)" and lists
 * leaf paths only for changes inside elements, instead of a cascade of paths.
 */
import type { PairDiff } from "./compare.js";
import { EXPECTED_TO_VARY, type JsonTemplate, type TemplateKind } from "./json-templates.js";
import { cappedList, CELL_LIST_LIMIT, code, signed, table } from "./markdown-text.js";
import type { Labels, ReportHead } from "./summarize.js";

/** What the renderer knows beyond the report head. */
export interface DeltaExtras {
  /** Expected-to-vary header names seen differing, and in how many pairs (json-templates.ts). */
  varyingHeaders?: ReadonlyMap<string, number>;
}

/** How many templates the across-pairs table shows (the JSON report has them all). */
const TEMPLATE_ROWS = 40;

/** A whole prompt element: `$.messages[3]`, `$.system[0]`, `$.tools[2]`, or a string `$.system`. */
const ELEMENT = /^\$\.(tools|system|messages)(?:\[(\d+)\])?$/;

const NOUNS: Record<string, [string, string]> = {
  messages: ["message", "messages"],
  system: ["system block", "system blocks"],
  tools: ["tool", "tools"],
};

/** `+1 message at [2]`, `-2 system blocks at [0], [3]`; tools are left to the tools part (by name). */
function elementParts(paths: readonly string[], sign: "+" | "-"): { parts: string[]; leaves: string[] } {
  const byKind = new Map<string, string[]>();
  const leaves: string[] = [];
  for (const path of paths) {
    const match = ELEMENT.exec(path);
    if (!match) {
      leaves.push(path);
      continue;
    }
    const kind = match[1] as string;
    const list = byKind.get(kind) ?? [];
    list.push(match[2] === undefined ? "" : `[${match[2]}]`);
    byKind.set(kind, list);
  }
  const parts: string[] = [];
  for (const [kind, indexes] of byKind) {
    if (kind === "tools") continue;
    const [one, many] = NOUNS[kind] as [string, string];
    const at = indexes.filter(Boolean);
    const where = at.length ? ` at ${at.slice(0, CELL_LIST_LIMIT).join(", ")}${at.length > CELL_LIST_LIMIT ? ", …" : ""}` : "";
    parts.push(`${sign}${indexes.length} ${indexes.length === 1 ? one : many}${where}`);
  }
  return { parts, leaves };
}

/** `tools reordered (2 moved)` per kind of moved element. */
function movedParts(moved: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const move of moved) {
    const kind = /^\$\.(\w+)/.exec(move)?.[1] ?? "elements";
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, count]) => `${kind === "system" ? "system blocks" : kind} reordered (${count} moved)`);
}

export function headerCell(pair: PairDiff): string {
  const { only_direct, only_headroom, changed, noise } = pair.headers;
  const parts: string[] = [];
  if (only_headroom.length) parts.push(`+${cappedList(only_headroom)}`);
  if (only_direct.length) parts.push(`-${cappedList(only_direct)}`);
  if (changed.length) parts.push(`changed=${cappedList(changed)}`);
  if (noise.length) parts.push(`noise=${cappedList(noise)}`);
  return parts.join("; ") || "-";
}

export function jsonCell(pair: PairDiff, labels: Labels): string {
  const { only_direct, only_headroom, changed, moved, noise, direct_is_json, headroom_is_json } = pair.json;
  const { direct, headroom } = pair.anthropic;
  const notJson = [!direct_is_json ? labels.direct : "", !headroom_is_json ? labels.headroom : ""].filter(Boolean);
  const prefix = notJson.length ? `no JSON body: ${notJson.join(", ")}; ` : "";
  const added = elementParts(only_headroom, "+");
  const removed = elementParts(only_direct, "-");
  const parts = [...added.parts, ...removed.parts, ...movedParts(moved)];
  if (added.leaves.length) parts.push(`+${cappedList(added.leaves)}`);
  if (removed.leaves.length) parts.push(`-${cappedList(removed.leaves)}`);
  if (changed.length) parts.push(`changed=${cappedList(changed)}`);
  if (noise.length) parts.push(`noise=${cappedList(noise)}`);
  const { tools_added, tools_removed, tools_reordered } = pair.anthropic;
  const toolsMoved = moved.some((move) => move.startsWith("$.tools["));
  const byName = [
    tools_added.length ? `+${cappedList(tools_added)}` : "",
    tools_removed.length ? `-${cappedList(tools_removed)}` : "",
    tools_reordered && !toolsMoved ? "reordered" : "",
  ].filter(Boolean);
  const tools =
    `tools=${direct.tools_count}->${headroom.tools_count} (${signed(headroom.tools_bytes - direct.tools_bytes)} bytes)` +
    (byName.length ? ` ${byName.join(", ")}` : "");
  return prefix + [...parts, tools].join("; ");
}

/** The lists of a pair, titled, for its full-lists section. */
export function deltaLists(pair: PairDiff, labels: Labels): Array<[string, readonly string[]]> {
  return [
    [`Headers only in ${labels.headroom}`, pair.headers.only_headroom],
    [`Headers only in ${labels.direct}`, pair.headers.only_direct],
    ["Headers with changed values", pair.headers.changed],
    ["Headers that are noise (they differ in the baseline too)", pair.headers.noise],
    [`JSON paths only in ${labels.headroom}`, pair.json.only_headroom],
    [`JSON paths only in ${labels.direct}`, pair.json.only_direct],
    ["JSON paths with changed values", pair.json.changed],
    ["Prompt elements moved", pair.json.moved],
    ["JSON paths that are noise (they differ in the baseline too)", pair.json.noise],
  ];
}

/** Does a cell of this pair leave items out? */
export function isDeltaCapped(pair: PairDiff): boolean {
  return deltaLists(pair, { direct: "", headroom: "" }).some(([, list]) => list.length > CELL_LIST_LIMIT);
}

/** The summary line about noise: how much a baseline classed as noise, or what is expected to vary without one. */
export function noiseLines(report: ReportHead, extras: DeltaExtras): string[] {
  const noise = report.summary.noise;
  if (noise) {
    return [
      `- Noise (baseline ${code(noise.baseline)}, ${noise.pairs_with_baseline} of ${report.summary.paired} pairs have a baseline exchange): ${noise.json} JSON path and ${noise.headers} header differences also differ between two runs of the ${report.labels.direct} lane, so they are listed as noise, not as changes`,
    ];
  }
  const seen = [
    ...report.summary.json_templates.filter((t) => EXPECTED_TO_VARY.json.has(t.template) && t.kind !== "noise").map((t) => `${code(t.template)} (${t.pairs} pairs)`),
    ...[...(extras.varyingHeaders ?? [])].map(([name, pairs]) => `header ${code(name)} (${pairs} pairs)`),
  ];
  const line = "- Noise: no baseline given (`--baseline`), so nothing is classed as noise";
  return [seen.length ? `${line}. Expected to vary between any two runs: ${seen.join(", ")}` : line];
}

function kindLabel(kind: TemplateKind, labels: Labels): string {
  if (kind === "only_direct") return `only in ${labels.direct}`;
  if (kind === "only_headroom") return `only in ${labels.headroom}`;
  return kind;
}

/** `## JSON Changes Across Pairs`: each template with the number of pairs showing it. */
export function templateSection(report: ReportHead): string[] {
  const templates: readonly JsonTemplate[] = report.summary.json_templates;
  if (templates.length === 0) return [];
  const expected = (t: JsonTemplate) => (report.summary.noise === null && t.kind !== "noise" && EXPECTED_TO_VARY.json.has(t.template) ? "expected to vary" : "");
  const rows = templates.slice(0, TEMPLATE_ROWS).map((t) => [code(t.template), kindLabel(t.kind, report.labels), String(t.pairs), String(t.paths), expected(t)]);
  const more = templates.length > TEMPLATE_ROWS ? [`… ${templates.length - TEMPLATE_ROWS} more templates in the JSON report (\`summary.json_templates\`).`, ""] : [];
  return [
    "## JSON Changes Across Pairs",
    "",
    "Paths with array indexes as `[*]`; a whole message, system block or tool with no counterpart is its own path (`$.messages[*]`). Pairs: how many pairs show the template; Paths: how often in all.",
    "",
    table([["Template", "Kind", "Pairs", "Paths", "Note"], ...rows], ["l", "l", "r", "r", "l"]),
    "",
    ...more,
  ];
}
