/**
 * The HTML report's app: reads the data the CLI injected, shows the overview or the pairs, and
 * wires the keyboard (j / k next / previous pair, / search). Runs from file://, loads nothing.
 */
import { readData, type HtmlReportData } from "./data.js";
import { h } from "./dom.js";
import { renderOverview } from "./overview.js";
import { PairList } from "./pair-list.js";
import { renderPairView } from "./pair-view.js";

function start(data: HtmlReportData): void {
  const app = document.getElementById("app") as HTMLElement;
  const view = h("div", { class: "view", id: "pair-view" }, h("div", { class: "empty" }, "Pick a pair on the left, or press j."));
  const list = new PairList(data, (pair) => {
    view.replaceChildren(renderPairView(pair, data));
    view.scrollTop = 0;
    history.replaceState(null, "", `#pair-${pair.index + 1}`);
  });
  const pairs = h("div", { class: "pairs", id: "pairs" }, list.element, h("div", { class: "side" }, view));
  let overview: HTMLElement | null = null;
  const main = h("main");
  const tabs = {
    overview: h("button", { id: "tab-overview", onclick: () => show("overview") }, "Overview"),
    pairs: h("button", { id: "tab-pairs", onclick: () => show("pairs") }, `Pairs (${data.pairs.length})`),
  };
  function show(which: "overview" | "pairs"): void {
    tabs.overview.classList.toggle("active", which === "overview");
    tabs.pairs.classList.toggle("active", which === "pairs");
    if (which === "overview") {
      overview ??= renderOverview(data, (index) => {
        show("pairs");
        list.select(index);
      });
      main.replaceChildren(overview);
      if (location.hash.startsWith("#pair")) history.replaceState(null, "", "#overview");
    } else {
      main.replaceChildren(pairs);
    }
  }
  const bodies = data.bodies.mode === "none" ? "no request content" : data.bodies.mode === "all" ? "all request content" : "content of changed elements";
  app.append(
    h(
      "header",
      { class: "top" },
      h("h1", null, data.title),
      h(
        "div",
        { class: "meta" },
        h("span", { class: "swatch direct" }),
        `${data.labels.direct} `,
        h("code", null, data.inputs.direct),
        "  vs  ",
        h("span", { class: "swatch headroom" }),
        `${data.labels.headroom} `,
        h("code", null, data.inputs.headroom),
        ` · paired by ${data.pair_by} · ${data.generated_at} · ${bodies}. Private like the captures: it holds prompt text.`,
      ),
      h("nav", { class: "tabs" }, tabs.overview, tabs.pairs),
    ),
    main,
  );
  document.addEventListener("keydown", (event) => {
    const target = event.target as HTMLElement | null;
    if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j" || event.key === "k") {
      if (!tabs.pairs.classList.contains("active")) show("pairs");
      list.move(event.key === "j" ? 1 : -1);
      event.preventDefault();
    } else if (event.key === "/") {
      show("pairs");
      list.focusSearch();
      event.preventDefault();
    }
  });
  const wanted = /^#pair-(\d+)$/.exec(location.hash);
  if (wanted) {
    show("pairs");
    list.select(Number(wanted[1]) - 1);
  } else {
    show("overview");
  }
}

try {
  start(readData());
} catch (error) {
  document.body.textContent = `This report could not be shown: ${error instanceof Error ? error.message : String(error)}`;
}
