/**
 * The aggregate page: the verdict, the per-metric table (the aggregate JSON's own numbers; each
 * cell carries its exact value in `data-value` and its place in the JSON in `data-field`, as the
 * network-diff page does), the gates, each run against the interval per metric, the per-scenario
 * tables, and the list of merged reports with their key figures.
 */
import type { Chart } from "chart.js";
import type { MetricResult } from "../../src/aggregate.js";
import { deltaText, deltaUnit, figure, verdictText } from "../../src/aggregate-text.js";
import type { HtmlAggregateData, HtmlAggregateRun } from "../../src/html-aggregate-data.js";
import { chartCanvas, intervalCaption, intervalChart, pointCounts, scenarioOf, scenarioShapes, stripChart, type RunFilter } from "./aggregate-charts.js";
import { h, verdictNodes } from "./dom.js";

type Arm = "direct" | "headroom";

/** A figure's cell: the text as the Markdown shows it, the exact value and its JSON path for checks. */
function figureCell(field: string, value: number | null | undefined, text = figure(value ?? null)): HTMLTableCellElement {
  const exact = value === null || value === undefined ? "null" : String(value);
  return h("td", { "data-field": field, "data-value": exact, title: exact === "null" ? "not counted" : exact }, text);
}

function rowSpan(cell: HTMLTableCellElement, rows: number): HTMLTableCellElement {
  cell.rowSpan = rows;
  return cell;
}

/** A figure inline (intervals, captions): a span with the same hooks as a cell. */
function figureSpan(field: string, value: number | null, text: string): HTMLSpanElement {
  return h("span", { "data-field": field, "data-value": value === null ? "null" : String(value) }, text);
}

function metricTitle(name: string, metric: MetricResult): HTMLElement {
  return h("span", { title: metric.description }, `${name.replace(/_/g, " ")} `, h("span", { class: "muted" }, `(${metric.unit})`));
}

function verdictClass(metric: MetricResult): string {
  return metric.verdict === "better" ? "verdict-cell better" : metric.verdict === "worse" ? "verdict-cell worse" : "verdict-cell";
}

function intervalCell(base: string, metric: MetricResult, rows: number): HTMLTableCellElement {
  const { ci_low: low, ci_high: high } = metric.delta;
  if (low === null || high === null) return h("td", { rowspan: rows, "data-field": `${base}.delta.ci_low`, "data-value": "null" }, "-");
  return h("td", { rowspan: rows }, "[", figureSpan(`${base}.delta.ci_low`, low, deltaText(metric, low)), ", ", figureSpan(`${base}.delta.ci_high`, high, deltaText(metric, high)), "]");
}

function equivalenceCell(base: string, metric: MetricResult, rows: number): HTMLTableCellElement {
  const equivalence = metric.equivalence;
  if (!equivalence) return h("td", { rowspan: rows, class: "equivalence muted" }, metric.delta_kind === "absolute" ? "not tested (a count)" : "not tested");
  const claim = equivalence.equivalent === null ? "cannot be judged" : equivalence.equivalent ? `equivalent within ±${figure(equivalence.margin)}${deltaUnit(metric)}` : "not shown equivalent";
  const interval =
    equivalence.ci_low === null || equivalence.ci_high === null
      ? []
      : [" [", figureSpan(`${base}.equivalence.ci_low`, equivalence.ci_low, deltaText(metric, equivalence.ci_low)), ", ", figureSpan(`${base}.equivalence.ci_high`, equivalence.ci_high, deltaText(metric, equivalence.ci_high)), "]"];
  return h("td", { rowspan: rows, class: "equivalence", "data-equivalent": String(equivalence.equivalent), "data-metric": base }, claim, ...interval);
}

