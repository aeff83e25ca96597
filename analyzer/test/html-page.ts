/**
 * Drives an HTML report in headless Chromium (Debian's /usr/bin/chromium through playwright-core;
 * playwright's own browser download cannot work offline). Shared by the analyzer's browser test and
 * the demo end-to-end test.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Debian's chromium (make test installs it; or apt-get install chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"] });
}

export interface OpenedReport {
  page: Page;
  /** Every URL the page asked for, the page itself first. */
  requests: string[];
  /** Uncaught errors and console errors in the page. */
  errors: string[];
}

/** Open `file` from file:// at a desktop size, recording every request and every error; `ready` is what to wait for. */
export async function openReport(browser: Browser, file: string, hash = "", ready = hash ? "#pairs" : "#overview canvas"): Promise<OpenedReport> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(pathToFileURL(file).href + hash);
  await page.waitForSelector(ready);
  return { page, requests, errors };
}

/** The figures the overview shows: `data-field` (a path in the JSON report) -> `data-value`. */
export async function shownFigures(page: Page): Promise<Array<{ field: string; value: number | null; text: string }>> {
  return page.$$eval("[data-field]", (cells) =>
    cells.map((cell) => {
      const raw = cell.getAttribute("data-value");
      return { field: cell.getAttribute("data-field") ?? "", value: raw === null || raw === "null" ? null : Number(raw), text: (cell.textContent ?? "").trim() };
    }),
  );
}

/** The JSON report's value at a `data-field` path; an array (errors) counts its items. */
export function reportFigure(report: unknown, field: string): number | null {
  const value = field.split(".").reduce<unknown>((at, key) => (at !== null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined), report);
  if (Array.isArray(value)) return value.length;
  return typeof value === "number" ? value : null;
}

/** Text shown for a figure, as a number: `1,234` -> 1234, `88.26 %` -> 0.8826, `–` -> null. */
export function shownNumber(text: string): number | null {
  if (text === "–") return null;
  const number = Number(text.replace(/[,%\s]/g, ""));
  return text.endsWith("%") ? number / 100 : number;
}

export async function screenshot(page: Page, file: string, fullPage = false): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage });
}
