import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPrices } from "../src/prices.js";
import { diffOf, laneRecords, PROXY, turnBody } from "./conversations.js";
import { ANALYZER, TOOLS } from "./helpers.js";

const usage = (input: number, read: number) => ({ usage: { input_tokens: input, output_tokens: 50, cache_creation_input_tokens: 100, cache_read_input_tokens: read } });

describe("the verdict on top of the Markdown", () => {
  it("says in one paragraph what changed and what it cost, over how many pairs", async () => {
    const compressed = (n: number) => (n === 1 ? "[compressed]" : `output of step ${n}`);
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3)], [usage(1000, 0), usage(1000, 5000), usage(1000, 9000)]);
    const headroom = laneRecords(
      [turnBody(1), turnBody(2), turnBody(3, { result: compressed }), turnBody(3, { result: compressed })],
      [usage(1000, 0), usage(900, 5000), { response_status: 529, usage: null }, usage(500, 4000)],
      PROXY,
    );
    headroom[3] = { ...headroom[3], request_json: { ...(headroom[3]?.request_json as object), tools: [...TOOLS].reverse() } };
    const { markdown } = await diffOf(direct, headroom, { prices: loadPrices(join(ANALYZER, "prices.example.json")) });
    const [title, blank, verdict, after] = markdown.split("\n");
    expect([title, blank, after]).toEqual(["# Differential Network Capture Report", "", ""]);
    expect(verdict).toMatch(/^\*\*Verdict\.\*\* Over 3 pairs with usage on both sides, headroom sent 5,600 fewer prompt tokens than direct \(17,300 → 11,700, −32\.4%\), estimated cost \$[0-9.]+ → \$[0-9.]+ \(saving \$[0-9.]+, −[0-9.]+%\); cache hit ratio 80\.9% → 76\.9% \(−4\.0 points\)\./);
    expect(verdict).toContain("Prompt-cache prefix breaks: direct 0 of 2 turns; headroom 1 of 2 turns, first at #4 `$.tools[0]`.");
    expect(verdict).toContain("Tools changed in 1 and headers in 0 of 3 pairs.");
    expect(verdict).toContain("No baseline capture given (`--baseline`), so no difference is set apart as noise.");
    expect(verdict).toMatch(/ No warnings\.$/);
  });

  it("says plainly when nothing could be counted", async () => {
    const direct = laneRecords([turnBody(1)], [{ usage: null }]);
    const headroom = laneRecords([turnBody(1)], [], PROXY);
    const { markdown } = await diffOf(direct, headroom);
    expect(markdown.split("\n")[2]).toContain("None of the 1 pair has usage on both sides, so tokens and cost could not be compared.");
    expect(markdown.split("\n")[2]).toContain("No warnings.");
  });

  it("ends with the warnings", async () => {
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3)]);
    const headroom = laneRecords([turnBody(1), turnBody(2), turnBody(3)], [], PROXY).filter((record) => record.sequence !== 2);
    const { markdown } = await diffOf(direct, headroom);
    expect(markdown.split("\n")[2]).toMatch(/ Warning: `headroom lane: 1 sequence number\(s\) missing \(2\): records lost, .*`\.$/);
  });

  it("says how many differences a baseline classed as noise", async () => {
    const run = (user: string) => (turn: number) => ({ ...turnBody(turn), metadata: { user_id: user } });
    const direct = laneRecords([run("session_a")(1), run("session_a")(2)]);
    const headroom = laneRecords([run("session_b")(1), run("session_b")(2)], [], PROXY);
    const baseline = laneRecords([run("session_c")(1), run("session_c")(2)]);
    const { markdown, report } = await diffOf(direct, headroom, { baseline });
    expect(report.summary.noise).toMatchObject({ json: 2, headers: 0, pairs_with_baseline: 2 });
    expect(markdown.split("\n")[2]).toMatch(/ 2 differences \(2 JSON paths, 0 headers\) classed as noise: they also differ between direct and the baseline `.*baseline\.jsonl` \(2 pairs with a baseline counterpart\)\./);
  });
});