/** The per-metric table: one row per arm (one for per-run metrics) with mean, median, sd, n, not counted; the difference, its interval and the verdict span the rows. */
function metricsTable(data: HtmlAggregateData, metrics: Record<string, MetricResult>, base: string, id: string): HTMLTableElement {
  const { labels, confidence, equivalence_margin_pct: margin } = data.aggregate;
  const head = ["Metric", "Arm", "mean", "median", "sd", "n", "not counted", "Δ", `${Math.round(confidence * 100)} % interval`, "Verdict", ...(margin === null ? [] : ["Equivalence (TOST, 90 %)"])];
  const textColumns = new Set(["Metric", "Arm", "Verdict", "Equivalence (TOST, 90 %)"]);
  const body = h("tbody");
  for (const [name, metric] of Object.entries(metrics)) {
    const field = `${base}.${name}`;
    const arms: Array<["direct" | "headroom" | "run", string]> = metric.run ? [["run", "per run"]] : [["direct", labels.direct], ["headroom", labels.headroom]];
    arms.forEach(([side, label], index) => {
      const figures = metric[side];
      const row = h("tr", { "data-metric": name, class: index === 0 ? "first" : "" });
      if (index === 0) row.append(h("td", { rowspan: arms.length, class: "metric" }, metricTitle(name, metric)));
      row.append(
        h("td", { class: "arm" }, side === "run" ? null : h("span", { class: `swatch ${side}` }), label),
        figureCell(`${field}.${side}.mean`, figures?.mean),
        figureCell(`${field}.${side}.median`, figures?.median),
        figureCell(`${field}.${side}.sd`, figures?.sd),
        figureCell(`${field}.${side}.n`, figures?.n),
        figureCell(`${field}.${side}.not_counted`, figures?.not_counted),
      );
      if (index === 0) {
        row.append(
          rowSpan(figureCell(`${field}.delta.value`, metric.delta.value, deltaText(metric)), arms.length),
          intervalCell(field, metric, arms.length),
          h("td", { rowspan: arms.length, class: verdictClass(metric), "data-verdict": name }, verdictText(metric)),
        );
        if (margin !== null) row.append(equivalenceCell(field, metric, arms.length));
      }
      body.append(row);
    });
  }
  return h("table", { class: "figures aggregate", id, "data-table": base }, h("thead", null, h("tr", null, ...head.map((text) => h("th", { class: textColumns.has(text) ? "text" : null }, text)))), body);
}

function gatesCard(data: HtmlAggregateData): HTMLElement | null {
  const gates = data.aggregate.gates;
  if (gates.length === 0) return null;
  const failed = gates.filter((gate) => gate.failed).length;
  return h(
    "section",
    { class: "card", id: "gates" },
    h("h2", null, "Gates"),
    h("p", { class: failed ? "gate-headline failed" : "gate-headline" }, failed ? `${failed} of ${gates.length} gates failed.` : `All ${gates.length} gates passed.`, h("span", { class: "muted" }, " A gate fails when its condition holds or its value could not be counted.")),
    h(
      "table",
      { class: "figures gates" },
      h("thead", null, h("tr", null, h("th", null, "Gate"), h("th", null, "Value"), h("th", null, "Result"))),
      h(
        "tbody",
        null,
        ...gates.map((gate, index) =>
          h(
            "tr",
            { "data-gate": String(index) },
            h("td", null, h("code", null, gate.expr)),
            figureCell(`gates.${index}.value`, gate.value, gate.value === null ? "not counted" : figure(gate.value)),
            h("td", { class: gate.failed ? "gate failed" : "gate passed" }, gate.failed ? "FAILED" : "passed"),
          ),
        ),
      ),
    ),
  );
}

/** Which dot shape is which scenario, when the runs hold several. */
function shapesKey(data: HtmlAggregateData): HTMLElement | null {
  const shapes = scenarioShapes(data.runs);
  if (shapes.length === 0) return null;
  return h("p", { class: "shapes", id: "shapes" }, "Scenarios: ", ...shapes.flatMap(({ scenario, mark }) => [h("span", { class: "mark" }, mark), ` ${scenario}  `]));
}

/** One metric's panel: the strip of runs per arm, the interval, a caption; `draw` makes its charts once it is in the page. */
function metricPanel(data: HtmlAggregateData, name: string, metric: MetricResult, counts: number[], shown: RunFilter): { element: HTMLElement; draw: () => Chart[] } {
  const strip = chartCanvas(`${name}: each run's value per arm`);
  const interval = chartCanvas(`${name}: difference with its interval`);
  const intervalBox = h("div", { class: "chart-box interval", "data-chart": "interval", "data-metric": name }, interval);
  const element = h(
    "div",
    { class: "metric-panel", "data-panel": name },
    h("h3", null, metricTitle(name, metric)),
    h("div", { class: "chart-box strip", "data-chart": "strip", "data-metric": name, "data-points": counts.join(",") }, strip),
    intervalBox,
    h("p", { class: `caption ${verdictClass(metric)}` }, intervalCaption(metric)),
  );
  const draw = () => {
    const drawn = [stripChart(strip, data, name, metric, shown)];
    const chart = intervalChart(interval, data, metric);
    if (chart) drawn.push(chart);
    else intervalBox.replaceChildren(h("div", { class: "empty" }, "No interval: fewer than two runs with the figure in an arm."));
    return drawn;
  };
  return { element, draw };
}

