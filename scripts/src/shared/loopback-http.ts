/**
 * Small HTTP tools for loopback checks (tests, readiness probes): a request that trusts a given CA and records when
 * each body chunk arrived (to tell a real stream from a buffered one), and a forward proxy that logs CONNECT
 * targets (to see whether a client really goes through HTTPS_PROXY).
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";

export interface LoopbackResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Each body chunk with milliseconds since the request was sent. */
  chunks: Array<{ at: number; data: Buffer }>;
  text(): string;
  json<T = unknown>(): T;
}

export interface LoopbackRequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** PEM of a CA to trust for https URLs. */
  ca?: string;
  /** TLS server name to check the certificate against (e.g. api.anthropic.com). */
  servername?: string;
}

export function loopbackRequest(url: string, options: LoopbackRequestOptions = {}): Promise<LoopbackResponse> {
  const target = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: LoopbackResponse["chunks"] = [];
      res.on("data", (data: Buffer) => chunks.push({ at: Date.now() - started, data }));
      res.on("error", reject);
      res.on("end", () => {
        const body = Buffer.concat(chunks.map((c) => c.data));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          chunks,
          text: () => body.toString("utf8"),
          json: <T>() => JSON.parse(body.toString("utf8")) as T,
        });
      });
    };
    const common = { method: options.method ?? "GET", headers: options.headers, agent: false as const };
    const req =
      target.protocol === "https:"
        ? https.request(target, { ...common, ca: options.ca, servername: options.servername }, onResponse)
        : http.request(target, common, onResponse);
    req.on("error", reject);
    req.end(options.body);
  });
}

export interface ConnectLoggingProxy {
  url: string;
  /** host:port of every CONNECT received, in order. */
  connects: string[];
  /** Absolute URLs of plain-HTTP requests received, in order. */
  plainRequests: string[];
  close(): Promise<void>;
}

/** A forward proxy on 127.0.0.1 that tunnels CONNECT (loopback targets only) and remembers what it was asked. */
export async function startConnectLoggingProxy(): Promise<ConnectLoggingProxy> {
  const connects: string[] = [];
  const plainRequests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    plainRequests.push(req.url ?? "");
    const target = new URL(req.url ?? "", "http://invalid");
    if (!["127.0.0.1", "localhost", "[::1]"].includes(target.hostname)) {
      res.writeHead(403).end();
      return;
    }
    const upstream = http.request(target, { method: req.method, headers: req.headers, agent: false }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const authority = req.url ?? "";
    connects.push(authority);
    const colon = authority.lastIndexOf(":");
    const host = authority.slice(0, colon).replace(/^\[|\]$/g, "");
    if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(Number(authority.slice(colon + 1)), host, () => {
      client.write("HTTP/1.1 200 Connection established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    plainRequests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
