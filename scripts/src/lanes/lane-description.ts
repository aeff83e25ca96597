/**
 * The lane description (docker/differential-network-capture/lanes.yml), read for the local runner.
 *
 * Compose builds its services on that file; this module reads the same file so the local lanes cannot drift from
 * the Compose ones. It resolves `${VAR:-default}` the way Compose does and turns container addresses
 * (`http://<service>:<port>`, `/captures/...`, `/certs/<service>/...`) into local ones.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const LANES_FILE = fileURLToPath(
  new URL("../../../docker/differential-network-capture/lanes.yml", import.meta.url),
);

export type ServiceName =
  | "mitm-direct"
  | "mitm-headroom-upstream"
  | "mitm-headroom-client"
  | "headroom-proxy"
  | "claude-direct"
  | "claude-headroom";

export const MITM_SERVICES = ["mitm-direct", "mitm-headroom-upstream", "mitm-headroom-client"] as const;
export type MitmService = (typeof MITM_SERVICES)[number];

/** What x-lanes says about a service: how its mitmproxy runs, or whose client it is. */
export interface LaneMeta {
  mitm_mode?: "regular" | "reverse";
  reverse_to?: string;
  listen_port?: number;
  client_of?: ServiceName;
}

export interface LaneDescription {
  meta: Record<string, LaneMeta>;
  /** Raw (uninterpolated) environment per service, exactly as written in lanes.yml. */
  environment: Record<string, Record<string, string>>;
}

export function readLaneDescription(file: string = LANES_FILE): LaneDescription {
  const doc = parse(readFileSync(file, "utf8")) as {
    "x-lanes"?: Record<string, LaneMeta>;
    services?: Record<string, { environment?: Record<string, string | number | boolean> }>;
  };
  const environment: Record<string, Record<string, string>> = {};
  for (const [service, definition] of Object.entries(doc.services ?? {})) {
    environment[service] = Object.fromEntries(
      Object.entries(definition.environment ?? {}).map(([k, v]) => [k, String(v)]),
    );
  }
  return { meta: doc["x-lanes"] ?? {}, environment };
}

/**
 * Compose-style interpolation: `${VAR}`, `${VAR:-default}` (default when unset or empty), `${VAR-default}`
 * (default when unset), and `$$` for a literal `$`.
 */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (match, name, op, fallback) => {
    if (match === "$$") return "$";
    const current = env[name as string];
    if (op === ":-") return current === undefined || current === "" ? (fallback as string) : current;
    if (op === "-") return current === undefined ? (fallback as string) : current;
    return current ?? "";
  });
}

/** Where each container address lives when the lanes run as local processes. */
export interface LocalPlaces {
  /** service name -> base URL on loopback, e.g. http://127.0.0.1:41234 */
  serviceUrls: Partial<Record<string, string>>;
  capturesDir: string;
  /** folder holding one sub-folder per mitm service, each with mitmproxy-ca-cert.pem */
  certsDir: string;
}

/** Turn one interpolated value from lanes.yml into its local equivalent. */
export function localizeValue(value: string, places: LocalPlaces): string {
  let out = value.replace(/^\/captures(?=\/|$)/, places.capturesDir);
  out = out.replace(/^\/certs\/([^/]+)/, (_m, service: string) => path.join(places.certsDir, service));
  out = out.replace(/^http:\/\/([a-z0-9-]+):(\d+)(.*)$/, (match, service: string, _port, rest: string) => {
    const local = places.serviceUrls[service];
    return local ? `${local}${rest}` : match;
  });
  // A bare service name (e.g. CAPTURE_PROXY_TOKEN_HOSTS: headroom-proxy) is a host name: locally it is loopback.
  if (/^[a-z0-9-]+$/.test(out) && places.serviceUrls[out]) out = new URL(places.serviceUrls[out]!).hostname;
  return out;
}

/** A service's environment, interpolated from `env` and localized. */
export function serviceEnvironment(
  description: LaneDescription,
  service: ServiceName,
  env: Readonly<Record<string, string | undefined>>,
  places: LocalPlaces,
): Record<string, string> {
  const raw = description.environment[service];
  if (!raw) throw new Error(`lanes.yml describes no service named ${service}`);
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [key, localizeValue(interpolate(value, env), places)]),
  );
}
