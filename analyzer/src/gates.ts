/**
 * Gates: `--fail-on 'METRIC OP NUMBER'` turns a report into a pass/fail for CI.
 *
 * A gate states the condition that must NOT hold: `prompt_tokens_delta_pct > 0` fails the run when
 * the proxy sent more prompt tokens. A gate on a figure the report could not count fails too — a
 * pipeline must not pass because nothing was measured — and says so.
 *
 * Why parse before reading any input: a typo in a CI file should fail at once with the name of what
 * is wrong (exit 64), not after minutes of analysis.
 */
import { markdownTable } from "markdown-table";
import { UsageError } from "./errors.js";

export const OPERATORS = ["<=", ">=", "==", "!=", "<", ">"] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Gate {
  /** The expression as the user wrote it, trimmed. */
  expr: string;
  metric: string;
  op: Operator;
  threshold: number;
}

export interface GateResult {
  expr: string;
  /** The metric's value; null when the report could not count it (the gate then fails). */
  value: number | null;
  failed: boolean;
}

const EXPRESSION = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

/** Parse `--fail-on` expressions; an unknown metric or a malformed expression is a UsageError naming it. */
export function parseGates(expressions: readonly string[], known: ReadonlySet<string>): Gate[] {
  return expressions.map((expression) => {
    const match = EXPRESSION.exec(expression);
    if (!match) throw new UsageError(`--fail-on '${expression}': expected 'METRIC OP NUMBER' with OP one of ${OPERATORS.join(" ")}`);
    const [, metric, op, number] = match as unknown as [string, string, Operator, string];
    if (!known.has(metric)) throw new UsageError(`--fail-on '${expression}': unknown metric ${metric}`);
    return { expr: expression.trim().replace(/\s+/g, " "), metric, op, threshold: Number(number) };
  });
}

function holds(value: number, op: Operator, threshold: number): boolean {
  switch (op) {
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "==":
      return value === threshold;
    case "!=":
      return value !== threshold;
  }
}

/** Evaluate the gates against the values a report offers; a true condition or an uncounted value fails. */
export function evaluateGates(gates: readonly Gate[], values: ReadonlyMap<string, number | null>): GateResult[] {
  return gates.map((gate) => {
    const value = values.get(gate.metric) ?? null;
    return { expr: gate.expr, value, failed: value === null || holds(value, gate.op, gate.threshold) };
  });
}

export function anyFailed(results: readonly GateResult[]): boolean {
  return results.some((result) => result.failed);
}

/** A value as gates show it: up to 4 decimals, `not counted` for null. */
export function gateValue(value: number | null): string {
  if (value === null) return "not counted";
  return String(Math.round(value * 10_000) / 10_000);
}

/** The gates as a Markdown section (empty without gates). */
export function renderGatesMarkdown(results: readonly GateResult[]): string {
  if (results.length === 0) return "";
  const failed = results.filter((result) => result.failed).length;
  const rows = results.map((result) => [`\`${result.expr.replace(/\|/g, "\\|")}\``, gateValue(result.value), result.failed ? "**FAILED**" : "passed"]);
  const headline = failed ? `${failed} of ${results.length} gates failed.` : `All ${results.length} gates passed.`;
  return `\n## Gates\n\n${headline} A gate fails when its condition holds or its value could not be counted.\n\n${markdownTable([["Gate", "Value", "Result"], ...rows], { alignDelimiters: false })}\n`;
}
