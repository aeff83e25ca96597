/**
 * The pair list: filters (route, status, changed only, has warnings, search text) over a
 * virtualized list — only the rows in view exist in the DOM, so thousands of pairs scroll smoothly.
 */
import { isChanged, promptTokens, type HtmlPair, type HtmlReportData } from "./data.js";
import { bytes, h, num, relative } from "./dom.js";

const ROW_HEIGHT = 52;
/** Rows drawn above and below the visible ones. */
const OVERSCAN = 8;

function failed(pair: HtmlPair): boolean {
  return pair.status.some((status, i) => pair.error[i] !== null || status === null || status >= 400);
}

/** The text the search box looks in. */
function haystack(pair: HtmlPair): string {
  return [
    `#${pair.index + 1}`,
    pair.route,
    pair.headroom_route,
    ...pair.model,
    ...pair.status.map(String),
    ...pair.sequence.map((s) => `seq ${s}`),
    pair.conversation === null ? "" : `conversation ${pair.conversation} turn ${pair.turn}`,
    ...pair.tools_added,
    ...pair.tools_removed,
    ...pair.headers.only_direct,
    ...pair.headers.only_headroom,
    ...pair.headers.changed,
    ...pair.warnings,
  ]
    .join(" ")
    .toLowerCase();
}

export class PairList {
  readonly element: HTMLElement;
  private filtered: HtmlPair[];
  private selected: number | null = null;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly count: HTMLElement;
  private readonly texts: string[];
  private readonly controls: { route: HTMLSelectElement; status: HTMLSelectElement; changed: HTMLInputElement; warnings: HTMLInputElement; search: HTMLInputElement };

  constructor(
    private readonly data: HtmlReportData,
    private readonly onSelect: (pair: HtmlPair) => void,
  ) {
    this.filtered = data.pairs;
    this.texts = data.pairs.map(haystack);
    const routes = new Map<string, number>();
    for (const pair of data.pairs) routes.set(pair.route, (routes.get(pair.route) ?? 0) + 1);
    const onChange = () => this.applyFilters();
    this.controls = {
      route: h("select", { id: "filter-route", "aria-label": "Route", onchange: onChange }, h("option", { value: "" }, "All routes"), ...[...routes].map(([route, n]) => h("option", { value: route }, `${route} (${n})`))),
      status: h(
        "select",
        { id: "filter-status", "aria-label": "Status", onchange: onChange },
        h("option", { value: "" }, "Any status"),
        h("option", { value: "ok" }, "Both succeeded"),
        h("option", { value: "failed" }, "A side failed"),
      ),
      changed: h("input", { type: "checkbox", id: "filter-changed", onchange: onChange }),
      warnings: h("input", { type: "checkbox", id: "filter-warnings", onchange: onChange }),
      search: h("input", { type: "search", id: "filter-search", placeholder: "Search route, model, tool, header, #pair, seq N…  ( / )", oninput: onChange }),
    };
    this.count = h("span", { class: "count", id: "pair-count" });
    this.spacer = h("div", { class: "spacer" });
    this.scroller = h("div", { class: "vlist", id: "pair-list", tabindex: "0" }, this.spacer);
    this.scroller.addEventListener("scroll", () => this.draw());
    this.element = h(
      "div",
      { class: "side" },
      h(
        "div",
        { class: "filters" },
        this.controls.search,
        h("div", { class: "row" }, this.controls.route, this.controls.status),
        h(
          "div",
          { class: "row" },
          h("label", null, this.controls.changed, "changed only"),
          h("label", null, this.controls.warnings, "has warnings"),
          this.count,
        ),
      ),
      this.scroller,
    );
    this.applyFilters();
    new ResizeObserver(() => this.draw()).observe(this.scroller);
  }

  focusSearch(): void {
    this.controls.search.focus();
  }

  private applyFilters(): void {
    const { route, status, changed, warnings, search } = this.controls;
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    this.filtered = this.data.pairs.filter((pair) => {
      if (route.value && pair.route !== route.value) return false;
      if (status.value === "ok" && failed(pair)) return false;
      if (status.value === "failed" && !failed(pair)) return false;
      if (changed.checked && !isChanged(pair)) return false;
      if (warnings.checked && pair.warnings.length === 0) return false;
      const text = this.texts[pair.index] ?? "";
      return words.every((word) => text.includes(word));
    });
    this.count.textContent = `${num(this.filtered.length)} of ${num(this.data.pairs.length)} pairs`;
    this.spacer.style.height = `${this.filtered.length * ROW_HEIGHT}px`;
    this.draw(true);
  }

  private draw(force = false): void {
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.filtered.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const key = `${first}:${last}:${this.selected}`;
    if (!force && this.spacer.dataset.drawn === key) return;
    this.spacer.dataset.drawn = key;
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) rows.push(this.row(this.filtered[i] as HtmlPair, i));
    this.spacer.replaceChildren(...rows);
  }

  private row(pair: HtmlPair, position: number): HTMLElement {
    const [d, hr] = pair.bytes;
    const [pd, ph] = pair.usage.map(promptTokens);
    const status = pair.status[0] === pair.status[1] ? String(pair.status[0] ?? "none") : `${pair.status[0] ?? "none"} → ${pair.status[1] ?? "none"}`;
    const element = h(
      "div",
      { class: `prow${pair.index === this.selected ? " selected" : ""}`, "data-pair": String(pair.index), role: "button", onclick: () => this.select(pair.index) },
      h(
        "div",
        { class: "l1" },
        h("span", { class: "num" }, `#${pair.index + 1}`),
        pair.conversation !== null ? h("span", { class: "badge" }, `c${pair.conversation} · t${pair.turn}`) : null,
        h("span", { class: "route" }, pair.route),
        isChanged(pair) ? h("span", { class: "badge changed" }, "changed") : h("span", { class: "badge same" }, "same body"),
        pair.warnings.length > 0 ? h("span", { class: "badge warn", title: pair.warnings.join("\n") }, `⚠ ${pair.warnings.length}`) : null,
      ),
      h(
        "div",
        { class: "l2" },
        h("span", null, status),
        h("span", null, `${bytes(d)} → ${bytes(hr)} ${relative(d, hr)}`),
        pd !== null || ph !== null ? h("span", null, `prompt ${num(pd)} → ${num(ph)}`) : null,
      ),
    );
    element.style.top = `${position * ROW_HEIGHT}px`;
    return element;
  }

  /** Open a pair by its index in the report; keeps it in view. */
  select(index: number): void {
    const pair = this.data.pairs[index];
    if (!pair) return;
    this.selected = index;
    const position = this.filtered.indexOf(pair);
    if (position !== -1) {
      const top = position * ROW_HEIGHT;
      if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
      else if (top + ROW_HEIGHT > this.scroller.scrollTop + this.scroller.clientHeight) this.scroller.scrollTop = top + ROW_HEIGHT - this.scroller.clientHeight;
    }
    this.draw(true);
    this.onSelect(pair);
  }

  /** Move to the next (+1) or previous (-1) pair of the filtered list. */
  move(step: number): void {
    if (this.filtered.length === 0) return;
    const current = this.selected === null ? -1 : this.filtered.findIndex((pair) => pair.index === this.selected);
    const next = current === -1 ? (step > 0 ? 0 : this.filtered.length - 1) : Math.min(this.filtered.length - 1, Math.max(0, current + step));
    this.select((this.filtered[next] as HtmlPair).index);
  }
}
