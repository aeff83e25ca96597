/**
 * The aggregate page's app: reads the data the CLI injected (html-aggregate.ts) and shows the
 * aggregate over many runs. Runs from file://, loads nothing.
 */
import type { HtmlAggregateData } from "../../src/html-aggregate-data.js";
import { renderAggregate } from "./aggregate-view.js";
import { readData } from "./data.js";
import { h } from "./dom.js";

function start(data: HtmlAggregateData): void {
  const app = document.getElementById("app") as HTMLElement;
  const { labels, bootstrap } = data.aggregate;
  const page = renderAggregate(data);
  app.append(
    h(
      "header",
      { class: "top" },
      h("h1", null, data.title),
      h("div", { class: "subtitle", id: "subtitle" }, data.subtitle),
      h(
        "div",
        { class: "meta" },
        h("span", { class: "swatch headroom" }),
        `${labels.headroom} vs `,
        h("span", { class: "swatch direct" }),
        `${labels.direct} · bootstrap ${bootstrap.resamples} resamples, seed ${bootstrap.seed} · ${data.generated_at}. Private like the reports it merges.`,
      ),
    ),
    page.element,
  );
  requestAnimationFrame(page.draw);
}

try {
  start(readData<HtmlAggregateData>());
} catch (error) {
  document.body.textContent = `This report could not be shown: ${error instanceof Error ? error.message : String(error)}`;
}
