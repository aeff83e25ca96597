import { describe, expect, it } from "vitest";
import { alignElements } from "../src/align.js";
import { comparePairs, type PairDiff } from "../src/compare.js";
import type { Exchange } from "../src/exchange.js";
import { createContext, normalizeRecord, type NormalizeContext } from "../src/normalize.js";
import { networkDiffToStrings } from "../src/pipeline.js";
import { messagesBody, tempDir, v1Record, writeJsonl } from "./helpers.js";

function exchange(context: NormalizeContext, sequence: number, body: unknown): Exchange {
  return normalizeRecord({ file: "capture.jsonl", line: sequence, record: v1Record(sequence, body) }, context);
}

/** The JSON delta of one direct/headroom pair of bodies. */
function delta(direct: unknown, headroom: unknown): PairDiff["json"] {
  const context = createContext();
  const [diff] = comparePairs([{ direct: exchange(context, 1, direct), headroom: exchange(context, 1, headroom) }], context.paths);
  return (diff as PairDiff).json;
}

const tool = (name: string) => ({ name, description: `${name} tool`, input_schema: { type: "object", properties: { x: { type: "string" } } } });
const user = (text: string) => ({ role: "user", content: [{ type: "text", text }] });
const assistant = (text: string) => ({ role: "assistant", content: [{ type: "text", text }] });
const toolUse = (id: string) => ({ role: "assistant", content: [{ type: "tool_use", id, name: "Bash", input: { command: "ls" } }] });
const toolResult = (id: string, content: string) => ({ role: "user", content: [{ type: "tool_result", tool_use_id: id, content }] });

