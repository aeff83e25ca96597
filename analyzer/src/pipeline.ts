/**
 * The pipeline in one place: load -> normalize/redact -> pair -> compare -> summarize -> render.
 * The CLI only parses options, calls these and writes files.
 *
 * All pairs are compared first (their diffs are small: path strings are shared with the path
 * table), so the report head can summarize them; then the report is rendered piece by piece and
 * handed to sinks, so the rendered text of a big capture is never held at once.
 */
import { statSync } from "node:fs";
import { comparePair, JsonComparer, type PairDiff } from "./compare.js";
import type { Lane } from "./exchange.js";
import { inOrder, startReading, type LaneReadOptions } from "./lane-readers.js";
import { createContext } from "./normalize.js";
import { TemplateCounter } from "./json-templates.js";
import { NoiseFilter } from "./noise.js";
import { pairLanes, viewLane, type PairBy } from "./pair.js";
import { JsonRenderer } from "./render-json.js";
import type { DeltaExtras } from "./render-delta.js";
import { MarkdownRenderer } from "./render-markdown.js";
import { unpricedWarnings, type PriceTable } from "./prices.js";
import type { ProxyStatsTotals } from "./proxy-account.js";
import { buildReportHead, type Labels, type Report, type ReportHead } from "./summarize.js";

export { readLane, type ReadOptions } from "./read-lane.js";

export interface NetworkDiffOptions extends LaneReadOptions {
  direct: string;
  headroom: string;
  pairBy: PairBy;
  generatedAt?: Date;
  labels?: Labels;
  prices?: PriceTable;
  /** The proxy's saved stats (--proxy-stats), set beside the captures in the proxy account. */
  proxyStats?: ProxyStatsTotals;
  /** A second capture of the direct lane: differences it shows too are noise (noise.ts). */
  baseline?: string;
  /** Called once the report head is known, before anything is rendered; returns members to add (scenario, gates). */
  onHead?: (head: ReportHead) => Partial<ReportHead>;
}

/** Where rendered pieces go; a sink may return a promise to apply backpressure. */
export type Sink = (chunk: string) => void | Promise<void>;

export interface ReportSinks {
  markdown?: Sink;
  json?: Sink;
  /** Receives every pair's diff (tests use it to inspect the report as an object). */
  pair?: (diff: PairDiff) => void;
}

/** What the renderers draw from: the report head and every pair's diff. */
interface Analysis {
  head: ReportHead;
  diffs: PairDiff[];
  extras: DeltaExtras;
}

/**
 * Read, pair, compare and summarize. Every pair is compared before anything is rendered, so the
 * head can say what the pairs show (templates across pairs, noise); a diff is small (its path
 * strings are the path table's). The lanes are not returned, so their exchanges can be freed
 * before the reports are rendered.
 */
async function analyze(options: NetworkDiffOptions): Promise<Analysis> {
  const context = createContext();
  const files: Array<[string, string]> = [
    ["direct", options.direct],
    ["headroom", options.headroom],
  ];
  if (options.baseline !== undefined) files.push(["baseline", options.baseline]);
  const reads = startReading(files, context, options);
  const [direct, headroom] = (await inOrder(reads.slice(0, 2))) as [Lane, Lane];
  const views = { direct: viewLane(direct.exchanges), headroom: viewLane(headroom.exchanges) };
  const pairing = pairLanes(views.direct, views.headroom, options.pairBy);

  // Compared while a baseline is still being read; its noise is taken out once it is there.
  const comparer = new JsonComparer(context.paths);
  const diffs = pairing.pairs.map((pair) => comparePair(pair, comparer));
  const baseline = reads[2] ? await reads[2] : undefined;
  const noise = baseline ? new NoiseFilter(baseline.file, pairLanes(views.direct, viewLane(baseline.exchanges), options.pairBy), comparer) : null;
  if (noise) pairing.pairs.forEach((pair, index) => noise.apply(diffs[index] as PairDiff, pair.direct));
  const templates = new TemplateCounter();
  for (const diff of diffs) templates.add(diff);
  const head = buildReportHead({
    direct,
    headroom,
    pairing,
    pairBy: options.pairBy,
    diffs,
    views,
    paths: context.paths.paths,
    generatedAt: options.generatedAt,
    labels: options.labels,
    prices: options.prices,
    proxyStats: options.proxyStats,
  });
  for (const warning of reportWarnings(options, head)) {
    if (head.warnings.includes(warning)) continue; // read in this thread, the lane said it already
    head.warnings.push(warning);
    options.onWarning?.(warning);
  }

  head.summary.json_templates = templates.templates();
  if (baseline && noise) {
    head.inputs.baseline = baseline.file;
    head.summary.noise = noise.summary();
    head.warnings.push(...baseline.warnings);
  }
  Object.assign(head, options.onHead?.(head));
  return { head, diffs, extras: { varyingHeaders: templates.varyingHeaders } };
}

/**
 * Compare two lane captures and stream the reports into the sinks. Every input problem is
 * thrown (InputError) before anything is handed to a sink. Returns the report head.
 */
export async function networkDiff(options: NetworkDiffOptions, sinks: ReportSinks): Promise<ReportHead> {
  const { head, diffs, extras } = await analyze(options);
  const markdown = new MarkdownRenderer(head, extras);
  const json = new JsonRenderer(head);
  const emit = async (sink: Sink | undefined, chunk: string) => {
    if (sink && chunk !== "") await sink(chunk);
  };
  await emit(sinks.markdown, markdown.start());
  for (const piece of json.start()) await emit(sinks.json, piece);
  for (const diff of diffs) {
    sinks.pair?.(diff);
    await emit(sinks.markdown, markdown.pair(diff));
    if (sinks.json) await emit(sinks.json, json.pair(diff));
  }
  await emit(sinks.markdown, markdown.end());
  for (const piece of json.end()) await emit(sinks.json, piece);
  return head;
}

/**
 * Warnings about the comparison as a whole (each lane's own warnings come from reading it): inputs that would
 * otherwise give a plausible-looking but meaningless report.
 */
function reportWarnings(options: NetworkDiffOptions, head: ReportHead): string[] {
  const warnings: string[] = [];
  // An empty lane compares as "everything only on the other side": say so instead of passing silently.
  for (const [file, count] of [[options.direct, head.direct_count], [options.headroom, head.headroom_count]] as const) {
    if (count === 0) warnings.push(`${file}: empty capture (no exchanges)`);
  }
  if (sameFile(options.direct, options.headroom)) {
    warnings.push(`${options.direct} is given as both sides (--direct and --headroom): every pair compares an exchange with itself`);
  }
  const cost = head.summary.cost;
  if (cost) {
    warnings.push(...unpricedWarnings(cost.prices_file, [[head.labels.direct, cost.direct], [head.labels.headroom, cost.headroom]]));
  }
  return warnings;
}

/** The same file under two names (same path, a symlink or a hard link)? */
function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** networkDiff with everything collected in memory: the report object and both renderings. */
export async function networkDiffToStrings(options: NetworkDiffOptions): Promise<{ report: Report; markdown: string; json: string }> {
  const markdown: string[] = [];
  const json: string[] = [];
  const paired: PairDiff[] = [];
  const head = await networkDiff(options, { markdown: (c) => void markdown.push(c), json: (c) => void json.push(c), pair: (d) => paired.push(d) });
  return { report: { ...head, paired }, markdown: markdown.join(""), json: json.join("") };
}
