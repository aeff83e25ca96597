import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { proxyChanges, reportSection } from "../src/lanes/reports.js";
import { tempDir } from "./temp.js";

describe("what a run prints about its reports", () => {
  test("one line per request the proxy handled: body, tools by name, headers, JSON paths", () => {
    const file = path.join(tempDir("reports-"), "proxy-report.json");
    const pair = {
      route: "POST headroom-proxy:8787/v1/messages?beta=true",
      headroom_sequence: 4,
      request_body_size: { direct: 49251, headroom: 48849, delta: -402 },
      headers: { only_direct: ["X-Headroom-Proxy-Token"], only_headroom: [], changed: ["Host", "Content-Length"] },
      json: { only_direct: ["$.a"], only_headroom: ["$.b", "$.c"], changed: [] },
      anthropic: {
        direct: { tools_count: 12 },
        headroom: { tools_count: 13 },
        tools_added: ["headroom_retrieve"],
        tools_removed: [],
        tools_reordered: true,
      },
    };
    writeFileSync(file, JSON.stringify({ paired: [pair] }));
    expect(proxyChanges(file)).toEqual([
      "#4 POST headroom-proxy:8787/v1/messages?beta=true: body 49251 -> 48849 bytes (-402); tools 12 -> 13 (+headroom_retrieve, reordered); headers -X-Headroom-Proxy-Token, 2 changed; JSON paths +2 -1 ~0",
    ]);
  });

  test("a report's section, up to the next heading of its level", () => {
    const markdown = "# T\n\n## Summary\n\n- a\n\n### Sub\n\n- b\n\n## Paired\n\n- c\n";
    expect(reportSection(markdown, "Summary")).toBe("## Summary\n\n- a\n\n### Sub\n\n- b");
    expect(reportSection(markdown, "Missing")).toBe("");
  });
});
