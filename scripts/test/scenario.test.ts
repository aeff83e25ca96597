/** Scenarios: one file each, played from the request alone (no state), with real file paths for Read and Edit. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { FINAL_MARKER, PLAIN_MARKER, scriptReply } from "../src/mock-anthropic/conversation.js";
import { allowedToolsArgs, loadScenario, ScenarioError, scenarioNames } from "../src/mock-anthropic/scenario.js";
import type { ContentBlock, MessagesRequest } from "../src/mock-anthropic/types.js";
import { tempDir } from "./temp.js";

const TOOLS = ["Read", "Bash", "Edit", "Glob"].map((name) => ({ name, input_schema: { type: "object" } }));
const SYSTEM = [{ type: "text", text: "# Environment\nPrimary working directory: /work/project\n" }];

/** The conversation after `done` tool calls, as Claude Code would send it. */
function request(done: Array<{ name: string; input: unknown }>, tools = TOOLS): MessagesRequest {
  const messages: MessagesRequest["messages"] = [{ role: "user", content: "review it" }];
  done.forEach((call, i) => {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `toolu_${i}`, name: call.name, input: call.input }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${i}`, content: `result ${i}\nline` } as ContentBlock] });
  });
  return { model: "claude-test", max_tokens: 100, system: SYSTEM, tools, messages } as MessagesRequest;
}

describe("scenario files", () => {
  test("every scenario in the folder loads, ending with its answer", () => {
    expect(scenarioNames()).toEqual(expect.arrayContaining(["inventory-review", "read-readme"]));
    for (const name of scenarioNames()) {
      const scenario = loadScenario(name);
      expect(scenario.prompt.length).toBeGreaterThan(10);
      expect("answer" in scenario.steps.at(-1)!).toBe(true);
    }
    expect(allowedToolsArgs(loadScenario("inventory-review"))).toBe("--allowedTools Read,Bash,Edit");
  });

  test("an unknown name or a malformed file is one clear error", () => {
    expect(() => loadScenario("no-such-scenario")).toThrow(/no scenario named no-such-scenario \(there are: .*inventory-review/);
    const file = join(tempDir("scenario-test-"), "broken.yml");
    writeFileSync(file, "prompt: hi\nallowed_tools: [Read]\nsteps:\n  - tool: Bash\n    input: {command: ls}\n  - answer: done\n");
    expect(() => loadScenario(file)).toThrow(ScenarioError);
    expect(() => loadScenario(file)).toThrow(/steps\[0\]: tool Bash is not in allowed_tools/);
  });
});

describe("inventory-review, played from the request alone", () => {
  const scenario = loadScenario("inventory-review");

  test("each tool step follows the number of tool results the conversation carries", () => {
    const done: Array<{ name: string; input: unknown }> = [];
    const names: string[] = [];
    for (;;) {
      const reply = scriptReply(request(done), scenario);
      if (reply.kind !== "tool_use") {
        expect(reply.kind).toBe("final");
        expect((reply.content[0] as { text: string }).text).toMatch(new RegExp(`^${FINAL_MARKER}.*Bash: 13 characters in 2 lines`));
        break;
      }
      const call = reply.content.find((b) => b.type === "tool_use") as { name: string; input: Record<string, unknown> };
      names.push(call.name);
      done.push(call);
    }
    expect(names).toEqual(["Read", "Bash", "Bash", "Edit"]);
    expect(done[0]!.input).toEqual({ file_path: "/work/project/inventory.py" });
    expect(done[1]!.input).toMatchObject({ command: "cat data/inventory.json" });
    expect((done[3]!.input as { old_string: string }).old_string).toContain("current = self.counts.get(key, 0)");
  });

  test("the same request gets the same step (a retry), and a side request without tools gets plain text", () => {
    const again = [scriptReply(request([]), scenario), scriptReply(request([]), scenario)];
    expect(again.map((r) => r.content.find((b) => b.type === "tool_use")?.type)).toEqual(["tool_use", "tool_use"]);
    const side = scriptReply(request([], []), scenario);
    expect(side.kind).toBe("plain");
    expect((side.content[0] as { text: string }).text.startsWith(PLAIN_MARKER)).toBe(true);
  });
});
