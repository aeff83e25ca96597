import { describe, expect, it } from "vitest";
import { comparePairs, headerDelta, reordered } from "../src/compare.js";
import type { Exchange } from "../src/exchange.js";
import { createContext, normalizeRecord, type NormalizeContext } from "../src/normalize.js";
import { pairExchanges } from "../src/pair.js";
import { messagesBody, TOOLS, v1Record } from "./helpers.js";

function exchange(context: NormalizeContext, sequence: number, body: unknown, overrides: Record<string, unknown> = {}): Exchange {
  return normalizeRecord({ file: "f.jsonl", line: sequence, record: v1Record(sequence, body, overrides) }, context);
}

const PROXY = { url: "http://127.0.0.1:8787/v1/messages?beta=true", host: "127.0.0.1:8787" };

describe("pairing", () => {
  const context = createContext();
  const direct = [
    exchange(context, 1, { n: 1 }),
    exchange(context, 2, {}, { method: "GET", url: "https://api.anthropic.com/v1/models" }),
    exchange(context, 3, { n: 3 }),
    exchange(context, 4, { n: 4 }),
  ];
  const headroom = [exchange(context, 1, { n: 1 }, PROXY), exchange(context, 2, { n: 3 }, PROXY), exchange(context, 3, {}, { ...PROXY, url: "http://127.0.0.1:8787/health" })];

  it("by path (default): method + path with query, across hosts, in capture order within a key", () => {
    const { pairs, onlyDirect, onlyHeadroom } = pairExchanges(direct, headroom, "path");
    expect(pairs.map((p) => [p.direct.sequence, p.headroom.sequence])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(onlyDirect.map((e) => e.route)).toEqual(["GET api.anthropic.com/v1/models", "POST api.anthropic.com/v1/messages?beta=true"]);
    expect(onlyHeadroom.map((e) => e.route)).toEqual(["POST 127.0.0.1:8787/health"]);
  });

  it("by route: method + host + path, so different hosts do not pair", () => {
    const { pairs, onlyDirect, onlyHeadroom } = pairExchanges(direct, headroom, "route");
    expect(pairs).toEqual([]);
    expect(onlyDirect).toHaveLength(4);
    expect(onlyHeadroom).toHaveLength(3);
    const sameHost = [exchange(context, 9, { n: 1 })];
    expect(pairExchanges(direct, sameHost, "route").pairs.map((p) => p.direct.sequence)).toEqual([1]);
  });

  it("by model: a side request to another model, in a different place in each lane, does not shift the main turns", () => {
    const context = createContext();
    const main = (seq: number, turn: number, extra = {}) => exchange(context, seq, { model: "claude-opus", messages: [{ role: "user", content: `turn ${turn}` }] }, extra);
    const side = (seq: number, extra = {}) => exchange(context, seq, { model: "claude-haiku", messages: [{ role: "user", content: "title?" }] }, extra);
    const d = [main(1, 1), side(2), main(3, 2)];
    const h = [main(1, 1, PROXY), main(2, 2, PROXY), side(3, PROXY)];
    const byPath = pairExchanges(d, h, "path");
    expect(byPath.pairs.map((p) => [p.direct.sequence, p.headroom.sequence])).toEqual([[1, 1], [2, 2], [3, 3]]);
    const byModel = pairExchanges(d, h, "model");
    expect(byModel.pairs.map((p) => [p.direct.sequence, p.headroom.sequence])).toEqual([[1, 1], [2, 3], [3, 2]]);
    expect(byModel.pairs.every((p) => p.direct.anthropic.model === p.headroom.anthropic.model)).toBe(true);
  });

  it("treats a query difference as a different key", () => {
    const other = [exchange(context, 1, {}, { url: "https://api.anthropic.com/v1/messages" })];
    expect(pairExchanges(direct, other, "path").pairs).toEqual([]);
  });
});

describe("comparing a pair", () => {
  it("reports JSON paths only in direct, only in headroom and changed, in document order (a message with no counterpart as one path)", () => {
    const context = createContext();
    const d = exchange(context, 1, { model: "a", metadata: {}, messages: [{ content: "x" }, { content: "y" }], keep: [1, 2] });
    const h = exchange(context, 1, { model: "b", metadata: { user_id: "u" }, messages: [{ content: "x" }], keep: [1, 2], extra: [] });
    const [diff] = comparePairs(pairExchanges([d], [h], "path").pairs, context.paths);
    expect(diff?.json).toEqual({
      only_direct: ["$.metadata", "$.messages[1]"],
      only_headroom: ["$.metadata.user_id", "$.extra"],
      changed: ["$.model"],
      moved: [],
      noise: [],
      direct_is_json: true,
      headroom_is_json: true,
    });
  });

  it("shows tools 0 -> N with the tools' byte growth and names", () => {
    const context = createContext();
    const d = exchange(context, 1, messagesBody());
    const h = exchange(context, 1, messagesBody({ tools: TOOLS }));
    const [diff] = comparePairs([{ direct: d, headroom: h }], context.paths);
    expect(diff?.anthropic.direct.tools_count).toBe(0);
    expect(diff?.anthropic.headroom.tools_count).toBe(2);
    expect(diff?.anthropic.headroom.tools_bytes).toBeGreaterThan(100);
    expect(diff?.anthropic.tools_added).toEqual(["Read", "Bash"]);
    expect(diff?.anthropic.tools_removed).toEqual([]);
  });

  it("compares tools by name: added, removed, and reordered (a proxy sorting them)", () => {
    const context = createContext();
    const tool = (name: string) => ({ name, description: name, input_schema: { type: "object" } });
    const d = exchange(context, 1, messagesBody({ tools: [tool("Read"), tool("Bash"), tool("Edit")] }));
    const h = exchange(context, 1, messagesBody({ tools: [tool("Bash"), tool("Edit"), tool("Read"), tool("headroom_retrieve")] }));
    const same = exchange(context, 2, messagesBody({ tools: [tool("Read"), tool("Bash")] }));
    const [diff, unchanged] = comparePairs(
      [
        { direct: d, headroom: h },
        { direct: same, headroom: same },
      ],
      context.paths,
    );
    expect(diff?.anthropic).toMatchObject({ tools_added: ["headroom_retrieve"], tools_removed: [], tools_reordered: true });
    expect(unchanged?.anthropic).toMatchObject({ tools_added: [], tools_removed: [], tools_reordered: false });
    expect(reordered(["A", "B", "C"], ["A", "C"])).toBe(false);
    expect(reordered(["A", "B", "C"], ["C", "X", "A"])).toBe(true);
  });

  it("reports status, signed size delta, sha same/changed and usage per side", () => {
    const context = createContext();
    const d = exchange(context, 1, { a: 1 });
    const h = exchange(context, 1, { a: 1, b: 2 }, { response_status: 529, usage: null });
    const [diff] = comparePairs([{ direct: d, headroom: h }], context.paths);
    expect(diff?.status).toEqual({ direct: 200, headroom: 529 });
    expect(diff?.request_body_size).toEqual({ direct: 7, headroom: 13, delta: 6 });
    expect(diff?.request_body_sha256.same).toBe(false);
    expect(diff?.usage.direct?.cache_read_input_tokens).toBe(1000);
    expect(diff?.usage.headroom).toBeNull();
    const [same] = comparePairs([{ direct: d, headroom: d }], context.paths);
    expect(same?.request_body_sha256.same).toBe(true);
  });

  it("compares header names case-insensitively: only in one lane, or same name with a different value", () => {
    expect(
      headerDelta(
        [["Content-Type", "application/json"], ["X-Only-Direct", "1"], ["anthropic-beta", "a"], ["Accept", "*/*"]],
        [["content-type", "application/json"], ["anthropic-beta", "a,b"], ["x-headroom-proxy-token", "<redacted>"], ["accept", "*/*"]],
      ),
    ).toEqual({ only_direct: ["X-Only-Direct"], only_headroom: ["x-headroom-proxy-token"], changed: ["anthropic-beta"] });
  });

  it("leaves the path lists empty when a side has no JSON body, and says so", () => {
    const context = createContext();
    const d = exchange(context, 1, { a: 1 });
    const { request_json: _json, ...noJson } = v1Record(1, {});
    const h = normalizeRecord({ file: "h", line: 1, record: { ...noJson, request_body_b64: Buffer.from("plain text").toString("base64") } }, context);
    const [diff] = comparePairs([{ direct: d, headroom: h }], context.paths);
    expect(diff?.json).toEqual({ only_direct: [], only_headroom: [], changed: [], moved: [], noise: [], direct_is_json: true, headroom_is_json: false });
  });
});