/**
 * One panel per metric with values, for all runs or (picker) one scenario's: a scenario's panels
 * show its own runs and its own interval, as its table does.
 */
function chartsCard(data: HtmlAggregateData): { element: HTMLElement; draw: () => void } {
  const groups = data.aggregate.groups ?? {};
  const grid = h("div", { class: "grid2", id: "metric-panels" });
  const uncounted = h("p", { class: "muted", id: "uncounted" });
  const picker =
    Object.keys(groups).length > 0
      ? h(
          "select",
          { id: "chart-scope", "aria-label": "Runs shown" },
          h("option", { value: "" }, `All ${data.aggregate.runs} runs`),
          ...Object.entries(groups).map(([name, group]) => h("option", { value: name }, `Scenario ${name} (${group.runs} ${group.runs === 1 ? "run" : "runs"})`)),
        )
      : null;
  let charts: Chart[] = [];
  const draw = () => {
    for (const chart of charts.splice(0)) chart.destroy();
    const scope = picker?.value ?? "";
    const metrics = scope ? (groups[scope]?.metrics ?? {}) : data.aggregate.metrics;
    const shown: RunFilter = scope ? (run) => scenarioOf(run) === scope : () => true;
    const panels: Array<ReturnType<typeof metricPanel>> = [];
    const none: string[] = [];
    for (const [name, metric] of Object.entries(metrics)) {
      const counts = pointCounts(name, metric, data.runs, shown);
      if (counts.every((count) => count === 0)) none.push(name.replace(/_/g, " "));
      else panels.push(metricPanel(data, name, metric, counts, shown));
    }
    grid.replaceChildren(...panels.map((panel) => panel.element));
    uncounted.textContent = none.length ? `Not counted in any run: ${none.join(", ")}.` : "";
    charts = panels.flatMap((panel) => panel.draw());
  };
  picker?.addEventListener("change", draw);
  const element = h(
    "section",
    { class: "card", id: "charts" },
    h("div", { class: "chart-controls" }, h("h2", { style: "margin:0" }, "Each run against the interval"), picker),
    h(
      "p",
      { class: "muted" },
      "Dots: one per run and arm (hover for the report); black bar: the arm's mean. Below: the difference with its 95 % bootstrap interval; dashed: zero",
      data.aggregate.equivalence_margin_pct === null ? "" : ", and the equivalence margin with the 90 % interval (TOST)",
      ". An interval that holds zero is within run-to-run noise.",
    ),
    shapesKey(data),
    grid,
    uncounted,
  );
  return { element, draw };
}

/** The run list's figures: prompt tokens with the run's own difference, then the others that any run counted. */
const RUN_METRICS: Array<{ name: string; label: string }> = [
  { name: "prompt_tokens", label: "Prompt tokens" },
  { name: "cost", label: "Cost, USD" },
  { name: "cache_hit", label: "Cache hit, %" },
  { name: "output_tokens", label: "Output tokens" },
  { name: "errors", label: "Errors" },
  { name: "first_byte_ms", label: "First byte, ms (median)" },
];

function runValue(run: HtmlAggregateRun, name: string, arm: Arm): number | null {
  const value = run.values[name]?.[arm];
  return typeof value === "number" ? value : null;
}

