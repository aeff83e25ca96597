/**
 * Change templates across pairs: `$.messages[12].content[0].text` and `$.messages[40].content[1].text`
 * are both `$.messages[*].content[*].text`. Counting each template once per pair says what a
 * proxy does in every request ("changed in 38 pairs") in a list that does not grow with the
 * session, where the per-pair lists grow with the conversation.
 */
import type { PairDiff } from "./compare.js";

/** The kind of difference a template was seen as. */
export type TemplateKind = "only_direct" | "only_headroom" | "changed" | "moved" | "noise";

export interface JsonTemplate {
  template: string;
  kind: TemplateKind;
  /** Pairs with at least one path of this template and kind. */
  pairs: number;
  /** Paths of this template and kind over all pairs. */
  paths: number;
}

const INDEX = /\[\d+\]/g;
/** Bound on remembered templates (one entry per distinct path seen in a delta). */
const MEMO_LIMIT = 200_000;

const memo = new Map<string, string>();

/** `$.messages[3].content[0].text` -> `$.messages[*].content[*].text`; a move names its direct side's template. */
export function pathTemplate(path: string): string {
  let template = memo.get(path);
  if (template === undefined) {
    const arrow = path.indexOf(" -> ");
    template = (arrow === -1 ? path : path.slice(0, arrow)).replace(INDEX, "[*]");
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(path, template);
  }
  return template;
}

/**
 * Header names and JSON templates that differ between any two runs of the same task, whatever
 * the proxy does: Claude Code's per-session ids and per-request ids. Without a baseline they are
 * still reported as changes; the Markdown marks them "expected to vary".
 */
export const EXPECTED_TO_VARY = {
  json: new Set(["$.metadata.user_id"]),
  headers: new Set(["x-claude-code-session-id", "x-client-request-id", "x-request-id", "request-id", "x-stainless-retry-count", "x-stainless-timeout", "content-length"]),
};

/** Counts templates per kind across the pairs added to it. */
export class TemplateCounter {
  private readonly counts = new Map<string, JsonTemplate>();
  /** Expected-to-vary header names seen changed or only on one side, and in how many pairs. */
  readonly varyingHeaders = new Map<string, number>();

  add(diff: PairDiff): void {
    const { json, headers } = diff;
    const lists: Array<[TemplateKind, readonly string[]]> = [
      ["only_direct", json.only_direct],
      ["only_headroom", json.only_headroom],
      ["changed", json.changed],
      ["moved", json.moved],
      ["noise", json.noise],
    ];
    for (const [kind, paths] of lists) {
      if (paths.length === 0) continue;
      const inPair = new Set<string>();
      for (const path of paths) {
        const template = pathTemplate(path);
        const id = `${kind} ${template}`;
        let entry = this.counts.get(id);
        if (!entry) {
          entry = { template, kind, pairs: 0, paths: 0 };
          this.counts.set(id, entry);
        }
        entry.paths += 1;
        if (!inPair.has(id)) {
          inPair.add(id);
          entry.pairs += 1;
        }
      }
    }
    const names = new Set([...headers.only_direct, ...headers.only_headroom, ...headers.changed].map((name) => name.toLowerCase()));
    for (const name of names) if (EXPECTED_TO_VARY.headers.has(name)) this.varyingHeaders.set(name, (this.varyingHeaders.get(name) ?? 0) + 1);
  }

  /** Most frequent first; ties by kind, then template. */
  templates(): JsonTemplate[] {
    return [...this.counts.values()].sort((a, b) => b.pairs - a.pairs || a.kind.localeCompare(b.kind) || a.template.localeCompare(b.template));
  }
}
