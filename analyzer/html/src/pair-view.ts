/**
 * One pair side by side: figures (status, bytes, model, tools, usage, timings), headers (noise
 * greyed out), then the request body — its other members, and tools, system blocks and messages in
 * the rows the analyzer aligned them into. Unchanged elements are folded (runs of them into one
 * line); changed ones open as a JSON diff.
 */
import type { AlignedRow, HtmlPair, HtmlReportData, ViewValue } from "./data.js";
import { promptTokens } from "./data.js";
import { bytes, h, num, relative } from "./dom.js";
import { unpackRows } from "../../src/html-rows.js";
import { renderJsonDiff } from "./json-diff.js";

const STATE_TEXT: Record<AlignedRow["state"], string> = {
  same: "same",
  moved: "moved",
  changed: "changed",
  only_direct: "only direct",
  only_headroom: "only headroom",
};

function kvRow(label: string, a: string, b: string): HTMLElement[] {
  const differs = a !== b;
  return [h("div", { class: "k" }, label), h("div", { class: differs ? "diff" : "" }, a), h("div", { class: differs ? "diff" : "" }, b)];
}

function figures(pair: HtmlPair, data: HtmlReportData): HTMLElement {
  const both = <T>(values: readonly [T, T], show: (value: T) => string) => [show(values[0]), show(values[1])] as const;
  const usage = (pick: (u: NonNullable<HtmlPair["usage"][number]>) => number | null) => both(pair.usage, (u) => (u ? num(pick(u)) : "–"));
  const timing = (pick: (t: NonNullable<HtmlPair["timings"][number]>) => number | null) => both(pair.timings, (t) => (t ? num(pick(t)) : "–"));
  const rows: Array<[string, readonly [string, string]]> = [
    ["Status", both(pair.status, (s) => (s === null ? "none" : String(s)))],
    ["Request bytes", [num(pair.bytes[0]), `${num(pair.bytes[1])} ${relative(pair.bytes[0], pair.bytes[1])}`.trim()]],
    ["Model", both(pair.model, (m) => m ?? "–")],
    ["Tools", both(pair.tools_count, (n) => num(n))],
    ["Messages", both(pair.message_count, (n) => num(n))],
    ["Prompt tokens", both(pair.usage, (u) => num(promptTokens(u)))],
    ["· uncached input", usage((u) => u.input_tokens)],
    ["· cache write", usage((u) => u.cache_creation_input_tokens)],
    ["· cache read", usage((u) => u.cache_read_input_tokens)],
    ["Output tokens", usage((u) => u.output_tokens)],
    ["Response headers, ms", timing((t) => t.response_headers_ms)],
    ["First byte, ms", timing((t) => t.first_byte_ms)],
    ["End, ms", timing((t) => t.end_ms)],
  ];
  if (pair.error.some(Boolean)) rows.push(["Error", both(pair.error, (e) => (e ? `${e.kind}: ${e.message}` : "–"))]);
  return h(
    "div",
    { class: "kv", id: "pair-figures" },
    h("div", { class: "h" }, ""),
    h("div", { class: "h" }, h("span", { class: "swatch direct" }), data.labels.direct),
    h("div", { class: "h" }, h("span", { class: "swatch headroom" }), data.labels.headroom),
    ...rows.flatMap(([label, [a, b]]) => kvRow(label, a, b)),
  );
}

