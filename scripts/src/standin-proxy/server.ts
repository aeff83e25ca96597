/**
 * A STAND-IN for Headroom, not Headroom: a small proxy with Headroom's interface (port 8787, /health, /v1/*
 * forwarded to ANTHROPIC_TARGET_API_URL through HTTPS_PROXY, X-Headroom-Proxy-Token) and one visible,
 * deterministic change (long tool_result text shortened, see shorten.ts). It lets the headroom lanes run offline
 * and in CI; the real Headroom stays the default in Compose.
 *
 * Request bodies are read whole (they are needed to shorten tool results); responses are piped back as they
 * arrive, so SSE reaches the client unbuffered.
 */
import { buffer } from "node:stream/consumers";
import { timingSafeEqual } from "node:crypto";
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sendAnthropicError } from "../shared/anthropic-errors.js";
import { DEFAULT_MAX_TOOL_RESULT_CHARS, shortenToolResults, standinHeaderValue, type ShortenResult } from "./shorten.js";
import { hostHeader, openUpstream, trustedCas, type UpstreamRoute } from "./upstream.js";

export const DEFAULT_TARGET = "https://api.anthropic.com";
export const DEFAULT_PORT = 8787;
export const TOKEN_HEADER = "x-headroom-proxy-token";
export const STANDIN_HEADER = "x-headroom-standin";

export interface StandinProxyOptions {
  host?: string;
  /** 0 lets the OS choose; default 8787 like Headroom. */
  port?: number;
  /** Upstream API base URL (ANTHROPIC_TARGET_API_URL). */
  targetUrl?: string;
  /** Forward proxy for https targets (HTTPS_PROXY). */
  httpsProxy?: string;
  /** Forward proxy for http targets (HTTP_PROXY). */
  httpProxy?: string;
  /** PEM files trusted in addition to the system roots (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE). */
  extraCaFiles?: string[];
  /** When set, /v1/* requests must carry X-Headroom-Proxy-Token with this value (HEADROOM_PROXY_TOKEN). */
  token?: string;
  /** tool_result texts longer than this are shortened (STANDIN_MAX_TOOL_RESULT_CHARS). */
  maxToolResultChars?: number;
  log?: (line: string) => void;
}

export interface StandinProxy {
  url: string;
  close(): Promise<void>;
}

/** Options from the environment contract of the headroom-proxy service (docker/differential-network-capture/lanes.yml). */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): StandinProxyOptions {
  const nonEmpty = (...names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  const limit = nonEmpty("STANDIN_MAX_TOOL_RESULT_CHARS");
  if (limit !== undefined && !/^\d+$/.test(limit)) {
    throw new Error(`STANDIN_MAX_TOOL_RESULT_CHARS must be a whole number of characters, got ${JSON.stringify(limit)}`);
  }
  const caFiles = [nonEmpty("NODE_EXTRA_CA_CERTS"), nonEmpty("SSL_CERT_FILE")].filter((f): f is string => f !== undefined);
  return {
    targetUrl: nonEmpty("ANTHROPIC_TARGET_API_URL") ?? DEFAULT_TARGET,
    httpsProxy: nonEmpty("HTTPS_PROXY", "https_proxy"),
    httpProxy: nonEmpty("HTTP_PROXY", "http_proxy"),
    extraCaFiles: [...new Set(caFiles)],
    token: nonEmpty("HEADROOM_PROXY_TOKEN"),
    maxToolResultChars: limit === undefined ? undefined : Number(limit),
  };
}

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus those named in Connection. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function endToEndHeaders(headers: IncomingHttpHeaders, drop: readonly string[] = []): OutgoingHttpHeaders {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name) || drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

function tokenMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}


function isIdentity(encoding: string | undefined): boolean {
  return encoding === undefined || encoding === "" || encoding.toLowerCase() === "identity";
}

export async function startStandinProxy(options: StandinProxyOptions = {}): Promise<StandinProxy> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? ((line: string) => process.stderr.write(`[standin-proxy] ${line}\n`));
  const limit = options.maxToolResultChars ?? DEFAULT_MAX_TOOL_RESULT_CHARS;
  const target = new URL(options.targetUrl ?? DEFAULT_TARGET);
  if (target.protocol !== "https:" && target.protocol !== "http:") throw new Error(`target ${target.href} must be http or https`);
  const proxySetting = target.protocol === "https:" ? options.httpsProxy : options.httpProxy;
  const route: UpstreamRoute = {
    target,
    proxy: proxySetting ? new URL(proxySetting) : null,
    ca: trustedCas(options.extraCaFiles ?? []),
  };

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    const raw = await buffer(req);
    const route_ = new URL(path, "http://standin").pathname;
    const change: ShortenResult =
      req.method === "POST" && route_ === "/v1/messages" && isIdentity(req.headers["content-encoding"])
        ? shortenToolResults(raw, limit)
        : { body: raw, shortened: 0, bytesSaved: 0 };
    const marker = standinHeaderValue(change);

    const headers = endToEndHeaders(req.headers, [TOKEN_HEADER, "host", "content-length"]);
    headers.host = hostHeader(target);
    if (change.body.length > 0 || req.headers["content-length"] !== undefined) headers["content-length"] = change.body.length;
    headers[STANDIN_HEADER] = marker;

    const upstream = await openUpstream(route, req.method ?? "GET", path, headers);
    upstream.once("response", (upRes) => {
      const responseHeaders = endToEndHeaders(upRes.headers);
      responseHeaders[STANDIN_HEADER] = marker;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, responseHeaders);
      res.flushHeaders();
      upRes.pipe(res);
      upRes.on("error", () => res.destroy());
      res.once("finish", () =>
        log(`${req.method} ${path} -> ${upRes.statusCode}; ${change.shortened} tool result(s) shortened, ${change.bytesSaved} bytes saved`),
      );
    });
    // Client gone: stop the upstream exchange too.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      // Before the response: a 502 for the client (onRequest). After it started: cut the client's stream too.
      upstream.on("error", (error) => (res.headersSent ? res.destroy() : reject(error)));
      upstream.once("response", () => resolve());
      upstream.end(change.body);
    });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://standin").pathname;
    if (path === "/health" || path === "/healthz") {
      const body = JSON.stringify({ status: "ok" });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (!path.startsWith("/v1/")) return sendAnthropicError(res, 404, "not_found_error", `Not found: ${path}`);
    if (options.token && !tokenMatches(req.headers[TOKEN_HEADER], options.token)) {
      log(`${req.method} ${req.url} -> 401 (missing or wrong X-Headroom-Proxy-Token)`);
      return sendAnthropicError(res, 401, "authentication_error", "stand-in proxy: missing or invalid X-Headroom-Proxy-Token");
    }
    try {
      await forward(req, res);
    } catch (error) {
      log(`${req.method} ${req.url} -> 502 upstream error: ${(error as Error).message}`);
      sendAnthropicError(res, 502, "api_error", `stand-in proxy: upstream ${target.origin} failed: ${(error as Error).message}`);
    }
  }

  const server = http.createServer((req, res) => {
    void onRequest(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log(
    `stand-in for Headroom (not Headroom itself) listening on ${url}, forwarding /v1/* to ${target.origin}` +
      `${route.proxy ? ` via proxy ${route.proxy.host}` : ""}; tool_result text over ${limit} chars is shortened` +
      `${options.token ? "; X-Headroom-Proxy-Token required" : ""}`,
  );
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
