/** The HTML report's data and file: alignment, figures, bodies by mode, escaping, privacy, options. */
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { ElementRef } from "../src/html-bodies.js";
import { alignElements } from "../src/html-align.js";
import { unpackRows } from "../src/html-rows.js";
import { HtmlCollector, writeHtmlReport } from "../src/html-report.js";
import { networkDiff } from "../src/pipeline.js";
import type { HtmlReportData } from "../src/html-data.js";
import { ANALYZER, CANARY_VALUES, expectOneLineError, runCli, tempDir } from "./helpers.js";
import { expectPrivateSelfContainedPage, pageData } from "./html-file.js";
import { SHORT_RESULT, writeSessionPair } from "./html-fixture.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const ids = new Map<string, number>();
/** An element reference; equal keys get equal ids (same content exactly). */
function ref(key: string, name = "user"): ElementRef {
  if (!ids.has(key)) ids.set(key, ids.size);
  return { key, id: ids.get(key) as number, name, metadata: false };
}

function report(extra: string[] = []) {
  const dir = tempDir();
  dirs.push(dir);
  const { direct, headroom } = writeSessionPair(dir);
  const html = join(dir, "out", "report.html");
  const json = join(dir, "out", "report.json");
  const result = runCli(["--direct", direct, "--headroom", headroom, "--json-output", json, "--html-output", html, "--output", join(dir, "out", "report.md"), ...extra]);
  return { dir, html, json, result };
}

describe("alignment for the side-by-side view", () => {
  test("a message inserted by the proxy is one headroom-only row; the rest stay the same", () => {
    const rows = alignElements([ref("a"), ref("b"), ref("c")], [ref("a"), ref("x"), ref("b"), ref("c")], "key");
    expect(rows.map((row) => row.state)).toEqual(["same", "only_headroom", "same", "same"]);
    expect(rows[1]?.headroom?.[0]).toBe(1);
  });

  test("re-sorted tools are moved, not changed; a tool with other content is changed; an added tool is headroom-only", () => {
    const direct = [ref("r", "Read"), ref("b", "Bash"), ref("g", "Grep")];
    const headroom = [ref("new", "headroom_retrieve"), ref("b", "Bash"), ref("g2", "Grep"), ref("r", "Read")];
    const rows = alignElements(direct, headroom, "name");
    const name = (side: [number, number] | null, list: ElementRef[]) => (side ? list[side[0]]?.name : undefined);
    const byLabel = Object.fromEntries(rows.map((row) => [name(row.direct, direct) ?? name(row.headroom, headroom), row.state]));
    expect(byLabel).toEqual({ Read: "moved", Bash: "same", Grep: "changed", headroom_retrieve: "only_headroom" });
  });

  test("a changed message between equal ones pairs with its counterpart by role", () => {
    const rows = alignElements([ref("a"), ref("t1", "assistant"), ref("c")], [ref("a"), ref("t2", "assistant"), ref("c")], "key");
    expect(rows.map((row) => row.state)).toEqual(["same", "changed", "same"]);
  });
});

