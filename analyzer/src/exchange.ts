/**
 * The one shape every later stage works on: an Exchange is one request/response seen by one lane,
 * reduced to what a report needs. Whatever the input format (schema v1 or the original harness),
 * normalize.ts produces this, already redacted.
 */

/** Anthropic token usage of one response; any field may be null when the response did not say. */
export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
  /**
   * Anthropic's split of the cache writes by lifetime, when the response gave it: 5-minute and
   * 1-hour writes are priced differently.
   */
  cache_creation?: CacheCreation;
}

export interface CacheCreation {
  ephemeral_5m_input_tokens: number | null;
  ephemeral_1h_input_tokens: number | null;
}

export interface Timings {
  response_headers_ms: number | null;
  first_byte_ms: number | null;
  end_ms: number | null;
}

/** What the report says about an Anthropic Messages API request body. */
export interface AnthropicSummary {
  /** Top-level `tools` array length; 0 when absent. */
  tools_count: number;
  /** Bytes of the tools array as compact JSON with sorted keys; 0 when absent. */
  tools_bytes: number;
  /** SHA-256 of that serialization; null when absent. */
  tools_sha256: string | null;
  /** Tool names in request order. */
  tool_names: readonly string[];
  anthropic_beta: string | null;
  model: string | null;
  stream: boolean | null;
  message_count: number | null;
}

/**
 * The JSON request body flattened to leaves: `pathIds[i]` names a path (see PathTable), `hashes[i]`
 * is a 53-bit hash of the value there. Empty objects and arrays are leaves of their own.
 */
export interface JsonLeaves {
  pathIds: Int32Array;
  hashes: Float64Array;
}

/**
 * The leaves of a request body that lie outside its prompt elements (all of them when it has no
 * prompt): the model, `max_tokens`, `metadata`, the billing-header block, and so on. The prompt
 * elements hold their own leaves (PromptElement.leaves).
 */
export interface BodyLeaves extends JsonLeaves {
  /** Where each of these leaves sits among all of the body's leaves (document order). */
  at: Int32Array;
}

/**
 * One element of a top-level prompt array (a tool, a system block, a message) as pairing,
 * alignment and the cache-prefix check see it. Equal elements at the same index are one object,
 * shared by every request (of any lane) that sends them: treat it as read-only.
 */
export interface PromptElement {
  /** Index of the element in the request's array (`$.messages[index]`). */
  index: number;
  /**
   * Hash of the element's content without `cache_control` (anywhere inside it). A message whose
   * content is one text block hashes like the same text given as a string, as the API treats them.
   */
  key: string;
  /** The tool's name (tools), the message's role (messages); null for system blocks. */
  name: string | null;
  /** The element's own leaves, with the body's paths (`$.messages[3].content[0].text`). */
  leaves: JsonLeaves;
}

/** The three prompt arrays of a Messages API request, in the order the prompt cache reads them. */
export type PromptKind = "tools" | "system" | "messages";

/** The prompt of a Messages API request, element by element. */
export interface Prompt {
  tools: PromptElement[];
  /**
   * System blocks (a string system is one element at index 0). Claude Code's per-request
   * `x-anthropic-billing-header: ...` block is metadata, not prompt, and is left out.
   */
  system: PromptElement[];
  messages: PromptElement[];
  /**
   * Where each element starts among the body's leaves (document order), the tools first, then the
   * system blocks, then the messages (see elementStart): what lists paths in document order.
   */
  starts: Int32Array;
}

export interface Exchange {
  file: string;
  /** 1-based line of the record in its file. */
  line: number;
  lane: string;
  /** The record's `sequence`; null when the record has none. */
  sequence: number | null;
  timestamp: number | null;
  method: string;
  /** URL with sensitive query values redacted, userinfo and fragment dropped. */
  url: string;
  host: string;
  /** Path plus redacted query, e.g. `/v1/messages?beta=true`. */
  path: string;
  /** `METHOD host/path?query`: what the report calls the route. */
  route: string;
  /** Request headers, names as sent, sensitive values `<redacted>`. */
  request_headers: ReadonlyArray<readonly [string, string]>;
  request_body_size: number | null;
  request_body_sha256: string | null;
  /** True when the record's body was cut (request_body_truncated) so JSON and hash may be unknown. */
  request_body_truncated: boolean;
  response_status: number | null;
  response_body_size: number | null;
  /** Hash of the whole response body; equal on two sides only when both saw the very same response. */
  response_body_sha256: string | null;
  response_stream: boolean | null;
  /** Flattened JSON body outside the prompt elements; null when the body is not JSON (or could not be recovered). */
  json: BodyLeaves | null;
  anthropic: AnthropicSummary;
  /** Element-level view of a Messages API body; null when the body has no `messages` array. */
  prompt: Prompt | null;
  usage: Usage | null;
  timings: Timings | null;
  error: { kind: string; message: string } | null;
  /** What a proxy said about this exchange and the tool results it carried (proxy-account.ts); absent or null: none. */
  proxy?: import("./proxy-account.js").ProxyFacts | null;
}

/** One lane's capture after loading: its exchanges in capture order plus warnings for the user. */
export interface Lane {
  name: string;
  file: string;
  exchanges: Exchange[];
  warnings: string[];
  /** Bytes of the input file. */
  bytes: number;
}
