import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diffOf, laneRecords, PROXY, turnBody } from "./conversations.js";
import { runCli, tempDir, TOOLS, writeJsonl } from "./helpers.js";

describe("prompt-cache prefix stability per lane", () => {
  it("finds the turn and the path where a lane stops resending the previous turn unchanged", async () => {
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3), turnBody(4)]);
    // From turn 3 on, the proxy shortens the result of step 1, which turn 2 had sent in full.
    const compressed = (n: number) => (n === 1 ? "[compressed]" : `output of step ${n}`);
    const headroom = laneRecords([turnBody(1), turnBody(2), turnBody(3, { result: compressed }), turnBody(4, { result: compressed })], [], PROXY);
    const { report, markdown } = await diffOf(direct, headroom);
    expect(report.summary.direct.cache_prefix).toEqual({ turns: 3, stable: 3, breaks: [] });
    expect(report.summary.headroom.cache_prefix).toEqual({ turns: 3, stable: 2, breaks: [{ sequence: 3, path: "$.messages[2].content[0].content" }] });
    expect(markdown).toContain("- Direct: 3 of 3 turns resent the previous turn unchanged\n");
    expect(markdown).toContain("- Headroom: 2 of 3 turns resent the previous turn unchanged; breaks at #3 `$.messages[2].content[0].content`");
  });

  it("ignores what the cache ignores: moved cache_control, the billing header, a string vs one text block", async () => {
    const second = turnBody(2);
    (second.messages as Array<Record<string, unknown>>)[0] = { role: "user", content: "Fix the failing test" };
    const direct = laneRecords([turnBody(1), second, turnBody(3)]);
    const { report } = await diffOf(direct, direct);
    expect(report.summary.direct.cache_prefix).toEqual({ turns: 2, stable: 2, breaks: [] });
  });

  it("a message inserted before earlier ones is a break at the inserted element", async () => {
    const inserted = [{ role: "user", content: [{ type: "text", text: "[context added by proxy]" }] }];
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(3, { inserted })]);
    const { report } = await diffOf(direct, direct);
    expect(report.summary.direct.cache_prefix.breaks).toEqual([{ sequence: 3, path: "$.messages[1]" }]);
  });

  it("a retry of the same request is not a new turn", async () => {
    const direct = laneRecords([turnBody(1), turnBody(2), turnBody(2), turnBody(3)], [undefined, { response_status: 529, usage: null }]);
    const { report } = await diffOf(direct, direct);
    expect(report.summary.direct.cache_prefix).toEqual({ turns: 2, stable: 2, breaks: [] });
  });

  it("reordered or changed tools break the prefix at the tools, before system and messages", async () => {
    const reordered = { ...turnBody(2), tools: [...TOOLS].reverse() };
    const direct = laneRecords([turnBody(1), reordered]);
    const { report } = await diffOf(direct, direct);
    // Reordered: the earlier first tool comes later, so the break names the element, not a leaf inside it.
    expect(report.summary.direct.cache_prefix.breaks).toEqual([{ sequence: 2, path: "$.tools[0]" }]);
  });

  it("a system prompt edited mid-conversation is a break at the system block, not a new conversation", async () => {
    const edited = (turn: number) => turnBody(turn, { system: "You are Claude Code. Today is another day." });
    const { report } = await diffOf(laneRecords([turnBody(1), turnBody(2), edited(3), edited(4)]), []);
    expect(report.summary.direct.cache_prefix).toEqual({ turns: 3, stable: 2, breaks: [{ sequence: 3, path: "$.system[1].text" }] });
    // A new conversation (another first message) is not compared with the one before.
    const other = turnBody(1, { task: "Write the changelog" });
    const { report: two } = await diffOf(laneRecords([turnBody(1), turnBody(2), other, turnBody(3)]), []);
    expect(two.summary.direct.cache_prefix).toEqual({ turns: 2, stable: 2, breaks: [] });
  });

  it("`summary FILE` names a single capture's breaks too", () => {
    const dir = tempDir();
    const compressed = (n: number) => (n === 1 ? "[compressed]" : `output of step ${n}`);
    const file = writeJsonl(dir, "lane.jsonl", laneRecords([turnBody(1), turnBody(2), turnBody(3, { result: compressed })]));
    const result = runCli(["summary", file]);
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("- Prompt-cache prefix: 1 of 2 turns resent the previous turn unchanged; breaks at #3 `$.messages[2].content[0].content`");
  });
});
