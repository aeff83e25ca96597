/**
 * Two JSON values side by side, line by line: equal subtrees folded (click to open), changed
 * leaves highlighted, a key present on one side only shown against a hatched gap, and two long
 * strings shown as a word diff (jsdiff). Strings the report cut carry their head, tail, length and a
 * hash of the whole, so equality stays exact.
 */
import { diffWordsWithSpace } from "diff";
import type { TruncatedText, ViewValue } from "./data.js";
import { h, num } from "./dom.js";

/** Strings at least this long (or with a newline) are compared as text. */
const TEXT_FROM = 60;
/** Texts longer than this are compared whole, not word by word (jsdiff is quadratic in the worst case). */
const WORD_DIFF_LIMIT = 30_000;

type Value = ViewValue | undefined;

interface Line {
  depth: number;
  left: Node | null;
  right: Node | null;
  leftClass?: string;
  rightClass?: string;
  /** Replaces this line with the returned lines when clicked (a folded subtree). */
  unfold?: () => Line[];
}

export function isCut(value: Value): value is TruncatedText {
  return value !== null && typeof value === "object" && !Array.isArray(value) && typeof (value as { $cut?: unknown }).$cut === "string";
}

function isContainer(value: Value): value is ViewValue[] | { [key: string]: ViewValue } {
  return value !== null && typeof value === "object" && !isCut(value);
}

export function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (isCut(a) || isCut(b)) return isCut(a) && isCut(b) && a.hash === b.hash && a.length === b.length;
  if (!isContainer(a) || !isContainer(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as ViewValue[];
    return a.length === other.length && a.every((item, i) => sameValue(item, other[i]));
  }
  const x = a as Record<string, ViewValue>;
  const y = b as Record<string, ViewValue>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((key) => key in y && sameValue(x[key], y[key]));
}

/** The text a string stands for: itself, or a cut string's head … tail. */
function textOf(value: string | TruncatedText): string {
  return typeof value === "string" ? value : `${value.$cut}\n… ${num(value.length - value.$cut.length - value.tail.length)} characters cut …\n${value.tail}`;
}

function isText(value: Value): value is string | TruncatedText {
  return typeof value === "string" || isCut(value);
}

function scalar(value: Value): Node {
  if (value === undefined) return document.createTextNode("");
  if (isText(value)) {
    const text = textOf(value);
    return h("span", { class: "str" }, JSON.stringify(text).slice(0, -1).replace(/\\n/g, "\n") + '"');
  }
  if (typeof value === "number") return h("span", { class: "num" }, String(value));
  return h("span", { class: "lit" }, String(value));
}

function keyed(key: string | null, ...rest: Array<Node | string>): Node {
  const span = h("span");
  if (key !== null) span.append(h("span", { class: "key" }, key), ": ");
  span.append(...rest);
  return span;
}

function summary(value: ViewValue[] | { [key: string]: ViewValue }): string {
  if (Array.isArray(value)) return `[…] ${value.length} item${value.length === 1 ? "" : "s"}`;
  const keys = Object.keys(value);
  return `{…} ${keys.length} key${keys.length === 1 ? "" : "s"}`;
}

function entries(value: ViewValue[] | { [key: string]: ViewValue }): Array<[string, ViewValue]> {
  return Array.isArray(value) ? value.map((item, i) => [String(i), item]) : Object.entries(value);
}

/** A value's lines on one side (the other side's cells empty or mirrored). */
function valueLines(key: string | null, value: ViewValue, depth: number, side: "left" | "right" | "both", cls?: string): Line[] {
  const line = (content: Node): Line => ({
    depth,
    left: side === "right" ? null : content,
    right: side === "left" ? null : side === "both" ? content.cloneNode(true) : content,
    leftClass: side === "right" ? "none" : cls,
    rightClass: side === "left" ? "none" : cls,
  });
  if (!isContainer(value)) return [line(keyed(key, scalar(value)))];
  const open = Array.isArray(value) ? "[" : "{";
  const close = Array.isArray(value) ? "]" : "}";
  const items = entries(value);
  if (items.length === 0) return [line(keyed(key, open + close))];
  return [line(keyed(key, open)), ...items.flatMap(([k, v]) => valueLines(Array.isArray(value) ? null : k, v, depth + 1, side, cls)), line(h("span", null, close))];
}

/** Two different texts as a word diff: the left shows what was removed, the right what was added. */
function textLines(key: string | null, a: string | TruncatedText, b: string | TruncatedText, depth: number): Line[] {
  const x = textOf(a);
  const y = textOf(b);
  const left = h("span", { class: "str" });
  const right = h("span", { class: "str" });
  if (x.length + y.length > WORD_DIFF_LIMIT) {
    left.append(h("del", null, x));
    right.append(h("ins", null, y));
  } else {
    for (const part of diffWordsWithSpace(x, y)) {
      if (part.added) right.append(h("ins", null, part.value));
      else if (part.removed) left.append(h("del", null, part.value));
      else {
        left.append(part.value);
        right.append(part.value);
      }
    }
  }
  const meta = (value: string | TruncatedText) => h("span", { class: "cut" }, ` (${num(typeof value === "string" ? value.length : value.length)} chars)`);
  return [{ depth, left: keyed(key, left, meta(a)), right: keyed(key, right, meta(b)), leftClass: "chg", rightClass: "chg" }];
}