function runsCard(data: HtmlAggregateData): HTMLElement {
  const shown = RUN_METRICS.filter(({ name }) => data.runs.some((run) => runValue(run, name, "direct") !== null || runValue(run, name, "headroom") !== null));
  const scenarios = data.runs.some((run) => run.scenario !== null);
  const { labels } = data.aggregate;
  const arms = (suffix: string[] = []) => [h("th", null, labels.direct), h("th", null, labels.headroom), ...suffix.map((text) => h("th", null, text))];
  const head = h(
    "thead",
    null,
    h(
      "tr",
      null,
      h("th", { rowspan: 2 }, "#"),
      h("th", { rowspan: 2, class: "text" }, "Report"),
      scenarios ? h("th", { rowspan: 2, class: "text" }, "Scenario") : null,
      ...shown.map(({ name, label }) => h("th", { colspan: name === "prompt_tokens" ? 3 : 2, class: "group" }, label)),
    ),
    h("tr", null, ...shown.flatMap(({ name }) => arms(name === "prompt_tokens" ? ["Δ"] : []))),
  );
  const rows = data.runs.map((run, index) => {
    const cells: HTMLTableCellElement[] = [];
    for (const { name } of shown) {
      const direct = runValue(run, name, "direct");
      const headroom = runValue(run, name, "headroom");
      cells.push(h("td", { "data-run-metric": `${name}.direct`, "data-value": String(direct) }, figure(direct)), h("td", { "data-run-metric": `${name}.headroom`, "data-value": String(headroom) }, figure(headroom)));
      if (name === "prompt_tokens") {
        const delta = direct === null || headroom === null || direct === 0 ? null : ((headroom - direct) / direct) * 100;
        cells.push(h("td", { class: `delta ${delta === null ? "" : delta < 0 ? "down" : delta > 0 ? "up" : ""}` }, delta === null ? "-" : `${delta > 0 ? "+" : ""}${figure(delta)} %`));
      }
    }
    const report = run.html ? h("a", { href: run.html, title: "this run's HTML report" }, run.file) : run.file;
    return h("tr", { "data-run": String(index) }, h("td", null, String(index + 1)), h("td", { class: "file" }, h("code", null, report), run.generated_at ? h("div", { class: "muted small" }, run.generated_at) : null), scenarios ? h("td", { class: "text" }, run.scenario ?? "(none)") : null, ...cells);
  });
  return h(
    "section",
    { class: "card", id: "runs" },
    h("h2", null, `Runs (${data.runs.length})`),
    h("p", { class: "muted" }, "The merged reports in the order read, with their own figures; a report opens its run's HTML report where one lies beside it."),
    h("div", { class: "scroll-x" }, h("table", { class: "figures runs" }, head, h("tbody", null, ...rows))),
  );
}

function scenarioSections(data: HtmlAggregateData): HTMLElement[] {
  return Object.entries(data.aggregate.groups ?? {}).map(([name, group]) =>
    h(
      "section",
      { class: "card scenario", "data-scenario": name },
      h("h2", null, `Scenario ${name} (${group.runs} ${group.runs === 1 ? "run" : "runs"})`),
      h("p", { class: "verdict" }, ...verdictNodes(data.group_verdicts[name] ?? "")),
      h("div", { class: "scroll-x" }, metricsTable(data, group.metrics, `groups.${name}.metrics`, `metrics-${name}`)),
    ),
  );
}

/** The whole page; charts are drawn once the page is laid out. */
export function renderAggregate(data: HtmlAggregateData): { element: HTMLElement; draw: () => void } {
  const { aggregate } = data;
  const charts = chartsCard(data);
  const element = h(
    "main",
    { id: "aggregate" },
    h(
      "section",
      { class: "card" },
      h("p", { class: "verdict", id: "verdict" }, ...verdictNodes(data.verdict)),
      h("p", { class: "muted", id: "method" }, data.method),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", null, "Per metric"),
      h("p", { class: "muted" }, "Runs: ", h("span", { "data-field": "runs", "data-value": String(aggregate.runs) }, String(aggregate.runs)), aggregate.groups ? ` in ${Object.keys(aggregate.groups).length} scenario(s), resampled within each.` : "."),
      h("div", { class: "scroll-x" }, metricsTable(data, aggregate.metrics, "metrics", "metrics")),
    ),
    gatesCard(data),
    aggregate.warnings.length
      ? h("section", { class: "card" }, h("h2", null, `Warnings (${aggregate.warnings.length})`), h("ul", { class: "warnings" }, ...aggregate.warnings.map((warning) => h("li", null, warning))))
      : null,
    charts.element,
    ...scenarioSections(data),
    runsCard(data),
  );
  return { element, draw: charts.draw };
}
