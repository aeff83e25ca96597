/** The parts of Anthropic's Messages API request and response the mock reads and writes. */

export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | ContentBlock[];
  is_error?: boolean;
  cache_control?: unknown;
  [other: string]: unknown;
}

export interface MessageParam {
  role: string;
  content: string | ContentBlock[];
}

export interface ToolParam {
  name: string;
  cache_control?: unknown;
  [other: string]: unknown;
}

export interface MessagesRequest {
  model: string;
  messages: MessageParam[];
  system?: string | ContentBlock[];
  tools?: ToolParam[];
  max_tokens?: number;
  stream?: boolean;
  [other: string]: unknown;
}

export type ReplyBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

export type StopReason = "end_turn" | "tool_use" | "max_tokens" | "stop_sequence";

export interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}
