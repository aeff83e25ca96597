/**
 * Stage 6c — the HTML report: one self-contained page (analyzer/html/, built into
 * dist/html/report.html) plus this run's data, injected as a JSON script tag.
 *
 * Why in two steps: each pair is reduced to the row the page lists as the pipeline compares it
 * (`HtmlCollector.pair`), so the per-pair path lists are never all held; the bodies the
 * side-by-side view needs are read back afterwards by html-bodies.ts, aligned by html-align.ts, and
 * fitted into the size budget here.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { PairDiff } from "./compare.js";
import { alignElements } from "./html-align.js";
import { ElementStore, HEAD_CHARS, readBodies, TAIL_CHARS, type RecordBody } from "./html-bodies.js";
import { HTML_TITLE, type ElementEntry, type HtmlBodies, type HtmlPair, type HtmlReportData, type PairView } from "./html-data.js";
import { packRows, unpackRows } from "./html-rows.js";
import { PrivateOutput } from "./output-file.js";
import type { ReportHead } from "./summarize.js";
import { verdictText } from "./verdict.js";

/** The size the page is kept under (bytes of the whole HTML file), stated in the README. */
export const HTML_BUDGET_BYTES = 25 * 1024 * 1024;
/** Noise paths a pair carries into the page (enough to grey out what a baseline explains). */
const MAX_NOISE_PATHS = 500;
/** Where the template marks the data's place. */
const DATA_MARK = "__REPORT_DATA__";
/** A built page (html/build.ts): next to this module in dist/, or in dist/ when running from the TypeScript sources. */
function templateUrls(page: HtmlPage): URL[] {
  return [new URL(`./html/${page}.html`, import.meta.url), new URL(`../dist/html/${page}.html`, import.meta.url)];
}

/** The pages html/build.ts builds: the network-diff report, and the aggregate over many runs. */
export type HtmlPage = "report" | "aggregate";

function isFailure(status: number | null, error: unknown): boolean {
  return error !== null || (status !== null && status >= 400);
}

/** What a reader should know about a pair, one short line each. */
export function pairWarnings(diff: PairDiff): string[] {
  const warnings: string[] = [];
  const sides = ["direct", "headroom"] as const;
  for (const side of sides) {
    if (isFailure(diff.status[side], diff.error[side])) warnings.push(`${side} failed (${diff.error[side]?.kind ?? `status ${diff.status[side] ?? "none"}`})`);
    else if (diff.usage[side] === null && diff.route.includes("/v1/messages")) warnings.push(`${side} response has no usage`);
  }
  if (diff.anthropic.direct.model !== diff.anthropic.headroom.model) warnings.push("models differ");
  if (diff.anthropic.direct.message_count !== diff.anthropic.headroom.message_count) warnings.push("message counts differ");
  if (!diff.json.direct_is_json || !diff.json.headroom_is_json) warnings.push("a body is not JSON");
  return warnings;
}

/** The pair as the page lists it (no bodies yet). */
export function htmlPair(diff: PairDiff, index: number): HtmlPair {
  return {
    index,
    route: diff.route,
    headroom_route: diff.headroom_route,
    sequence: [diff.direct_sequence, diff.headroom_sequence],
    line: [diff.direct_line, diff.headroom_line],
    status: [diff.status.direct, diff.status.headroom],
    conversation: null,
    turn: null,
    model: [diff.anthropic.direct.model, diff.anthropic.headroom.model],
    bytes: [diff.request_body_size.direct, diff.request_body_size.headroom],
    body_same: diff.request_body_sha256.same,
    tools_count: [diff.anthropic.direct.tools_count, diff.anthropic.headroom.tools_count],
    tools_added: diff.anthropic.tools_added,
    tools_removed: diff.anthropic.tools_removed,
    tools_reordered: diff.anthropic.tools_reordered,
    message_count: [diff.anthropic.direct.message_count, diff.anthropic.headroom.message_count],
    headers: { only_direct: diff.headers.only_direct, only_headroom: diff.headers.only_headroom, changed: diff.headers.changed, noise: diff.headers.noise },
    json_noise: diff.json.noise.slice(0, MAX_NOISE_PATHS),
    json: {
      only_direct: diff.json.only_direct.length,
      only_headroom: diff.json.only_headroom.length,
      changed: diff.json.changed.length,
      moved: diff.json.moved.length,
      noise: diff.json.noise.length,
    },
    usage: [diff.usage.direct, diff.usage.headroom],
    timings: [diff.timings.direct, diff.timings.headroom],
    error: [diff.error.direct, diff.error.headroom],
    warnings: pairWarnings(diff),
    view: null,
  };
}

