/**
 * Anthropic's error shape, used by the mock and by the stand-in so clients see the same errors they would from
 * the real API: {"type":"error","error":{"type":...,"message":...}} plus a request-id header.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** An id like Anthropic's: prefix + 24 base62 characters (req_…, msg_…, toolu_…). */
export function anthropicId(prefix: string): string {
  const bytes = randomBytes(24);
  let id = "";
  for (const b of bytes) id += BASE62[b % 62];
  return `${prefix}_011C${id}`;
}

export function errorBody(type: AnthropicErrorType, message: string): string {
  return JSON.stringify({ type: "error", error: { type, message } });
}

/** Send an Anthropic-shaped error with a fresh request-id (unless headers were already sent). */
export function sendAnthropicError(
  res: ServerResponse,
  status: number,
  type: AnthropicErrorType,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(type, message);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "request-id": anthropicId("req"),
    "x-should-retry": "false",
    ...extraHeaders,
  });
  res.end(body);
}
