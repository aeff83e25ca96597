/**
 * The scripted conversation: the scenario's steps, played from what each request contains (no session state), so
 * retries and the proxied lane get the same answers as the direct lane:
 *
 *   - the request's messages carry N tool_results                     -> step N of the scenario: a tool_use (with the
 *     text before it) when the request offers that tool, else the answer;
 *   - once every tool step has its result                            -> the answer, starting with FINAL_MARKER and
 *     naming the size of each tool result the conversation carries (what the model was given);
 *   - no tool result and no tool offered (side requests, e.g. small haiku calls) -> a short plain text answer.
 */
import { anthropicId } from "../shared/anthropic-errors.js";
import { resolveInput, type Scenario } from "./scenario.js";
import type { ContentBlock, MessagesRequest, ReplyBlock, StopReason } from "./types.js";

/** Every final answer of the scripted conversation starts with this. */
export const FINAL_MARKER = "MOCK-FINAL:";
/** Plain answers (no tools offered) start with this. */
export const PLAIN_MARKER = "MOCK-TEXT:";

export type ReplyKind = "tool_use" | "final" | "plain";

export interface ScriptedReply {
  kind: ReplyKind;
  content: ReplyBlock[];
  stop_reason: StopReason;
}

function blocksOf(content: string | ContentBlock[] | undefined): ContentBlock[] {
  if (content === undefined) return [];
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

function allText(request: MessagesRequest): string[] {
  const texts: string[] = [];
  for (const b of blocksOf(request.system)) if (typeof b.text === "string") texts.push(b.text);
  for (const m of request.messages) for (const b of blocksOf(m.content)) if (typeof b.text === "string") texts.push(b.text);
  return texts;
}

/**
 * The working directory Claude Code states in its prompt. 2.1.x puts "Primary working directory: /abs" in an
 * "# Environment" block (a system-role message); older versions wrote "Working directory: /abs" in <env>.
 */
export function findWorkingDirectory(request: MessagesRequest): string | null {
  for (const text of allText(request)) {
    const match = /(?:Primary working directory|Working directory):\s*(\/[^\n<]*)/.exec(text);
    if (match?.[1]) return match[1].trim();
  }
  return null;
}

function toolResults(content: string | ContentBlock[] | undefined): ContentBlock[] {
  return blocksOf(content).filter((b) => b.type === "tool_result");
}

function toolResultText(result: ContentBlock): string {
  return blocksOf(result.content)
    .map((b) => (typeof b.text === "string" ? b.text : ""))
    .join("");
}

function hasTool(request: MessagesRequest, name: string): boolean {
  return (request.tools ?? []).some((t) => t.name === name);
}

function text(value: string): ReplyBlock {
  return { type: "text", text: value };
}

/** What the model was given back by each tool, e.g. "Bash: 29330 characters in 152 lines". */
function describeResults(request: MessagesRequest): string {
  const names = new Map<string, string>();
  for (const m of request.messages) for (const b of blocksOf(m.content)) if (b.type === "tool_use" && b.id) names.set(b.id, String(b.name));
  const described = request.messages.flatMap((m) =>
    toolResults(m.content).map((r) => {
      const body = toolResultText(r);
      const lines = body === "" ? 0 : body.split("\n").length;
      const tool = names.get(String(r.tool_use_id)) ?? "tool";
      return `${tool}: ${r.is_error ? "an error of " : ""}${body.length} characters in ${lines} lines`;
    }),
  );
  return described.join("; ");
}

/** Decide the answer to one /v1/messages request. */
export function scriptReply(request: MessagesRequest, scenario: Scenario): ScriptedReply {
  const done = request.messages.reduce((sum, m) => sum + (m.role === "user" ? toolResults(m.content).length : 0), 0);
  if ((request.tools ?? []).length === 0 && done === 0) {
    return { kind: "plain", content: [text(`${PLAIN_MARKER} ok.`)], stop_reason: "end_turn" };
  }
  const step = scenario.steps[Math.min(done, scenario.steps.length - 1)]!;
  if ("tool" in step && hasTool(request, step.tool)) {
    const cwd = findWorkingDirectory(request);
    if (cwd === null && JSON.stringify(step.input).includes("$CWD")) {
      return {
        kind: "plain",
        content: [text(`${PLAIN_MARKER} no working directory found in the prompt, so no ${step.tool} call.`)],
        stop_reason: "end_turn",
      };
    }
    return {
      kind: "tool_use",
      content: [
        ...(step.say ? [text(step.say)] : []),
        { type: "tool_use", id: anthropicId("toolu"), name: step.tool, input: resolveInput(step.input, cwd ?? "") },
      ],
      stop_reason: "tool_use",
    };
  }
  // A request that offers other tools than the session's (a side request) gets plain text, as before the first step.
  if ("tool" in step && done === 0) {
    return { kind: "plain", content: [text(`${PLAIN_MARKER} ok.`)], stop_reason: "end_turn" };
  }
  const answer = "answer" in step ? step.answer : `The ${step.tool} tool is not offered, so I stop here.`;
  const results = describeResults(request);
  return {
    kind: "final",
    content: [text(`${FINAL_MARKER} ${answer}${results ? ` (Tool results: ${results}.)` : ""} This answer comes from the mock Anthropic API.`)],
    stop_reason: "end_turn",
  };
}