/** Collects the page's pair rows as the pipeline hands over each compared pair. */
export class HtmlCollector {
  readonly pairs: HtmlPair[] = [];
  readonly pair = (diff: PairDiff): void => {
    this.pairs.push(htmlPair(diff, this.pairs.length));
  };
}

/** Distinct `[name, value]` headers, numbered: a long session repeats most of them in every request. */
class HeaderTable {
  readonly headers: Array<[string, string]> = [];
  private readonly ids = new Map<string, number>();

  idsOf(list: ReadonlyArray<[string, string]>): number[] {
    return list.map((header) => {
      const key = `${header[0]}\u0000${header[1]}`;
      let id = this.ids.get(key);
      if (id === undefined) {
        id = this.headers.length;
        this.headers.push([header[0], header[1]]);
        this.ids.set(key, id);
      }
      return id;
    });
  }
}

function pairView(direct: RecordBody | undefined, headroom: RecordBody | undefined, headers: HeaderTable): PairView | null {
  if (!direct || !headroom) return null;
  return {
    headers: [headers.idsOf(direct.headers), headers.idsOf(headroom.headers)],
    params: [direct.params, headroom.params],
    arrays: [
      { name: "tools", rows: packRows(alignElements(direct.tools, headroom.tools, "name")) },
      { name: "system", rows: packRows(alignElements(direct.system, headroom.system, "key")) },
      { name: "messages", rows: packRows(alignElements(direct.messages, headroom.messages, "key")) },
    ],
    notes: [
      ...(direct.note ? [`direct: ${direct.note}`] : []),
      ...(headroom.note ? [`headroom: ${headroom.note}`] : []),
    ],
  };
}

/** Number conversations in order of first appearance and count turns, from the direct side's bodies. */
function numberConversations(pairs: HtmlPair[], bodies: Map<number, RecordBody>): void {
  const numbers = new Map<string, number>();
  const turns = new Map<number, number>();
  for (const pair of pairs) {
    const key = bodies.get(pair.line[0])?.conversation;
    if (!key) continue;
    let number = numbers.get(key);
    if (number === undefined) {
      number = numbers.size + 1;
      numbers.set(key, number);
    }
    const turn = (turns.get(number) ?? 0) + 1;
    turns.set(number, turn);
    pair.conversation = number;
    pair.turn = turn;
  }
}

/** Report warnings naming a pair's `file:line` go to that pair too. */
function attachReportWarnings(pairs: HtmlPair[], head: ReportHead): void {
  if (head.warnings.length === 0) return;
  for (const pair of pairs) {
    const marks = [`${head.inputs.direct}:${pair.line[0]}:`, `${head.inputs.headroom}:${pair.line[1]}:`];
    for (const warning of head.warnings) if (marks.some((mark) => warning.includes(mark))) pair.warnings.push(warning);
  }
}

/** Which elements' values the page carries, in order of first use: for `changed`, those on rows that differ. */
function wantedElements(pairs: readonly HtmlPair[], mode: HtmlBodies): number[] {
  const wanted = new Set<number>();
  if (mode === "none") return [];
  for (const pair of pairs) {
    for (const { rows } of pair.view?.arrays ?? []) {
      for (const row of unpackRows(rows)) {
        if (mode === "changed" && (row.state === "same" || row.state === "moved")) continue;
        if (row.direct) wanted.add(row.direct[1]);
        if (row.headroom) wanted.add(row.headroom[1]);
      }
    }
  }
  return [...wanted];
}

