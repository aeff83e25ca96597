/**
 * The proxy's own account: its x-headroom-* headers read from the captures, set beside the bytes and the bill,
 * disagreements above the tolerance flagged, changed tool results named by tool and attributed to transforms.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Exchange } from "../src/exchange.js";
import { createContext, normalizeRecord } from "../src/normalize.js";
import { pairExchanges } from "../src/pair.js";
import { proxyAccountOf, proxyClaimOf, readProxyStats, toolResultsOf } from "../src/proxy-account.js";
import { renderMarkdown } from "../src/render-markdown.js";
import { buildReportHead } from "../src/summarize.js";
import { tempDir, v1Record } from "./helpers.js";

const INVENTORY = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ sku: `INV-${i}`, quantity: i })));

/** A conversation after `results` tool calls: Read, then Bash printing JSON. */
function conversation(results: string[]): unknown {
  const tools = ["Read", "Bash"];
  const messages: unknown[] = [{ role: "user", content: "review it" }];
  results.forEach((text, i) => {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `toolu_${i}`, name: tools[i], input: {} }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${i}`, content: text }] });
  });
  return { model: "claude-test", max_tokens: 100, messages };
}

const context = createContext();
function exchange(sequence: number, body: unknown, overrides: Record<string, unknown> = {}): Exchange {
  return normalizeRecord({ file: "f.jsonl", line: sequence, record: v1Record(sequence, body, overrides) }, context);
}
const headers = (h: Record<string, string>) => ({ response_headers: { "content-type": "text/event-stream", ...h } });
const usage = (prompt: number) => ({ usage: { input_tokens: prompt, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } });

describe("reading the proxy's claim and the tool results", () => {
  it("takes the counts and transforms from the headers; redacted or absent counts are unknown, not zero", () => {
    expect(proxyClaimOf({ "X-Headroom-Tokens-Before": "900", "x-headroom-tokens-after": "600", "x-headroom-tokens-saved": "300", "x-headroom-transforms": "router:tool_result:smart_crusher, anthropic:tool_schema_compaction" })).toEqual({
      tokens_before: 900,
      tokens_after: 600,
      tokens_saved: 300,
      transforms: ["router:tool_result:smart_crusher", "anthropic:tool_schema_compaction"],
      compression_failed: false,
    });
    expect(proxyClaimOf({ "x-headroom-tokens-saved": "<redacted>", "x-headroom-compression-failed": "true" })).toMatchObject({ tokens_saved: null, compression_failed: true });
    expect(proxyClaimOf({ "content-type": "application/json" })).toBeNull();
    expect(proxyClaimOf(null)).toBeNull();
  });

  it("names each tool result by the tool whose call it answers", () => {
    const results = toolResultsOf(conversation(["def ship(): ...", INVENTORY]));
    expect(results.map((r) => [r.tool, r.tool_use_id, r.message, r.chars])).toEqual([
      ["Read", "toolu_0", 2, 15],
      ["Bash", "toolu_1", 4, INVENTORY.length],
    ]);
  });
});

describe("the account over paired requests (client lane -> upstream lane)", () => {
  const short = INVENTORY.slice(0, 200);
  const client = [
    exchange(1, conversation(["def ship(): ..."]), { ...headers({ "x-headroom-tokens-before": "100", "x-headroom-tokens-after": "100", "x-headroom-tokens-saved": "0", "x-headroom-transforms": "router:excluded:tool" }), ...usage(100) }),
    exchange(2, conversation(["def ship(): ...", INVENTORY]), { ...headers({ "x-headroom-tokens-before": "700", "x-headroom-tokens-after": "250", "x-headroom-tokens-saved": "450", "x-headroom-transforms": "router:tool_result:smart_crusher" }), ...usage(240) }),
    exchange(3, conversation(["def ship(): ...", INVENTORY, "done"]), { ...headers({ "x-headroom-tokens-before": "720", "x-headroom-tokens-after": "120", "x-headroom-tokens-saved": "600" }), ...usage(260) }),
  ];
  const upstream = [
    exchange(1, conversation(["def ship(): ..."]), usage(100)),
    exchange(2, conversation(["def ship(): ...", short]), usage(240)),
    exchange(3, conversation(["def ship(): ...", short, "done"]), usage(260)),
  ];
  const pairing = pairExchanges(client, upstream, "path");
  const account = proxyAccountOf(pairing)!;

  it("names the compressed tool result and the transforms named for it, also where a later turn carries it", () => {
    expect(account.rows[0]!.changed_tool_results).toEqual([]);
    expect(account.rows[1]!.changed_tool_results).toEqual([
      { tool: "Bash", tool_use_id: "toolu_1", message: 4, chars: { direct: INVENTORY.length, headroom: 200 }, first_changed_in: { sequence: 2, transforms: ["router:tool_result:smart_crusher"] } },
    ]);
    expect(account.rows[2]!.changed_tool_results[0]!.first_changed_in).toEqual({ sequence: 2, transforms: ["router:tool_result:smart_crusher"] });
  });

  it("agrees within the tolerance and flags a claim more than 20 % from the bill", () => {
    expect(account.rows[0]!.flags).toEqual([]);
    expect(account.rows[1]!.flags).toEqual([]);
    expect(account.rows[2]!.flags).toEqual(["claimed 120 tokens after, upstream billed 260 (53.8 % apart)"]);
    expect(account.disagreements).toBe(1);
    expect(account.totals).toMatchObject({ claimed_before: 1520, claimed_after: 470, claimed_saved: 1050, requests_with_claims: 3, changed_tool_results: 2 });
  });

  it("flags a saving claimed for a body that did not shrink", () => {
    const same = pairExchanges([client[1]!], [exchange(2, conversation(["def ship(): ...", INVENTORY]), usage(240))], "path");
    expect(proxyAccountOf(same)!.rows[0]!.flags).toContain(`claims 450 tokens saved but the forwarded body is not smaller (${client[1]!.request_body_size} -> ${client[1]!.request_body_size} bytes)`);
  });

  it("sets the proxy's stats beside the captures and flags a request count that differs", () => {
    const file = join(tempDir(), "stats.json");
    writeFileSync(file, JSON.stringify({ summary: { mode: "cache", api_requests: 4 }, agent_usage: { totals: { requests: 4, before_tokens: 1520, after_tokens: 600, tokens_saved: 920 } } }));
    const stats = readProxyStats(file);
    expect(stats).toEqual({ file, requests: 4, tokens_before: 1520, tokens_after: 600, tokens_saved: 920, mode: "cache" });
    const withStats = proxyAccountOf(pairing, stats)!;
    expect(withStats.flags).toEqual(["stats count 4 requests, the capture holds 3 with the proxy's headers"]);
    expect(() => readProxyStats(join(file, "..", "missing.json"))).toThrow(/missing\.json: no such file/);
  });

  it("renders as a section of the Markdown report, and is absent when no proxy said anything", () => {
    const head = buildReportHead({
      direct: { name: "direct", file: "c.jsonl", exchanges: client, warnings: [], bytes: 0 },
      headroom: { name: "headroom", file: "u.jsonl", exchanges: upstream, warnings: [], bytes: 0 },
      pairing,
      pairBy: "path",
    });
    const markdown = renderMarkdown({ ...head, paired: [] });
    expect(markdown).toContain("## Proxy's own account, checked against the wire");
    expect(markdown).toContain("`Bash toolu_1` 1");
    expect(markdown).toContain("**claimed 120 tokens after, upstream billed 260 (53.8 % apart)**");
    const plain = pairExchanges([exchange(1, { n: 1 })], [exchange(1, { n: 1 })], "path");
    expect(proxyAccountOf(plain)).toBeNull();
  });
});
