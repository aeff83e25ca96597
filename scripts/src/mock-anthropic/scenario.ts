/**
 * Scenarios: the scripted sessions the mock plays, one YAML file each in ./scenarios/ (adding a scenario is
 * adding a file). A scenario says what the user asks (prompt), which tools Claude Code may run without asking
 * (allowed_tools), and the assistant's steps: each a tool call (with a line of text before it) or the answer.
 *
 * `$CWD` in a tool input stands for the working directory Claude Code states in its prompt, so a Read or Edit
 * names a real file in whatever folder the lane runs in.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const SCENARIOS_DIR = fileURLToPath(new URL("./scenarios/", import.meta.url));
/** The realistic session `make demo`, the runner and Compose play unless told otherwise. */
export const DEFAULT_SCENARIO = "inventory-review";

export interface ToolStep {
  /** Text the assistant writes before the call. */
  say?: string;
  tool: string;
  input: Record<string, unknown>;
}

export interface AnswerStep {
  answer: string;
}

export type ScenarioStep = ToolStep | AnswerStep;

export interface Scenario {
  name: string;
  description: string;
  prompt: string;
  allowed_tools: string[];
  steps: ScenarioStep[];
}

export class ScenarioError extends Error {}

/** Every scenario name there is a file for. */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((file) => file.endsWith(".yml"))
    .map((file) => file.slice(0, -".yml".length))
    .sort();
}

/** A scenario by name (a file in ./scenarios/) or by path to a .yml file. */
export function loadScenario(nameOrFile: string = DEFAULT_SCENARIO): Scenario {
  const isFile = nameOrFile.includes("/") || nameOrFile.endsWith(".yml");
  const file = isFile ? nameOrFile : path.join(SCENARIOS_DIR, `${nameOrFile}.yml`);
  if (!existsSync(file)) {
    throw new ScenarioError(`no scenario named ${nameOrFile} (there are: ${scenarioNames().join(", ")})`);
  }
  const name = path.basename(file, ".yml");
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ScenarioError(`${file}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  return checkScenario(name, file, doc);
}

function checkScenario(name: string, file: string, doc: unknown): Scenario {
  const fail = (what: string): never => {
    throw new ScenarioError(`${file}: ${what}`);
  };
  if (typeof doc !== "object" || doc === null) fail("expected a mapping with prompt, allowed_tools and steps");
  const d = doc as Record<string, unknown>;
  if (typeof d.prompt !== "string" || d.prompt.trim() === "") fail("prompt: a non-empty string is required");
  const tools = d.allowed_tools;
  if (!Array.isArray(tools) || !tools.every((t) => typeof t === "string")) fail("allowed_tools: a list of tool names is required");
  if (!Array.isArray(d.steps) || d.steps.length === 0) fail("steps: a non-empty list is required");
  const steps = (d.steps as unknown[]).map((step, i): ScenarioStep => {
    const s = (step ?? {}) as Record<string, unknown>;
    if (typeof s.answer === "string") return { answer: s.answer };
    if (typeof s.tool !== "string") return fail(`steps[${i}]: either answer (text) or tool (a tool name) is required`);
    if (typeof s.input !== "object" || s.input === null) return fail(`steps[${i}]: input (the tool's arguments) is required`);
    if (!(tools as string[]).includes(s.tool)) fail(`steps[${i}]: tool ${s.tool} is not in allowed_tools`);
    return { say: typeof s.say === "string" ? s.say : undefined, tool: s.tool, input: s.input as Record<string, unknown> };
  });
  const last = steps.at(-1)!;
  if (!("answer" in last)) fail("the last step must be the answer");
  if (steps.slice(0, -1).some((s) => "answer" in s)) fail("only the last step may be an answer");
  return {
    name,
    description: typeof d.description === "string" ? d.description : "",
    prompt: (d.prompt as string).trim(),
    allowed_tools: tools as string[],
    steps,
  };
}

/** `--allowedTools A,B,C`: the flags a lane's Claude Code needs to run the scenario's tools unattended. */
export function allowedToolsArgs(scenario: Scenario): string {
  return `--allowedTools ${scenario.allowed_tools.join(",")}`;
}

/** A tool input with `$CWD` replaced by the working directory, in every string value. */
export function resolveInput(input: Record<string, unknown>, cwd: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) => [key, typeof value === "string" ? value.replaceAll("$CWD", cwd) : value]),
  );
}
