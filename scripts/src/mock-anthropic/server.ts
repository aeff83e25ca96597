/**
 * A faithful stand-in for api.anthropic.com on 127.0.0.1, so the harness runs offline with the real Claude Code CLI.
 *
 * Why each piece exists:
 *   - HTTPS with a throwaway CA by default: clients and mitmproxy do the same TLS they would against Anthropic;
 *   - SSE paced by eventDelayMs: streaming is real, so "captures pass SSE through unbuffered" can be tested;
 *   - usage with cache fields from the prompt prefix (usage.ts): prompt-cache effects show in captures;
 *   - a scripted session (conversation.ts, one scenario file each): Claude Code runs real tools and sends their
 *     results back, turn after turn;
 *   - a digest of every request body exactly as received: the e2e checks captures are byte-faithful.
 */
import { buffer } from "node:stream/consumers";
import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { anthropicId, sendAnthropicError } from "../shared/anthropic-errors.js";
import { ensureTlsMaterial } from "../shared/tls.js";
import { scriptReply, type ReplyKind } from "./conversation.js";
import { formatEvent, messageJson, streamEvents, type Answer } from "./response.js";
import { loadScenario, type Scenario } from "./scenario.js";
import type { MessagesRequest } from "./types.js";
import { countInputTokens, PromptCache } from "./usage.js";

export const DEFAULT_HOSTNAMES = ["api.anthropic.com"];
export const DEFAULT_EVENT_DELAY_MS = 15;

export interface MockAnthropicOptions {
  host?: string;
  /** 0 lets the OS choose. */
  port?: number;
  /** Serve plain HTTP instead of HTTPS. */
  plainHttp?: boolean;
  /** Folder for ca.pem, ca-key.pem, server.pem, server-key.pem (created or reused). Required for HTTPS. */
  tlsDir?: string;
  /** Names the server certificate covers, besides localhost and 127.0.0.1. */
  hostnames?: string[];
  /** Append one JSON line per request received: {received_at, method, route, path, size, sha256}. */
  digestLog?: string;
  /** Pause between SSE events. */
  eventDelayMs?: number;
  /** The session to play (default: DEFAULT_SCENARIO). */
  scenario?: Scenario;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
}

/** What the mock saw of one request; header values are never kept. */
export interface ReceivedRequest {
  received_at: string;
  method: string;
  /** URL path without the query, e.g. /v1/messages. */
  route: string;
  /** Path with the query, e.g. /v1/messages?beta=true. */
  path: string;
  size: number;
  sha256: string;
  status?: number;
  model?: string;
  stream?: boolean;
  tools?: number;
  reply?: ReplyKind;
  usage?: Answer["input"];
}

export interface MockAnthropic {
  url: string;
  /** Absolute path of the CA certificate clients must trust; undefined for plain HTTP. */
  caCertPath?: string;
  /** Every request received so far, in order. */
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

const ROUTES: Record<string, string[]> = {
  "/v1/messages": ["POST"],
  "/v1/messages/count_tokens": ["POST"],
  // Connectivity check Claude Code sends (HEAD) unless CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set.
  "/api/hello": ["GET", "HEAD"],
};

function usageText(usage: ReceivedRequest["usage"]): string {
  if (!usage) return "";
  return `input ${usage.input_tokens}, cache write ${usage.cache_creation_input_tokens}, cache read ${usage.cache_read_input_tokens}`;
}

function hasCredentials(req: IncomingMessage): boolean {
  const apiKey = req.headers["x-api-key"];
  const authorization = req.headers.authorization ?? "";
  return (typeof apiKey === "string" && apiKey.length > 0) || /^Bearer\s+\S+/i.test(authorization);
}

function decodeBody(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? "identity").toLowerCase()) {
    case "gzip":
      return gunzipSync(raw);
    case "deflate":
      return inflateSync(raw);
    case "br":
      return brotliDecompressSync(raw);
    case "identity":
      return raw;
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}

/** Light validation of a Messages request, with messages like the real API's. */
function validationError(body: unknown, needsMaxTokens: boolean): string | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "request body must be a JSON object";
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string") return "model: Field required";
  if (!Array.isArray(b.messages)) return "messages: Field required";
  if (needsMaxTokens && typeof b.max_tokens !== "number") return "max_tokens: Field required";
  return null;
}


function commonHeaders(): Record<string, string> {
  return {
    "request-id": anthropicId("req"),
    "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
    via: "1.1 mock-anthropic",
  };
}

