/**
 * The HTML report in a real browser (Debian's chromium, headless): the figures shown are the JSON
 * report's, the charts draw, a pair opens with its aligned view, the filters and j / k work, and
 * the page asks for nothing but itself. Screenshots go to analyzer/test-output/html/.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ANALYZER, runCli, tempDir } from "./helpers.js";
import { writeSessionPair } from "./html-fixture.js";
import { launchBrowser, openReport, reportFigure, screenshot, shownFigures, shownNumber, type OpenedReport } from "./html-page.js";

const SHOTS = join(ANALYZER, "test-output", "html");

describe("the HTML report in headless Chromium", () => {
  const dir = tempDir();
  const html = join(dir, "report.html");
  const json = join(dir, "report.json");
  let browser: Browser;
  let opened: OpenedReport;
  let report: Record<string, unknown>;

  beforeAll(async () => {
    const { direct, headroom } = writeSessionPair(dir);
    const result = runCli(["--direct", direct, "--headroom", headroom, "--output", join(dir, "report.md"), "--json-output", json, "--html-output", html, "--quiet"]);
    if (result.status !== 0) throw new Error(result.stderr);
    report = JSON.parse(readFileSync(json, "utf8")) as Record<string, unknown>;
    browser = await launchBrowser();
    opened = await openReport(browser, html);
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the overview shows the title, the verdict and every per-lane figure exactly as the JSON report has it", async () => {
    const { page } = opened;
    expect(await page.textContent("h1")).toBe("Differential Network Capture Report");
    expect((await page.textContent("#verdict"))?.length).toBeGreaterThan(20);
    const figures = await shownFigures(page);
    expect(figures.length).toBeGreaterThanOrEqual(20);
    for (const { field, value, text } of figures) {
      const expected = reportFigure(report, field);
      expect(value, field).toBe(expected);
      const shown = shownNumber(text);
      if (field.endsWith("cache_hit_ratio")) expect(shown, field).toBeCloseTo(expected as number, 4);
      else expect(shown, field).toBe(expected === null ? null : Math.round(expected * 10) / 10);
    }
    await screenshot(page, join(SHOTS, "overview.png"), true);
  });

  test("the four per-turn charts are drawn for the longest conversation", async () => {
    const { page } = opened;
    const charts = await page.$$eval("[data-chart] canvas", (canvases) => canvases.map((canvas) => (canvas as HTMLCanvasElement).width));
    expect(charts).toHaveLength(4);
    for (const width of charts) expect(width).toBeGreaterThan(100);
    expect(await page.$eval("#conversation", (select) => (select as HTMLSelectElement).selectedOptions[0]?.textContent)).toMatch(/^Conversation 2 · 4 turns/);
  });

  test("j opens the first pair, j / k move through the list", async () => {
    const { page } = opened;
    await page.keyboard.press("j");
    await page.waitForSelector('[data-pair-view="0"]');
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.waitForSelector('[data-pair-view="2"]');
    await page.keyboard.press("k");
    await page.waitForSelector('[data-pair-view="1"]');
    expect(await page.$eval(".prow.selected", (row) => row.getAttribute("data-pair"))).toBe("1");
  });

  test("the last turn opens aligned: tools by name, the inserted message alone, the tool result as a text diff, noise-free figures", async () => {
    const { page } = opened;
    await page.click('.prow[data-pair="4"]');
    await page.waitForSelector('[data-pair-view="4"]');
    await screenshot(page, join(SHOTS, "pair.png"));
    const tools = await page.$$eval('[data-array="tools"] .erow', (rows) => rows.map((row) => row.getAttribute("data-state")));
    expect(tools).toEqual(["moved", "only_headroom", "same"]);
    const messages = await page.$$eval('[data-array="messages"] > .erow', (rows) => rows.map((row) => row.getAttribute("data-state")));
    expect(messages).toEqual(["same", "only_headroom", "same", "changed", "same-run"]);
    const inserted = await page.textContent('[data-array="messages"] .erow.only_headroom');
    expect(inserted).toContain("[proxy note] earlier output was compressed");
    const changed = page.locator('[data-array="messages"] .erow.changed');
    expect(await changed.locator("del").count()).toBeGreaterThan(0);
    expect((await changed.locator("ins").allTextContents()).join(" ")).toMatch(/compressed.*proxy/);
    expect(await changed.textContent()).toContain("[... 100 lines compressed by the proxy ...]");
    expect(await page.textContent("#pair-figures")).toContain("Prompt tokens");
    // A folded run of same messages opens into its rows.
    await page.click('[data-array="messages"] .erow.run .ehead');
    expect(await page.locator('[data-array="messages"] > .erow').count()).toBe(7);
    // Headers: the differing ones listed, the noise-free identical ones folded.
    expect(await page.textContent("#pair-headers")).toContain("x-headroom-mode");
  });

  test("filters: changed only, has warnings, route, status, search text", async () => {
    const { page } = opened;
    const count = async () => (await page.textContent("#pair-count"))?.trim();
    expect(await count()).toBe("5 of 5 pairs");
    await page.check("#filter-changed");
    expect(await count()).toBe("4 of 5 pairs");
    await page.uncheck("#filter-changed");
    await page.check("#filter-warnings");
    expect(await count()).toBe("2 of 5 pairs");
    // The failed turn, and the last turn (the proxy's inserted message makes the message counts differ).
    expect(await page.$$eval(".prow", (rows) => rows.map((row) => row.getAttribute("data-pair")))).toEqual(["3", "4"]);
    await page.uncheck("#filter-warnings");
    await page.selectOption("#filter-status", "failed");
    expect(await count()).toBe("1 of 5 pairs");
    await page.selectOption("#filter-status", "");
    await page.fill("#filter-search", "haiku");
    expect(await count()).toBe("1 of 5 pairs");
    await page.fill("#filter-search", "");
    const route = await page.$eval("#filter-route", (select) => (select as HTMLSelectElement).options[1]?.value ?? "");
    await page.selectOption("#filter-route", route);
    expect(await count()).toBe("5 of 5 pairs");
  });

  test("the page asked for nothing but itself and raised no error", () => {
    expect(opened.requests).toEqual([expect.stringMatching(/^file:\/\/.*report\.html$/)]);
    expect(opened.errors).toEqual([]);
  });

  test("with --baseline, headers that differ between two direct runs too are greyed out as noise", async () => {
    const { direct, headroom, baseline } = writeSessionPair(dir);
    const noisy = join(dir, "noise.html");
    const result = runCli(["--direct", direct, "--headroom", headroom, "--baseline", baseline, "--output", join(dir, "noise.md"), "--html-output", noisy, "--quiet"]);
    expect(result.status, result.stderr).toBe(0);
    const opened = await openReport(browser, noisy, "#pair-5");
    await opened.page.waitForSelector('[data-pair-view="4"]');
    const noise = await opened.page.$$eval("#pair-headers .hdrs > div.noise", (cells) => cells.map((cell) => cell.textContent));
    expect(noise[0]).toBe("x-claude-code-session-id");
    const signal = await opened.page.$$eval("#pair-headers .hdrs > div.only", (cells) => cells.map((cell) => cell.textContent));
    expect(signal[0]).toBe("x-headroom-mode");
    // metadata.user_id differs between the two direct runs too: greyed out, not highlighted.
    const body = await opened.page.$$eval('[data-array="params"] .jdiff > div.noise', (cells) => cells.map((cell) => cell.textContent));
    expect(body.join(" ")).toContain("user_id");
    expect(await opened.page.locator('[data-array="params"] .jdiff > div.chg').count()).toBe(0);
    await opened.page.close();
  });

  test("a pair opens straight from its address (#pair-N)", async () => {
    const direct = await openReport(browser, html, "#pair-4");
    await direct.page.waitForSelector('[data-pair-view="3"]');
    expect(await direct.page.textContent("#pair-warnings")).toMatch(/headroom failed/);
    await direct.page.close();
  });
});
