/**
 * The scripted conversation. Each answer depends only on the request (no session state), so retries and the
 * proxied lane get the same answers as the direct lane:
 *
 *   - the request offers a `Read` tool and no tool_result has come back yet  -> a text block, then tool_use Read
 *     of a file in Claude Code's working directory (README.md unless told otherwise);
 *   - the last user message carries a tool_result                             -> final text starting with
 *     FINAL_MARKER that names the size of what came back;
 *   - anything else (side requests without tools, e.g. small haiku calls)    -> a short plain text answer.
 */
import { isAbsolute, join } from "node:path";
import { anthropicId } from "../shared/anthropic-errors.js";
import type { ContentBlock, MessagesRequest, ReplyBlock, StopReason } from "./types.js";

/** Every final answer of the scripted conversation starts with this. */
export const FINAL_MARKER = "MOCK-FINAL:";
/** Plain answers (no tools offered) start with this. */
export const PLAIN_MARKER = "MOCK-TEXT:";
export const DEFAULT_READ_FILE = "README.md";

export type ReplyKind = "tool_use" | "final" | "plain";

export interface ScriptedReply {
  kind: ReplyKind;
  content: ReplyBlock[];
  stop_reason: StopReason;
}

export interface ConversationOptions {
  /** File the tool turn reads: absolute, or relative to the working directory Claude Code states. */
  readFile?: string;
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

/** Decide the answer to one /v1/messages request. */
export function scriptReply(request: MessagesRequest, options: ConversationOptions = {}): ScriptedReply {
  const lastUser = [...request.messages].reverse().find((m) => m.role === "user");
  const results = toolResults(lastUser?.content);
  if (results.length > 0) {
    const described = results.map((r) => {
      const body = toolResultText(r);
      const lines = body === "" ? 0 : body.split("\n").length;
      return `${r.is_error ? "an error of" : ""}${body.length} characters in ${lines} lines`.trim();
    });
    return {
      kind: "final",
      content: [text(`${FINAL_MARKER} the tool returned ${described.join("; ")}. This answer comes from the mock Anthropic API.`)],
      stop_reason: "end_turn",
    };
  }

  const anyToolResult = request.messages.some((m) => toolResults(m.content).length > 0);
  if (hasTool(request, "Read") && !anyToolResult) {
    const wanted = options.readFile ?? DEFAULT_READ_FILE;
    const cwd = findWorkingDirectory(request);
    const filePath = isAbsolute(wanted) ? wanted : cwd ? join(cwd, wanted) : null;
    if (filePath) {
      return {
        kind: "tool_use",
        content: [
          text(`I'll read ${wanted} first.`),
          { type: "tool_use", id: anthropicId("toolu"), name: "Read", input: { file_path: filePath } },
        ],
        stop_reason: "tool_use",
      };
    }
    return {
      kind: "plain",
      content: [text(`${PLAIN_MARKER} no working directory found in the prompt, so nothing to read.`)],
      stop_reason: "end_turn",
    };
  }

  return { kind: "plain", content: [text(`${PLAIN_MARKER} ok.`)], stop_reason: "end_turn" };
}
