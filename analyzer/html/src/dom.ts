/** Small DOM and number helpers shared by the page's views. */

type Child = Node | string | number | null | undefined | false;

/** Create an element: `h("div", { class: "x" }, child, …)`; attributes starting with `on` are listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value as EventListener);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** A figure as shown: integers with thousands separators, others to 0.1; `–` for unknown. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Number.isInteger(value) ? integer.format(value) : decimal.format(value);
}

/** A signed difference: `+1,234`, `-56`, `0`. */
export function signed(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value > 0 ? `+${num(value)}` : num(value);
}

/** A ratio 0..1 as a percentage to 0.01. */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return `${(value * 100).toFixed(2)} %`;
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (Math.abs(value) < 1024) return `${value} B`;
  if (Math.abs(value) < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
  return `${(value / 1024 / 1024).toFixed(1)} MB`;
}

/** Relative change from a to b as `-12.3 %`; empty when a is 0 or unknown. */
export function relative(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || a === 0) return "";
  const change = ((b - a) / a) * 100;
  return `${change > 0 ? "+" : ""}${change.toFixed(1)} %`;
}

/** The verdict's Markdown (bold and code spans) as DOM nodes; no HTML is parsed. */
export function verdictNodes(text: string): Node[] {
  return text
    .split(/(\*\*[^*]+\*\*|`+[^`]*`+)/)
    .filter(Boolean)
    .map((part) => {
      if (part.startsWith("**")) return h("strong", null, part.slice(2, -2));
      if (part.startsWith("`")) return h("code", null, part.replace(/^`+ ?| ?`+$/g, ""));
      return document.createTextNode(part);
    });
}
