/**
 * How the report names a route (`METHOD host/path?query`) and what it says about routes a reader will wonder about.
 *
 * Why drop loopback ports: a lane in front of a local proxy (the headroom-client lane) reaches it on a port picked
 * at random for each run (`127.0.0.1:45609`). Kept in the route, the same request would look different in every run
 * and reports of two runs would not compare. Ports of other hosts (`headroom-proxy:8787`) are part of the name.
 */

const LOOPBACK_WITH_PORT = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\]):\d+$/i;

/** The host as a route names it: loopback addresses without their (ephemeral) port. */
export function routeHost(host: string): string {
  const match = LOOPBACK_WITH_PORT.exec(host);
  return match ? (match[1] as string) : host;
}

/**
 * Requests that appear in one lane only for a known reason, by path (query ignored), with a one-line explanation
 * the report prints next to them.
 */
const ONE_SIDED_NOTES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^\/api\/claude_code\/(settings|policy_limits)$/,
    "Claude Code asks for this only when it talks to api.anthropic.com itself (no ANTHROPIC_BASE_URL), so a lane through a proxy never sends it",
  ],
];

/** Why a route appears in one lane only, when the reason is known; null otherwise. */
export function oneSidedNote(route: string): string | null {
  const path = route.replace(/^\S+ [^/]*/, "").replace(/\?.*$/, "");
  for (const [pattern, note] of ONE_SIDED_NOTES) if (pattern.test(path)) return note;
  return null;
}
