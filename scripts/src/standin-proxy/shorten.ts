/**
 * The stand-in's one visible, deterministic change, in the spirit of Headroom's context compression: tool_result
 * text longer than a limit keeps its head and ends with a marker saying how much was elided. Same input, same
 * output, so the shortened prefix stays identical across turns (prompt caching still works through it).
 */

export const DEFAULT_MAX_TOOL_RESULT_CHARS = 800;

export interface ShortenResult {
  /** The re-serialized body, or the original bytes when nothing changed. */
  body: Buffer;
  /** How many tool_result texts were shortened. */
  shortened: number;
  /** Original body size minus new body size, in bytes. */
  bytesSaved: number;
}

export function elisionMarker(elided: number): string {
  return `\n[stand-in: ${elided} chars elided]`;
}

function shortenText(text: string, limit: number): string | null {
  if (text.length <= limit) return null;
  return text.slice(0, limit) + elisionMarker(text.length - limit);
}

interface Block {
  type?: unknown;
  text?: unknown;
  content?: unknown;
}

/** Shorten one tool_result block in place; returns how many texts it shortened. */
function shortenToolResult(block: Block, limit: number): number {
  if (typeof block.content === "string") {
    const short = shortenText(block.content, limit);
    if (short === null) return 0;
    block.content = short;
    return 1;
  }
  if (!Array.isArray(block.content)) return 0;
  let count = 0;
  for (const inner of block.content as Block[]) {
    if (inner?.type !== "text" || typeof inner.text !== "string") continue;
    const short = shortenText(inner.text, limit);
    if (short === null) continue;
    inner.text = short;
    count++;
  }
  return count;
}

/**
 * Shorten long tool_result texts in a /v1/messages JSON body. A body that is not JSON, or has nothing to shorten,
 * is returned byte for byte.
 */
export function shortenToolResults(raw: Buffer, limit: number): ShortenResult {
  const unchanged = { body: raw, shortened: 0, bytesSaved: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    return unchanged;
  }
  const messages = (parsed as { messages?: unknown })?.messages;
  if (!Array.isArray(messages)) return unchanged;
  let shortened = 0;
  for (const message of messages as Array<{ content?: unknown }>) {
    if (!Array.isArray(message?.content)) continue;
    for (const block of message.content as Block[]) {
      if (block?.type === "tool_result") shortened += shortenToolResult(block, limit);
    }
  }
  if (shortened === 0) return unchanged;
  const body = Buffer.from(JSON.stringify(parsed), "utf8");
  return { body, shortened, bytesSaved: raw.length - body.length };
}

/** The x-headroom-standin header value, sent upstream and back to the client. */
export function standinHeaderValue(result: Pick<ShortenResult, "shortened" | "bytesSaved">): string {
  return `tool_results_shortened=${result.shortened}; bytes_saved=${result.bytesSaved}`;
}
