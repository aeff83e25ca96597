import { describe, expect, it } from "vitest";
import { alignSequences } from "../src/pair-conversations.js";
import { diffOf, laneRecords, pairSequences, PROXY, sideBody, turnBody } from "./conversations.js";

const OVERLOADED = { response_status: 529, usage: null, response_stream: false };

describe("pairing by conversation (the default)", () => {
  it("a retry in one lane is not paired and does not shift later pairs; it is listed with retried_by", async () => {
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3)]);
    // headroom: turn 2 failed with 529 (sequence 2) and Claude Code sent it again (sequence 3).
    const headroom = laneRecords([turnBody(1), turnBody(2), turnBody(2), turnBody(3)], [undefined, OVERLOADED], PROXY);
    const { report, markdown } = await diffOf(direct, headroom);
    expect(report.pair_by).toBe("conversation");
    expect(pairSequences(report)).toEqual([
      [1, 1],
      [2, 3],
      [3, 4],
    ]);
    expect(report.only_direct_exchanges).toEqual([]);
    expect(report.only_headroom_exchanges).toEqual([{ route: "POST 127.0.0.1:8787/v1/messages?beta=true", sequence: 2, line: 2, status: 529, retried_by: 3 }]);
    expect(markdown).toContain("(sequence 2, line 2, status 529; retried by #3, not paired)");
  });

  it("a retry with a new billing header (different body hash) is still the same turn", async () => {
    const retried = turnBody(2);
    (retried.system as Array<{ text: string }>)[0] = { text: "x-anthropic-billing-header: cch=ffff;" } as never;
    const direct = laneRecords([turnBody(1), turnBody(2)]);
    const headroom = laneRecords([turnBody(1), turnBody(2), retried], [undefined, { response_status: null, usage: null, error: { kind: "upstream_disconnect", message: "reset" } }], PROXY);
    const { report } = await diffOf(direct, headroom);
    expect(pairSequences(report)).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(report.only_headroom_exchanges[0]).toMatchObject({ sequence: 2, retried_by: 3 });
  });

  it("retries are left out in the other modes too", async () => {
    const direct = laneRecords([turnBody(1), turnBody(2)]);
    const headroom = laneRecords([turnBody(1), turnBody(1), turnBody(2)], [OVERLOADED], PROXY);
    const { report } = await diffOf(direct, headroom, { pairBy: "path" });
    expect(pairSequences(report)).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });

  it("side requests and subagents in a different order in each lane pair with their own kind", async () => {
    const subagent = (turn: number) => turnBody(turn, { task: "Search the code base for the parser", system: "You are a search agent." });
    const direct = laneRecords([turnBody(1), sideBody(), turnBody(2), subagent(1), subagent(2), turnBody(3)]);
    const headroom = laneRecords([sideBody(), turnBody(1), turnBody(2), subagent(1), turnBody(3), subagent(2)], [], PROXY);
    const { report } = await diffOf(direct, headroom);
    expect(pairSequences(report)).toEqual([
      [1, 2],
      [2, 1],
      [3, 3],
      [4, 4],
      [5, 6],
      [6, 5],
    ]);
    expect(report.warnings).toEqual([]);
  });

  it("a turn one lane lost leaves that turn unpaired, the later turns still pair, and the gap is a warning", async () => {
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3), turnBody(4)]);
    // sequence 2 (turn 2) never reached the headroom capture.
    const headroom = laneRecords([turnBody(1), turnBody(2), turnBody(3), turnBody(4)], [], PROXY).filter((record) => record.sequence !== 2);
    const { report } = await diffOf(direct, headroom);
    expect(pairSequences(report)).toEqual([
      [1, 1],
      [3, 3],
      [4, 4],
    ]);
    expect(report.only_direct_exchanges.map((ref) => ref.sequence)).toEqual([2]);
    expect(report.warnings).toContainEqual(expect.stringMatching(/^headroom lane: 1 sequence number\(s\) missing \(2\): records lost/));
  });

  it("a proxy that rewrites the system prompt and first message: conversations still pair (same model, similar, in order)", async () => {
    const rewritten = (turn: number) => turnBody(turn, { system: "You are Claude Code. [compressed by proxy]", task: "Fix failing test" });
    const direct = laneRecords([turnBody(1), sideBody("Is this new?"), turnBody(2), turnBody(3)]);
    const headroom = laneRecords([sideBody("Is this new? [rewritten]"), rewritten(1), rewritten(2), rewritten(3)], [], PROXY);
    const { report } = await diffOf(direct, headroom);
    expect(pairSequences(report)).toEqual([
      [1, 2],
      [2, 1],
      [3, 3],
      [4, 4],
    ]);
  });

  it("a message inserted by the proxy in every request: turns still pair; the message count is a warning", async () => {
    const inserted = [{ role: "user", content: [{ type: "text", text: "[context added by proxy]" }] }];
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3)]);
    const headroom = laneRecords([turnBody(1, { inserted }), turnBody(2, { inserted }), turnBody(3, { inserted })], [], PROXY);
    const { report, markdown } = await diffOf(direct, headroom);
    expect(pairSequences(report)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(report.warnings).toContain("3 pair(s) carry a different number of messages: direct #1 -> headroom #1 (1 vs 2 messages), direct #2 -> headroom #2 (3 vs 4 messages), direct #3 -> headroom #3 (5 vs 6 messages)");
    expect(markdown).toContain("## Warnings");
  });

  it("a pair whose models differ is a warning", async () => {
    const direct = laneRecords([turnBody(1)]);
    const headroom = laneRecords([turnBody(1, { model: "claude-opus-4-1" })], [], PROXY);
    const { report } = await diffOf(direct, headroom);
    expect(pairSequences(report)).toEqual([[1, 1]]);
    expect(report.warnings).toContainEqual(expect.stringContaining(`1 pair(s) name a different model: direct #1 -> headroom #1 (claude-sonnet-4-5-20250929 vs claude-opus-4-1)`));
  });

  it("a low pairing rate is a warning with a hint about --pair-by", async () => {
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3)]);
    const headroom = laneRecords([turnBody(1), turnBody(2), turnBody(3)], [], { url: "http://127.0.0.1:8787/v1/messages", host: "127.0.0.1:8787" });
    const { report } = await diffOf(direct, headroom, { pairBy: "route" });
    expect(report.paired).toEqual([]);
    expect(report.warnings).toContainEqual(expect.stringMatching(/^only 0 of 3 exchanges paired \(0%, --pair-by route\): .*try --pair-by conversation/));
  });

  it("other routes pair by path in capture order", async () => {
    const countTokens = { url: "https://api.anthropic.com/v1/messages/count_tokens?beta=true" };
    const direct = laneRecords([turnBody(1), turnBody(1), turnBody(2)], [countTokens]);
    const headroom = laneRecords([turnBody(1), turnBody(1), turnBody(2)], [{ ...countTokens, url: "http://127.0.0.1:8787/v1/messages/count_tokens?beta=true" }], PROXY);
    const { report } = await diffOf(direct, headroom);
    expect(pairSequences(report)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });
});

describe("aligning two sequences", () => {
  it("keeps matches in order and leaves out what has no counterpart", () => {
    const score = (a: string, b: string) => (a === b ? 1 : 0.01);
    expect(alignSequences(["a", "b", "c", "d"], ["a", "c", "d"], score)).toEqual([
      ["a", "a"],
      ["c", "c"],
      ["d", "d"],
    ]);
    expect(alignSequences(["a", "x", "c"], ["a", "y", "c"], score)).toEqual([
      ["a", "a"],
      ["x", "y"],
      ["c", "c"],
    ]);
    expect(alignSequences([], ["a"], score)).toEqual([]);
  });
});
