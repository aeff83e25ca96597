/**
 * Opening a request to the upstream API the way Headroom does in the lanes: through HTTPS_PROXY with CONNECT for
 * https targets (so mitm-headroom-upstream sees what the proxy forwards), trusting an extra CA besides the system
 * roots (the mitmproxy CA, or the mock's CA).
 */
import { readFileSync } from "node:fs";
import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import tls, { type TLSSocket } from "node:tls";

export interface UpstreamRoute {
  /** Where requests go, e.g. https://api.anthropic.com. */
  target: URL;
  /** Forward proxy for the target's scheme, if any. */
  proxy: URL | null;
  /** Trusted CAs: system roots plus the extra ones. */
  ca: string[];
}

export function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/** Hostname without IPv6 brackets, for connecting. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

export function hostHeader(url: URL): string {
  return url.port ? `${url.hostname}:${url.port}` : url.hostname;
}

/** System roots plus every PEM file given (missing files are an error: a silent fallback would hide a broken lane). */
export function trustedCas(extraCaFiles: readonly string[]): string[] {
  return [...tls.rootCertificates, ...extraCaFiles.map((file) => readFileSync(file, "utf8"))];
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { "proxy-authorization": `Basic ${Buffer.from(credentials).toString("base64")}` };
}

/** A TLS socket to the target, tunnelled through the proxy with CONNECT. */
function tunnel(route: UpstreamRoute & { proxy: URL }): Promise<TLSSocket> {
  const authority = `${route.target.hostname}:${defaultPort(route.target)}`; // [v6]:port keeps its brackets
  return new Promise((resolve, reject) => {
    const connect = http.request({
      host: bareHost(route.proxy),
      port: defaultPort(route.proxy),
      method: "CONNECT",
      path: authority,
      headers: { host: authority, ...proxyAuthorization(route.proxy) },
      agent: false,
    });
    connect.once("connect", (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxy ${route.proxy.host} refused CONNECT ${authority}: HTTP ${res.statusCode}`));
        return;
      }
      const hostname = bareHost(route.target);
      const secure = tls.connect({ socket, ca: route.ca, servername: isIP(hostname) ? undefined : hostname });
      secure.once("secureConnect", () => resolve(secure));
      secure.once("error", reject);
    });
    connect.once("error", (error) => reject(new Error(`proxy ${route.proxy.host}: ${error.message}`)));
    connect.end();
  });
}

/**
 * Start the upstream request for `path` (path and query of the client's request). The caller writes the body and
 * ends it; the response arrives on the returned request's "response" event.
 */
export async function openUpstream(
  route: UpstreamRoute,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
): Promise<ClientRequest> {
  const basePath = route.target.pathname.replace(/\/$/, "");
  const fullPath = basePath + path;
  const secure = route.target.protocol === "https:";
  if (secure && route.proxy) {
    const socket = await tunnel({ ...route, proxy: route.proxy });
    return https.request({ method, path: fullPath, headers, createConnection: () => socket });
  }
  if (secure) {
    return https.request({
      host: bareHost(route.target),
      port: defaultPort(route.target),
      method,
      path: fullPath,
      headers,
      ca: route.ca,
      agent: false,
    });
  }
  if (route.proxy) {
    // Plain HTTP through a forward proxy: absolute-form request line.
    return http.request({
      host: bareHost(route.proxy),
      port: defaultPort(route.proxy),
      method,
      path: new URL(fullPath, route.target).href,
      headers: { ...headers, ...proxyAuthorization(route.proxy) },
      agent: false,
    });
  }
  return http.request({ host: bareHost(route.target), port: defaultPort(route.target), method, path: fullPath, headers, agent: false });
}

export type { IncomingMessage };