export async function startMockAnthropic(options: MockAnthropicOptions = {}): Promise<MockAnthropic> {
  const host = options.host ?? "127.0.0.1";
  const eventDelayMs = options.eventDelayMs ?? DEFAULT_EVENT_DELAY_MS;
  const log = options.log ?? ((line: string) => process.stderr.write(`[mock-anthropic] ${line}\n`));
  const cache = new PromptCache();
  const scenario = options.scenario ?? loadScenario();
  const requests: ReceivedRequest[] = [];

  let caCertPath: string | undefined;
  let tls: { cert: string; key: string } | undefined;
  if (!options.plainHttp) {
    if (!options.tlsDir) throw new Error("startMockAnthropic: tlsDir is required for HTTPS (or set plainHttp)");
    const material = ensureTlsMaterial(options.tlsDir, options.hostnames ?? DEFAULT_HOSTNAMES);
    caCertPath = material.caPath;
    tls = { cert: material.cert, key: material.key };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await buffer(req);
    const path = req.url ?? "/";
    const route = new URL(path, "http://mock").pathname;
    const record: ReceivedRequest = {
      received_at: new Date().toISOString(),
      method: req.method ?? "GET",
      route,
      path,
      size: raw.length,
      sha256: createHash("sha256").update(raw).digest("hex"),
    };
    requests.push(record);
    if (options.digestLog) {
      const { received_at, method, size, sha256 } = record;
      appendFileSync(options.digestLog, JSON.stringify({ received_at, method, route, path, size, sha256 }) + "\n", { mode: 0o600 });
    }
    res.on("finish", () => {
      record.status = res.statusCode;
      const details = [record.model, record.stream ? "stream" : "", record.reply, usageText(record.usage)].filter(Boolean);
      log(`${record.method} ${path} ${raw.length}B -> ${res.statusCode}${details.length ? ` (${details.join(", ")})` : ""}`);
    });

    const methods = ROUTES[route];
    if (!methods) return sendAnthropicError(res, 404, "not_found_error", `Not found: ${route}`);
    if (!methods.includes(record.method)) {
      return sendAnthropicError(res, 405, "invalid_request_error", `Method ${record.method} not allowed for ${route}`, {
        allow: methods.join(", "),
      });
    }
    if (route === "/api/hello") return sendJson(res, { message: "hello" });
    if (!hasCredentials(req)) {
      return sendAnthropicError(res, 401, "authentication_error", "x-api-key header is required");
    }

    let body: unknown;
    try {
      body = JSON.parse(decodeBody(raw, req.headers["content-encoding"]).toString("utf8"));
    } catch (error) {
      return sendAnthropicError(res, 400, "invalid_request_error", `The request body is not valid JSON: ${(error as Error).message}`);
    }
    const invalid = validationError(body, route === "/v1/messages");
    if (invalid) return sendAnthropicError(res, 400, "invalid_request_error", invalid);
    const request = body as MessagesRequest;
    record.model = request.model;
    record.stream = request.stream === true;
    record.tools = request.tools?.length ?? 0;

    if (route === "/v1/messages/count_tokens") {
      return sendJson(res, { input_tokens: countInputTokens(request) });
    }

    const reply = scriptReply(request, scenario);
    record.reply = reply.kind;
    const answer: Answer = {
      id: anthropicId("msg"),
      model: request.model,
      content: reply.content,
      stop_reason: reply.stop_reason,
      input: cache.account(request),
    };
    record.usage = answer.input;
    if (request.stream === true) return streamAnswer(res, answer);
    return sendJson(res, messageJson(answer));
  }

  function sendJson(res: ServerResponse, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...commonHeaders(),
    });
    res.end(body);
  }

  async function streamAnswer(res: ServerResponse, answer: Answer): Promise<void> {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...commonHeaders(),
    });
    res.flushHeaders();
    for (const event of streamEvents(answer)) {
      if (res.destroyed) return;
      res.write(formatEvent(event));
      if (eventDelayMs > 0) await sleep(eventDelayMs);
    }
    res.end();
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res).catch((error: unknown) => {
      log(`error: ${String(error)}`);
      sendAnthropicError(res, 500, "api_error", "Internal server error");
    });
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `${tls ? "https" : "http"}://${urlHost}:${port}`;
  log(`listening on ${url}${caCertPath ? ` (CA ${caCertPath})` : " (plain HTTP)"}`);

  return {
    url,
    caCertPath,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