function headers(pair: HtmlPair, data: HtmlReportData): HTMLElement {
  const view = pair.view;
  if (!view) {
    const names = [...pair.headers.only_direct.map((n) => `-${n}`), ...pair.headers.only_headroom.map((n) => `+${n}`), ...pair.headers.changed.map((n) => `~${n}`)];
    return h("p", { class: "muted" }, names.length ? names.join(" ") : "Same header names and values.");
  }
  const noise = new Set(pair.headers.noise.map((name) => name.toLowerCase()));
  const byName = new Map<string, { name: string; values: [string | null, string | null] }>();
  view.headers.forEach((list, side) => {
    for (const id of list) {
      const [name, value] = data.headers[id] ?? ["?", ""];
      const lower = name.toLowerCase();
      const entry = byName.get(lower) ?? { name, values: [null, null] };
      entry.values[side] = entry.values[side] === null ? value : `${entry.values[side]}, ${value}`;
      byName.set(lower, entry);
    }
  });
  const same: HTMLElement[] = [];
  const different: HTMLElement[] = [];
  for (const [lower, { name, values }] of byName) {
    const [a, b] = values;
    const isNoise = noise.has(lower);
    const state = a === b ? "same" : a === null || b === null ? "only" : "changed";
    const cls = isNoise ? "noise" : state === "same" ? "" : state;
    const cells = [
      h("div", { class: cls, title: isNoise ? "noise: differs between two direct runs too" : "" }, name),
      h("div", { class: a === null ? "missing" : cls }, a ?? "—"),
      h("div", { class: b === null ? "missing" : cls }, b ?? "—"),
    ];
    (state === "same" ? same : different).push(...cells);
  }
  return h(
    "div",
    { id: "pair-headers" },
    different.length ? h("div", { class: "hdrs" }, ...different) : h("p", { class: "muted" }, "No header differs."),
    same.length ? h("details", { class: "fold" }, h("summary", null, `${same.length / 3} identical headers`), h("div", { class: "hdrs" }, ...same)) : null,
  );
}

function valueOf(data: HtmlReportData, ref: [number, number] | null): ViewValue | undefined {
  if (!ref) return undefined;
  return data.elements[ref[1]]?.value ?? undefined;
}

function elementSize(data: HtmlReportData, ref: [number, number] | null): string {
  return ref ? bytes(data.elements[ref[1]]?.bytes ?? null) : "";
}

function missingValues(data: HtmlReportData): HTMLElement {
  const why = data.bodies.mode === "none" ? "this report was written with --html-bodies none" : "left out to keep the report within its size budget";
  return h("p", { class: "muted", style: "padding:6px 10px;margin:0" }, `Values not included (${why}).`);
}

function elementRow(data: HtmlReportData, arrayName: string, row: AlignedRow, noise: ReadonlySet<string>): HTMLElement {
  const open = row.state === "changed" || row.state === "only_direct" || row.state === "only_headroom";
  const side = (ref: [number, number] | null) =>
    ref
      ? h("div", null, h("span", { class: "mono" }, `${arrayName}[${ref[0]}]`), h("span", null, data.elements[ref[1]]?.label ?? ""), h("span", { class: "muted" }, elementSize(data, ref)))
      : h("div", { class: "muted" }, "—");
  const head = h("div", { class: "ehead" }, side(row.direct), side(row.headroom));
  const badge = h("span", { class: `badge ${row.state}` }, STATE_TEXT[row.state]);
  (head.firstChild as HTMLElement).append(badge);
  if (row.metadata) (head.firstChild as HTMLElement).append(h("span", { class: "badge meta" }, "metadata"));
  const element = h("div", { class: `erow ${row.state}${open ? "" : " folded"}${row.metadata ? " metadata" : ""}`, "data-state": row.state }, head);
  const body = () => {
    const a = valueOf(data, row.direct);
    const b = valueOf(data, row.headroom);
    if ((row.direct && a === undefined) || (row.headroom && b === undefined)) return missingValues(data);
    const index = (row.direct ?? row.headroom)?.[0] ?? 0;
    return renderJsonDiff(a, b, !open, { path: `$.${arrayName}[${index}]`, noise });
  };
  if (open) element.append(body());
  else {
    head.title = "unchanged — click to open";
    head.addEventListener("click", () => {
      if (element.classList.toggle("folded")) element.lastElementChild !== head && element.lastElementChild?.remove();
      else element.append(body());
    });
  }
  return element;
}

