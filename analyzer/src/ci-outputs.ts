/**
 * What CI systems read: a JUnit XML file with one testcase per gate (`--junit FILE`), and the
 * Markdown verdict appended to GitHub Actions' job summary (`--github-step-summary`).
 *
 * Why JUnit: every CI system shows JUnit results as tests, so a failed gate appears by its
 * expression, with its value, without anyone opening a log.
 */
import { appendFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Argv } from "yargs";
import { EXIT, OutputError } from "./errors.js";
import { anyFailed, gateValue, type GateResult } from "./gates.js";
import { makeFolders } from "./output-file.js";

/** Text safe in XML content and attributes: escaped, and without characters XML 1.0 forbids. */
export function xmlText(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** The gates as a JUnit XML document: suite `name`, one testcase per gate, failures as <failure>. */
export function renderJunit(name: string, results: readonly GateResult[]): string {
  const failures = results.filter((result) => result.failed).length;
  const cases = results.map((result) => {
    const open = `    <testcase classname="${xmlText(name)}" name="${xmlText(result.expr)}" time="0">`;
    if (!result.failed) return `${open}</testcase>`;
    const reason = result.value === null ? "the value could not be counted" : `the condition holds: value ${gateValue(result.value)}`;
    return `${open}\n      <failure message="${xmlText(reason)}" type="gate">${xmlText(`${result.expr}: ${reason}`)}</failure>\n    </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${xmlText(name)}" tests="${results.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="${xmlText(name)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}

export async function writeJunit(file: string, name: string, results: readonly GateResult[]): Promise<void> {
  const target = resolve(file);
  await makeFolders(dirname(target));
  await writeFile(target, renderJunit(name, results));
}

/**
 * Append Markdown to the file GitHub Actions names in GITHUB_STEP_SUMMARY. Returns false when the
 * variable is not set (not running in GitHub Actions), so the caller can say nothing was written.
 */
export async function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  await appendFile(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  return true;
}

export interface GateOutputs {
  /** `--junit FILE`. */
  junit?: string;
  /** `--github-step-summary`: append `summary` to $GITHUB_STEP_SUMMARY. */
  stepSummary: boolean;
  /** The Markdown verdict for the step summary. */
  summary: string;
  /** Names the JUnit suite: the command that evaluated the gates. */
  suite: string;
  warn: (message: string) => void;
}

/**
 * Write what CI reads about the gates; returns the exit code they call for (0, or 3 when any
 * failed). A file that cannot be written is an OutputError (exit 1) naming it.
 */
export async function publishGates(results: readonly GateResult[], outputs: GateOutputs): Promise<number> {
  if (outputs.junit) {
    await writeJunit(outputs.junit, outputs.suite, results).catch((error: NodeJS.ErrnoException) => {
      throw new OutputError(`cannot write JUnit file ${outputs.junit} (${error.code ?? "error"})`);
    });
  }
  if (outputs.stepSummary) {
    const written = await appendStepSummary(outputs.summary).catch((error: NodeJS.ErrnoException) => {
      throw new OutputError(`cannot append to GITHUB_STEP_SUMMARY ${process.env.GITHUB_STEP_SUMMARY} (${error.code ?? "error"})`);
    });
    if (!written) outputs.warn("--github-step-summary: GITHUB_STEP_SUMMARY is not set (not in GitHub Actions); no step summary written");
  }
  return anyFailed(results) ? EXIT.gateFailed : EXIT.ok;
}

/** --fail-on, --junit and --github-step-summary: the same on every command that evaluates gates. */
export function gateOptions<T>(y: Argv<T>) {
  return y
    .option("fail-on", { type: "string", array: true, nargs: 1, requiresArg: true, describe: "Gate 'METRIC OP NUMBER' (repeatable): exit 3 when the condition holds or the metric could not be counted; metrics below" })
    .option("junit", { type: "string", requiresArg: true, describe: "Write the gates as JUnit XML here (one testcase per gate)" })
    .option("github-step-summary", { type: "boolean", default: false, describe: "Append the Markdown verdict to the file $GITHUB_STEP_SUMMARY names (GitHub Actions)" });
}