/** Where a diff sits in the request body, and the paths the report classed as noise (--baseline). */
export interface DiffPlace {
  /** JSON path of the compared values, e.g. `$` or `$.messages[3]` (direct-lane indexes). */
  path: string;
  noise: ReadonlySet<string>;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The analyzer's path syntax: `.key`, `["odd key"]`, `[3]`. */
function childPath(path: string, key: string, inArray: boolean): string {
  if (inArray) return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Lines of a difference the report classed as noise: greyed out instead of highlighted. */
function asNoise(lines: Line[]): Line[] {
  return lines.map((line) => ({ ...line, leftClass: line.left ? "noise" : line.leftClass, rightClass: line.right ? "noise" : line.rightClass }));
}

/** The lines of `a` against `b` under `key`. */
function diffLines(key: string | null, a: Value, b: Value, depth: number, place: DiffPlace): Line[] {
  const lines = diffLinesOf(key, a, b, depth, place);
  return place.noise.has(place.path) && !sameValue(a, b) ? asNoise(lines) : lines;
}

function diffLinesOf(key: string | null, a: Value, b: Value, depth: number, place: DiffPlace): Line[] {
  if (a === undefined && b === undefined) return [];
  if (b === undefined) return valueLines(key, a as ViewValue, depth, "left", "del");
  if (a === undefined) return valueLines(key, b, depth, "right", "ins");
  if (sameValue(a, b)) {
    if (!isContainer(a)) return valueLines(key, a, depth, "both");
    const folded = keyed(key, h("span", null, summary(a)));
    return [{ depth, left: folded, right: folded.cloneNode(true), leftClass: "fold", rightClass: "fold", unfold: () => valueLines(key, a, depth, "both") }];
  }
  if (isText(a) && isText(b) && (textOf(a).length >= TEXT_FROM || textOf(b).length >= TEXT_FROM || /\n/.test(textOf(a) + textOf(b)))) {
    return textLines(key, a, b, depth);
  }
  if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
    const open = Array.isArray(a) ? "[" : "{";
    const close = Array.isArray(a) ? "]" : "}";
    const keys = Array.isArray(a)
      ? Array.from({ length: Math.max(a.length, (b as ViewValue[]).length) }, (_, i) => String(i))
      : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    const get = (value: typeof a, k: string): Value => (Array.isArray(value) ? value[Number(k)] : (value as Record<string, ViewValue>)[k]);
    return [
      { depth, left: keyed(key, open), right: keyed(key, open) },
      ...keys.flatMap((k) => diffLines(Array.isArray(a) ? null : k, get(a, k), get(b, k), depth + 1, { ...place, path: childPath(place.path, k, Array.isArray(a)) })),
      { depth, left: h("span", null, close), right: h("span", null, close) },
    ];
  }
  if (!isContainer(a) && !isContainer(b)) return [{ depth, left: keyed(key, scalar(a)), right: keyed(key, scalar(b)), leftClass: "chg", rightClass: "chg" }];
  return [...valueLines(key, a, depth, "left", "del"), ...valueLines(key, b, depth, "right", "ins")];
}

function renderLines(grid: HTMLElement, lines: Line[], before: Node | null): void {
  for (const line of lines) {
    const cells = [line.left, line.right].map((content, i) => {
      const cls = i === 0 ? line.leftClass : line.rightClass;
      const div = h("div", { class: cls ?? (content ? "" : "none") });
      div.style.paddingLeft = `${10 + line.depth * 16}px`;
      if (content) div.append(content);
      return div;
    });
    if (line.unfold) {
      const open = () => {
        const next = cells[1]?.nextSibling ?? null;
        cells.forEach((cell) => cell.remove());
        renderLines(grid, line.unfold?.() ?? [], next);
      };
      cells.forEach((cell) => {
        cell.title = "unchanged — click to open";
        cell.addEventListener("click", open);
      });
    }
    for (const cell of cells) grid.insertBefore(cell, before);
  }
}

/**
 * A side-by-side JSON diff of `a` (direct) and `b` (headroom); `open` shows an equal value
 * unfolded; differences at a noise path are greyed out.
 */
export function renderJsonDiff(a: Value, b: Value, open = false, place: DiffPlace = { path: "$", noise: new Set() }): HTMLElement {
  const grid = h("div", { class: "jdiff" });
  let lines: Line[];
  if (open && a !== undefined && sameValue(a, b)) lines = valueLines(null, a, 0, "both");
  else if (isContainer(a) && isContainer(b) && !Array.isArray(a) && !Array.isArray(b)) {
    // The top level of two objects always open: a folded `{…}` alone says nothing.
    lines = [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((key) => diffLines(key, a[key], b[key], 0, { ...place, path: childPath(place.path, key, false) }));
  } else lines = diffLines(null, a, b, 0, place);
  renderLines(grid, lines, null);
  return grid;
}