/** A run of unchanged rows as one folded line that opens into its rows. */
function foldedRun(data: HtmlReportData, arrayName: string, rows: AlignedRow[], noise: ReadonlySet<string>): HTMLElement {
  const first = rows[0] as AlignedRow;
  const last = rows[rows.length - 1] as AlignedRow;
  const range = (pick: (row: AlignedRow) => [number, number] | null) => {
    const a = pick(first)?.[0];
    const b = pick(last)?.[0];
    return a === b ? `[${a}]` : `[${a}–${b}]`;
  };
  const text = `${rows.length} unchanged ${arrayName === "messages" ? "messages" : arrayName === "tools" ? "tools" : "system blocks"}`;
  const element = h("div", { class: "erow folded run", "data-state": "same-run" });
  const head = h("div", { class: "ehead", title: "click to open" }, h("div", null, h("span", { class: "mono" }, `${arrayName}${range((r) => r.direct)}`), h("span", { class: "badge same" }, text)), h("div", null, h("span", { class: "mono" }, `${arrayName}${range((r) => r.headroom)}`)));
  head.addEventListener("click", () => element.replaceWith(...rows.map((row) => elementRow(data, arrayName, row, noise))));
  element.append(head);
  return element;
}

function arraySection(data: HtmlReportData, name: string, rows: AlignedRow[], noise: ReadonlySet<string>): HTMLElement | null {
  if (rows.length === 0) return null;
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const parts: HTMLElement[] = [];
  let run: AlignedRow[] = [];
  const flush = () => {
    if (run.length === 1) parts.push(elementRow(data, name, run[0] as AlignedRow, noise));
    else if (run.length > 1) parts.push(foldedRun(data, name, run, noise));
    run = [];
  };
  for (const row of rows) {
    if (row.state === "same") run.push(row);
    else {
      flush();
      parts.push(elementRow(data, name, row, noise));
    }
  }
  flush();
  const direct = rows.filter((row) => row.direct).length;
  const headroom = rows.filter((row) => row.headroom).length;
  const summary = [...counts].map(([state, n]) => `${n} ${STATE_TEXT[state as AlignedRow["state"]]}`).join(" · ");
  return h("section", { "data-array": name }, h("h3", null, `${name} (${direct} → ${headroom})`, h("span", { class: "muted", style: "font-weight:400;margin-left:10px" }, summary)), ...parts);
}

export function renderPairView(pair: HtmlPair, data: HtmlReportData): HTMLElement {
  const tools = [
    ...pair.tools_added.map((name) => `+${name}`),
    ...pair.tools_removed.map((name) => `-${name}`),
    pair.tools_reordered ? "reordered" : "",
  ].filter(Boolean);
  const view = pair.view;
  const noise = new Set(pair.json_noise);
  return h(
    "div",
    { class: "pair", "data-pair-view": String(pair.index) },
    h("h2", null, `Pair #${pair.index + 1} `, h("span", { class: "mono muted", style: "font-weight:400" }, pair.route)),
    h(
      "div",
      { class: "sub" },
      `${data.labels.direct}: seq ${pair.sequence[0] ?? "–"}, line ${pair.line[0]} · ${data.labels.headroom}: seq ${pair.sequence[1] ?? "–"}, line ${pair.line[1]}`,
      pair.conversation !== null ? ` · conversation ${pair.conversation}, turn ${pair.turn}` : "",
      pair.body_same === true ? " · bodies identical" : "",
      "  ",
      h("span", { class: "kbd" }, "j"),
      " / ",
      h("span", { class: "kbd" }, "k"),
      " next / previous",
    ),
    pair.warnings.length ? h("ul", { class: "warnings", id: "pair-warnings" }, ...pair.warnings.map((w) => h("li", null, w))) : null,
    figures(pair, data),
    tools.length ? h("p", null, "Tools: ", h("span", { class: "mono" }, tools.join(" "))) : null,
    h("h3", null, "Request headers"),
    headers(pair, data),
    h("h3", null, "Request body"),
    view === null
      ? h("p", { class: "muted" }, "The bodies of this pair could not be read back from the captures.")
      : h(
          "div",
          { id: "pair-body" },
          ...view.notes.map((note) => h("p", { class: "muted" }, note)),
          view.params[0] || view.params[1] ? h("section", { "data-array": "params" }, h("h3", null, "other members"), h("div", { class: "erow" }, renderJsonDiff(view.params[0] ?? undefined, view.params[1] ?? undefined, false, { path: "$", noise }))) : null,
          ...view.arrays.map(({ name, rows }) => arraySection(data, name, unpackRows(rows), noise)),
        ),
  );
}
