import { describe, expect, it } from "vitest";
import { networkDiffToStrings } from "../src/pipeline.js";
import { expectOneLineError, messagesBody, runCli, tempDir, v1Record, writeJsonl, type Json } from "./helpers.js";

const BILLING = (id: string) => ({ type: "text", text: `x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli; cch=${id};` });
const SYSTEM = { type: "text", text: "You are Claude Code." };

/** One run of a two-turn session; `run` varies what varies between any two runs, `compress` is what a proxy does. */
function session(run: string, options: { compress?: boolean; proxyHeader?: boolean } = {}): Json[] {
  const result = options.compress ? "big output… [compressed]" : `big output ${"x".repeat(400)}`;
  const turns = [
    [{ role: "user", content: "list the files" }],
    [
      { role: "user", content: "list the files" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: result }] },
    ],
  ];
  return turns.map((messages, i) =>
    v1Record(i + 1, messagesBody({ system: [BILLING(`${run}${i}`), SYSTEM], messages, metadata: { user_id: `user_${run}_session` } }), {
      request_headers: {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "x-claude-code-session-id": `session-${run}`,
        ...(options.proxyHeader ? { "x-headroom-mode": "optimize" } : {}),
      },
    }),
  );
}

function files(withBaseline: boolean) {
  const dir = tempDir();
  return {
    direct: writeJsonl(dir, "direct.jsonl", session("a")),
    headroom: writeJsonl(dir, "headroom.jsonl", session("c", { compress: true, proxyHeader: true })),
    baseline: withBaseline ? writeJsonl(dir, "direct-baseline.jsonl", session("b")) : undefined,
  };
}

describe("noise baseline (--baseline)", () => {
  it("moves paths and headers that also differ between two direct runs into json.noise / headers.noise", async () => {
    const { direct, headroom, baseline } = files(true);
    const { report, markdown } = await networkDiffToStrings({ direct, headroom, baseline, pairBy: "path" });
    const [first, second] = report.paired;
    expect(second?.json.noise).toEqual(["$.metadata.user_id", "$.system[0].text"]);
    expect(second?.json.changed).toEqual(["$.messages[2].content[0].content"]);
    expect(second?.json.only_direct).toEqual([]);
    expect(second?.headers.noise).toEqual(["x-claude-code-session-id"]);
    expect(second?.headers.only_headroom).toEqual(["x-headroom-mode"]);
    expect(first?.json.changed).toEqual([]);
    expect(report.summary.noise).toEqual({ baseline, pairs_with_baseline: 2, json: 4, headers: 2 });
    expect(report.inputs.baseline).toBe(baseline);
    expect(markdown).toContain(`- Noise (baseline \`${baseline}\`, 2 of 2 pairs have a baseline exchange): 4 JSON path and 2 header differences`);
    expect(markdown).toContain("noise=`x-claude-code-session-id`");
    expect(report.summary.json_templates).toContainEqual({ template: "$.metadata.user_id", kind: "noise", pairs: 2, paths: 2 });
  });

  it("without a baseline hides nothing, and names what is expected to vary", async () => {
    const { direct, headroom } = files(false);
    const { report, markdown } = await networkDiffToStrings({ direct, headroom, pairBy: "path" });
    const second = report.paired[1];
    expect(second?.json.noise).toEqual([]);
    expect(second?.json.changed).toEqual(["$.messages[2].content[0].content", "$.metadata.user_id", "$.system[0].text"]);
    expect(second?.headers.changed).toEqual(["x-claude-code-session-id"]);
    expect(report.summary.noise).toBeNull();
    expect(markdown).toContain(
      "- Noise: no baseline given (`--baseline`), so nothing is classed as noise. Expected to vary between any two runs: `$.metadata.user_id` (2 pairs), header `x-claude-code-session-id` (2 pairs)",
    );
    expect(markdown).toMatch(/\| `\$\.metadata\.user_id` \| changed \| 2 \| 2 \| expected to vary \|/);
  });

  it("the CLI takes --baseline, and refuses to write a report over it", () => {
    const { direct, headroom, baseline } = files(true);
    const ok = runCli(["--direct", direct, "--headroom", headroom, "--baseline", baseline as string, "--quiet"]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("Noise (baseline");
    const clash = runCli(["--direct", direct, "--headroom", headroom, "--baseline", baseline as string, "--output", baseline as string]);
    expect(clash.status).toBe(64);
    expect(expectOneLineError(clash)).toContain("is an input capture");
  });
});
