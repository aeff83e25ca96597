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

/** One arm of the proxy lane (lanes.yml x-arms): the same lane with other proxy flags. */
export interface Arm {
  name: string;
  describe: string;
  proxyArgs: string[];
}

/** The arm that is "the headroom lane" when no other is asked for (captures headroom-client/-upstream.jsonl). */
export const DEFAULT_ARM = "headroom";

export interface LaneDescription {
  /** The service's command as written in lanes.yml (container paths and addresses; a string is split into words). */
  command: Record<string, string[]>;
  /** Raw (uninterpolated) environment per service, exactly as written in lanes.yml. */
  environment: Record<string, Record<string, string>>;
  /** The proxy lane's arms, by name, in file order. */
  arms: Record<string, Arm>;
}

export class UnknownArmError extends Error {}

/** The arms of that name, in the order given; an unknown name is an UnknownArmError naming the ones there are. */
export function armsNamed(description: LaneDescription, names: readonly string[]): Arm[] {
  return names.map((name) => {
    const arm = description.arms[name];
    if (!arm) throw new UnknownArmError(`no arm named ${name} in lanes.yml (there are: ${Object.keys(description.arms).join(", ")})`);
    return arm;
  });
}

/**
 * The variables that select an arm in lanes.yml, for the runner's interpolation and for Compose's environment.
 * HEADROOM_PROXY_ARGS is the arm's proxy_args joined into one line (Compose splits the string command into words).
 */
export function armEnvironment(arm: Arm): Record<string, string> {
  return { HEADROOM_ARM: arm.name, HEADROOM_PROXY_ARGS: arm.proxyArgs.join(" ") };
}

export function readLaneDescription(file: string = LANES_FILE): LaneDescription {
  const doc = parse(readFileSync(file, "utf8")) as {
    services?: Record<string, { command?: unknown[] | string; environment?: Record<string, string | number | boolean> }>;
    "x-arms"?: Record<string, { describe?: string; proxy_args?: unknown[] }>;
  };
  const environment: Record<string, Record<string, string>> = {};
  const command: Record<string, string[]> = {};
  for (const [service, definition] of Object.entries(doc.services ?? {})) {
    environment[service] = Object.fromEntries(
      Object.entries(definition.environment ?? {}).map(([k, v]) => [k, String(v)]),
    );
    if (typeof definition.command === "string") command[service] = definition.command.trim().split(/\s+/);
    else if (definition.command) command[service] = definition.command.map(String);
  }
  const arms: Record<string, Arm> = {};
  for (const [name, arm] of Object.entries(doc["x-arms"] ?? {})) {
    arms[name] = { name, describe: arm.describe ?? "", proxyArgs: (arm.proxy_args ?? []).map(String) };
  }
  return { command, environment, arms };
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
  /** this repository's addons/ folder */
  addonsDir: string;
  /** service name -> base URL on loopback, e.g. http://127.0.0.1:41234 */
  serviceUrls: Partial<Record<string, string>>;
  capturesDir: string;
  /** folder holding one sub-folder per mitm service, each with mitmproxy-ca-cert.pem */
  certsDir: string;
}

/** Turn one interpolated value from lanes.yml into its local equivalent. */
export function localizeValue(value: string, places: LocalPlaces): string {
  let out = value.replace(/^\/captures(?=\/|$)/, places.capturesDir);
  out = out.replace(/^\/addons(?=\/|$)/, places.addonsDir);
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

/**
 * A service's command from lanes.yml, made local: its executable replaced, `${VAR}` interpolated from `env` (a
 * value naming several flags splits into words, an empty one disappears, as in a Compose string command),
 * listening on 127.0.0.1 and port 0 (the OS picks; the process says which), container paths and service
 * addresses localized.
 */
export function localCommand(
  description: LaneDescription,
  service: ServiceName,
  places: LocalPlaces,
  executable: string,
  env: Readonly<Record<string, string | undefined>> = {},
): string[] {
  const raw = description.command[service];
  if (!raw || raw.length === 0) throw new Error(`lanes.yml gives no command for ${service}`);
  const args = raw.slice(1).flatMap((word) => (word.includes("$") ? interpolate(word, env).split(/\s+/).filter(Boolean) : [word]));
  const out: string[] = [executable];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const previous = args[i - 1];
    if (previous === "--listen-host" || previous === "--host") out.push("127.0.0.1");
    else if (previous === "--listen-port" || previous === "--port") out.push("0");
    else if (arg.startsWith("reverse:")) out.push(`reverse:${localizeValue(arg.slice("reverse:".length), places)}`);
    else if (arg.includes("=")) {
      const [key, ...rest] = arg.split("=");
      out.push(`${key}=${localizeValue(rest.join("="), places)}`);
    } else out.push(localizeValue(arg, places));
  }
  return out;
}