describe("alignElements", () => {
  it("matches the longest common subsequence and reports the rest per side", () => {
    const a = alignElements(["a", "b", "c", "d"], ["a", "x", "b", "d"], { pairGaps: false });
    expect(a.matches).toEqual([
      { direct: 0, headroom: 0, moved: false },
      { direct: 1, headroom: 2, moved: false },
      { direct: 3, headroom: 3, moved: false },
    ]);
    expect(a.onlyDirect).toEqual([2]);
    expect(a.onlyHeadroom).toEqual([1]);
  });

  it("pairs equal keys outside the common subsequence as moved", () => {
    const a = alignElements(["a", "b", "c"], ["c", "a", "b"], { pairGaps: false });
    expect(a.matches.filter((m) => m.moved)).toEqual([{ direct: 2, headroom: 0, moved: true }]);
    expect(a.onlyDirect).toEqual([]);
    expect(a.onlyHeadroom).toEqual([]);
  });

  it("pairs what is left between two matches in order, by group", () => {
    const a = alignElements(["u1", "a1", "u2", "a2"], ["u1", "a1", "u2'", "a2"], {
      pairGaps: true,
      directGroups: ["user", "assistant", "user", "assistant"],
      headroomGroups: ["user", "assistant", "user", "assistant"],
    });
    expect(a.matches.map((m) => [m.direct, m.headroom])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const byRole = alignElements(["x"], ["y", "z"], { pairGaps: true, directGroups: ["user"], headroomGroups: ["assistant", "user"] });
    expect(byRole.matches.map((m) => [m.direct, m.headroom])).toEqual([[0, 1]]);
    expect(byRole.onlyHeadroom).toEqual([0]);
  });

  it("handles repeated keys and long sequences without a quadratic blow-up", () => {
    const a = alignElements(["x", "x", "y", "x"], ["x", "y", "x", "x"], { pairGaps: false });
    expect(a.matches.filter((m) => !m.moved).length).toBe(3);
    const long = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
    const shifted = ["new", ...long];
    const started = Date.now();
    const b = alignElements(long, shifted, { pairGaps: true });
    expect(b.onlyHeadroom).toEqual([0]);
    expect(b.matches.length).toBe(20_000);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("array-aware JSON deltas", () => {
  it("tools sorted by name plus one added: moves and one added tool, no cascade of changed paths", () => {
    const direct = messagesBody({ tools: [tool("Read"), tool("Bash"), tool("Edit")] });
    const headroom = messagesBody({ tools: [tool("Bash"), tool("Edit"), tool("Read"), tool("headroom_retrieve")] });
    expect(delta(direct, headroom)).toMatchObject({
      only_direct: [],
      only_headroom: ["$.tools[3]"],
      changed: [],
      moved: ["$.tools[0] -> $.tools[2]"],
    });
  });

  it("a message inserted mid-conversation is one added element; the later messages are unchanged", () => {
    const history = [user("fix the bug"), toolUse("t1"), toolResult("t1", "out"), assistant("done"), user("thanks")];
    const inserted = [...history.slice(0, 2), user("<system-reminder>injected</system-reminder>"), ...history.slice(2)];
    expect(delta(messagesBody({ messages: history }), messagesBody({ messages: inserted }))).toMatchObject({
      only_direct: [],
      only_headroom: ["$.messages[2]"],
      changed: [],
      moved: [],
    });
  });

  it("a tool_result the proxy rewrote pairs with its counterpart and shows as changed inside it (direct index), even after an insertion", () => {
    const big = "x".repeat(5000);
    const direct = messagesBody({ messages: [user("go"), toolUse("t1"), toolResult("t1", big), assistant("ok")] });
    const headroom = messagesBody({ messages: [user("go"), user("inserted"), toolUse("t1"), toolResult("t1", "x… compressed"), assistant("ok")] });
    expect(delta(direct, headroom)).toMatchObject({
      only_direct: [],
      only_headroom: ["$.messages[1]"],
      changed: ["$.messages[2].content[0].content"],
      moved: [],
    });
  });

  it("a cache_control breakpoint moved to another message shows inside the aligned messages", () => {
    const marked = (message: ReturnType<typeof user>) => ({ ...message, content: [{ ...message.content[0], cache_control: { type: "ephemeral" } }] });
    const direct = messagesBody({ messages: [user("a"), assistant("b"), marked(user("c"))] });
    const headroom = messagesBody({ messages: [user("a"), marked(assistant("b")), user("c")] });
    expect(delta(direct, headroom)).toMatchObject({
      only_direct: ["$.messages[2].content[0].cache_control.type"],
      only_headroom: ["$.messages[1].content[0].cache_control.type"],
      changed: [],
      moved: [],
    });
  });

  it("the billing header block only in direct: its own paths, the following system blocks do not shift", () => {
    const prompt = { type: "text", text: "You are Claude Code." };
    const direct = messagesBody({ system: [{ type: "text", text: "x-anthropic-billing-header: cc_version=2.1.332; cch=1;" }, prompt, { type: "text", text: "env" }] });
    const headroom = messagesBody({ system: [prompt, { type: "text", text: "env" }] });
    expect(delta(direct, headroom)).toMatchObject({
      only_direct: ["$.system[0].type", "$.system[0].text"],
      only_headroom: [],
      changed: [],
      moved: [],
    });
  });

  it("a message whose content switches between a string and one text block stays aligned", () => {
    const direct = messagesBody({ messages: [{ role: "user", content: "hi" }, assistant("yo"), user("more")] });
    const headroom = messagesBody({ messages: [user("hi"), assistant("yo"), user("more")] });
    expect(delta(direct, headroom)).toMatchObject({
      only_direct: ["$.messages[0].content"],
      only_headroom: ["$.messages[0].content[0].type", "$.messages[0].content[0].text"],
      changed: [],
      moved: [],
    });
  });

  it("a message dropped by the proxy is one path with its direct index", () => {
    const direct = messagesBody({ messages: [user("a"), assistant("b"), user("c"), assistant("d"), user("e")] });
    const headroom = messagesBody({ messages: [user("a"), assistant("b"), user("e")] });
    const json = delta(direct, headroom);
    expect(json.only_direct).toEqual(["$.messages[2]", "$.messages[3]"]);
    expect(json.only_headroom).toEqual([]);
    expect(json.changed).toEqual([]);
  });
});

describe("JSON deltas in the report", () => {
  /** A session of `turns` requests; the headroom lane sorts the tools, inserts a message and compresses every tool_result. */
  async function sessionReport(turns: number) {
    const tools = [tool("Read"), tool("Bash"), tool("Edit")];
    const direct: unknown[] = [];
    const headroom: unknown[] = [];
    const history: unknown[] = [user("start")];
    const proxied: unknown[] = [user("start"), user("<headroom note>")];
    for (let turn = 0; turn < turns; turn++) {
      direct.push(v1Record(turn + 1, messagesBody({ tools, messages: [...history] })));
      headroom.push(v1Record(turn + 1, messagesBody({ tools: [tools[1], tools[2], tools[0]], messages: [...proxied] })));
      history.push(toolUse(`t${turn}`), toolResult(`t${turn}`, `output ${turn} ${"y".repeat(300)}`));
      proxied.push(toolUse(`t${turn}`), toolResult(`t${turn}`, `output ${turn} [compressed]`));
    }
    const dir = tempDir();
    return networkDiffToStrings({ direct: writeJsonl(dir, "d.jsonl", direct as never[]), headroom: writeJsonl(dir, "h.jsonl", headroom as never[]), pairBy: "path" });
  }

  it("cells say 'tools reordered' and '+1 message at [1]' instead of listing cascades", async () => {
    const { markdown, report } = await sessionReport(3);
    const row = markdown.split("\n").find((line) => line.startsWith("| 3 -> 3 |")) as string;
    expect(row).toContain("+1 message at [1]; tools reordered (1 moved); changed=`$.messages[2].content[0].content`, `$.messages[4].content[0].content`");
    expect(row).not.toContain("$.tools[");
    expect(report.paired[2]?.json.moved).toEqual(["$.tools[0] -> $.tools[2]"]);
  });

  it("aggregates change templates across pairs (summary.json_templates and a Markdown section)", async () => {
    const { markdown, report } = await sessionReport(5);
    expect(report.summary.json_templates).toEqual([
      { template: "$.tools[*]", kind: "moved", pairs: 5, paths: 5 },
      { template: "$.messages[*]", kind: "only_headroom", pairs: 5, paths: 5 },
      { template: "$.messages[*].content[*].content", kind: "changed", pairs: 4, paths: 10 },
    ]);
    expect(markdown).toContain("## JSON Changes Across Pairs");
    expect(markdown).toContain("| `$.messages[*].content[*].content` | changed | 4 | 10 | |");
  });
});