/** JSON for a script tag: `<` escaped, so no `</script>` or `<!--` in the data can end it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export interface HtmlReportOptions {
  head: ReportHead;
  pairs: HtmlPair[];
  bodies: HtmlBodies;
  budgetBytes?: number;
}

/**
 * The page's data: pairs with their aligned views, and the element values the mode asks for, in
 * order of first use, as many as fit the budget (the rest are counted in `bodies.left_out`).
 */
export async function buildHtmlData(options: HtmlReportOptions, templateBytes: number): Promise<HtmlReportData> {
  const { head, pairs } = options;
  const budget = options.budgetBytes ?? HTML_BUDGET_BYTES;
  const store = new ElementStore();
  const directBodies = await readBodies(head.inputs.direct, new Set(pairs.map((pair) => pair.line[0])), store);
  const headroomBodies = await readBodies(head.inputs.headroom, new Set(pairs.map((pair) => pair.line[1])), store);
  const headers = new HeaderTable();
  for (const pair of pairs) pair.view = pairView(directBodies.get(pair.line[0]), headroomBodies.get(pair.line[1]), headers);
  numberConversations(pairs, directBodies);
  attachReportWarnings(pairs, head);

  const elements: ElementEntry[] = store.elements.map((element) => ({ bytes: element.bytes, label: element.label, value: null }));
  const data: HtmlReportData = {
    title: HTML_TITLE,
    generated_at: head.generated_at,
    inputs: head.inputs,
    labels: head.labels,
    pair_by: head.pair_by,
    verdict: verdictText(head),
    summary: head.summary,
    only_direct_exchanges: head.only_direct_exchanges,
    only_headroom_exchanges: head.only_headroom_exchanges,
    warnings: head.warnings,
    pairs,
    elements,
    headers: headers.headers,
    bodies: { mode: options.bodies, value_chars: HEAD_CHARS + TAIL_CHARS, left_out: 0, budget_bytes: budget },
  };
  let size = templateBytes + Buffer.byteLength(scriptJson(data));
  let leftOut = 0;
  for (const id of wantedElements(pairs, options.bodies)) {
    const value = store.elements[id]?.value ?? null;
    if (value === null) {
      leftOut += 1;
      continue;
    }
    const cost = Buffer.byteLength(scriptJson(value));
    if (size + cost > budget) {
      leftOut += 1;
      continue;
    }
    size += cost;
    (elements[id] as ElementEntry).value = value;
  }
  data.bodies.left_out = leftOut;
  return data;
}

/** The built page, without data. */
export async function template(page: HtmlPage = "report"): Promise<string> {
  for (const url of templateUrls(page)) {
    const text = await readFile(fileURLToPath(url), "utf8").catch(() => null);
    if (text !== null) return text;
  }
  throw new Error("the HTML report page is not built (run `npm run build -w analyzer`)");
}

/** The whole page for `data`. */
export function renderHtml(page: string, data: unknown): string {
  const at = page.indexOf(DATA_MARK);
  if (at === -1) throw new Error("the HTML report page has no data mark");
  return page.slice(0, at) + scriptJson(data) + page.slice(at + DATA_MARK.length);
}

/**
 * Build the page and write it to `file`, private to its owner (0600) like the captures, and
 * renamed into place only when complete. A file that cannot be written is an OutputError.
 */
export async function writeHtmlReport(file: string, options: HtmlReportOptions): Promise<HtmlReportData> {
  const page = await template();
  const data = await buildHtmlData(options, Buffer.byteLength(page));
  await writeHtmlPage(file, page, data);
  return data;
}

/** Write `page` filled with `data` to `file`: private (0600), renamed into place only when complete. */
export async function writeHtmlPage(file: string, page: string, data: unknown): Promise<void> {
  const output = new PrivateOutput(file, "HTML report");
  try {
    await output.open();
    await output.write(renderHtml(page, data));
    await output.finish();
  } catch (error) {
    await output.discard();
    throw error;
  }
}