describe("--html-output", () => {
  test("writes one private (0600) self-contained page whose figures are the JSON report's", () => {
    const { html, json, result } = report();
    expectPrivateSelfContainedPage(result, html);
    const data = pageData<HtmlReportData>(html);
    const jsonReport = JSON.parse(readFileSync(json, "utf8"));
    expect(data.summary).toEqual(jsonReport.summary);
    expect(data.pairs).toHaveLength(jsonReport.paired.length);
    expect(data.pairs.map((pair) => pair.conversation)).toEqual([1, 2, 2, 2, 2]);
    expect(data.pairs.map((pair) => pair.turn)).toEqual([1, 1, 2, 3, 4]);
  });

  test("the last turn's view: tools by name (moved, added), the inserted message alone, the shortened tool result changed", () => {
    const data = pageData<HtmlReportData>(report().html);
    const view = data.pairs[4]?.view;
    const rows = (name: string) => unpackRows(view?.arrays.find((array) => array.name === name)?.rows ?? []);
    expect(rows("tools").map((row) => [data.elements[(row.direct ?? row.headroom)?.[1] ?? -1]?.label, row.state])).toEqual([
      ["Read", "moved"],
      ["headroom_retrieve", "only_headroom"],
      ["Bash", "same"],
    ]);
    expect(rows("messages").map((row) => row.state)).toEqual(["same", "only_headroom", "same", "changed", "same", "same", "same"]);
    const changed = rows("messages")[3];
    const value = JSON.stringify(data.elements[changed?.headroom?.[1] ?? -1]?.value);
    expect(value).toContain("compressed by the proxy");
    expect(SHORT_RESULT).toContain("compressed by the proxy");
  });

  test("--html-bodies changed (default) carries values of differing elements only; all carries every one; none carries none", () => {
    const values = (data: HtmlReportData) => Object.values(data.elements).filter((entry) => entry.value !== null).length;
    const changed = pageData<HtmlReportData>(report().html);
    const same = unpackRows(changed.pairs[4]?.view?.arrays.find((array) => array.name === "messages")?.rows ?? [])[0];
    expect(same?.state).toBe("same");
    expect(changed.elements[same?.direct?.[1] ?? -1]?.value).toBeNull();
    expect(changed.bodies.mode).toBe("changed");
    const all = pageData<HtmlReportData>(report(["--html-bodies", "all"]).html);
    expect(values(all)).toBe(all.elements.length);
    expect(values(all)).toBeGreaterThan(values(changed));
    const none = pageData<HtmlReportData>(report(["--html-bodies", "none"]).html);
    expect(values(none)).toBe(0);
    expect(none.pairs[4]?.view?.arrays.length).toBe(3);
  });

  test("the size budget holds: past it, element values are left out and counted, the rest of the report stays", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const { direct, headroom } = writeSessionPair(dir);
    const collector = new HtmlCollector();
    const head = await networkDiff({ direct, headroom, pairBy: "conversation" }, { pair: collector.pair });
    const page = statSync(join(ANALYZER, "dist", "html", "report.html")).size;
    const file = join(dir, "small.html");
    const budget = page + 12_000;
    const data = await writeHtmlReport(file, { head, pairs: collector.pairs, bodies: "all", budgetBytes: budget });
    expect(statSync(file).size).toBeLessThanOrEqual(budget);
    expect(data.bodies.left_out).toBeGreaterThan(0);
    expect(data.elements.some((element) => element.value !== null)).toBe(true);
    expect(pageData<HtmlReportData>(file).pairs).toHaveLength(5);
  });

  test("a pair that failed or lacks usage carries a warning", () => {
    const data = pageData<HtmlReportData>(report().html);
    expect(data.pairs[3]?.warnings.join(" ")).toMatch(/headroom failed/);
    expect(data.pairs[1]?.warnings).toEqual([]);
  });

  test("no secret and no raw </script> from a body reaches the page", () => {
    const { html, result } = report(["--html-bodies", "all"]);
    expect(result.status).toBe(0);
    const text = readFileSync(html, "utf8");
    for (const canary of CANARY_VALUES) expect(text).not.toContain(canary);
    expect(text).not.toContain('document.title="pwned"</script>');
    expect(JSON.stringify(pageData<HtmlReportData>(html).elements)).toContain('</script><script>document.title=\\"pwned\\"');
  });

  test("bad --html-bodies and an HTML path that is an input or another report are command-line errors (64)", () => {
    const dir = tempDir();
    dirs.push(dir);
    const { direct, headroom } = writeSessionPair(dir);
    const bad = runCli(["--direct", direct, "--headroom", headroom, "--html-output", join(dir, "r.html"), "--html-bodies", "some"]);
    expect(bad.status).toBe(64);
    expect(expectOneLineError(bad)).toMatch(/html-bodies/);
    const input = runCli(["--direct", direct, "--headroom", headroom, "--html-output", direct]);
    expect(input.status).toBe(64);
    const twice = runCli(["--direct", direct, "--headroom", headroom, "--json-output", join(dir, "r"), "--html-output", join(dir, "r")]);
    expect(twice.status).toBe(64);
    expect(expectOneLineError(twice)).toContain("--json-output and --html-output name the same file");
  });

  test("an HTML report that cannot be written is exit 1 with one line", () => {
    const dir = tempDir();
    dirs.push(dir);
    const { direct, headroom } = writeSessionPair(dir);
    const result = runCli(["--direct", direct, "--headroom", headroom, "--output", join(dir, "r.md"), "--html-output", "/proc/headroom-test/r.html", "--quiet"]);
    expect(result.status).toBe(1);
    expect(expectOneLineError(result)).toMatch(/cannot write HTML report \/proc\/headroom-test\/r.html/);
  });
});
