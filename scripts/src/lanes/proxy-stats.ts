/**
 * Headroom's own account of a run: GET /stats at the end of it, saved as `<arm>-proxy-stats.json` beside the
 * captures, for the proxy report to set beside what the captures measured (analyzer --proxy-stats). The proxy token
 * goes along when one is set: a request from outside Headroom's loopback needs it. A proxy without the endpoint
 * (the stand-in) or an error only logs a line — the run's captures stand without it.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";

export const proxyStatsFile = (capturesDir: string, arm: string): string => path.join(capturesDir, `${arm}-proxy-stats.json`);

export async function saveProxyStats(
  proxyUrl: string,
  token: string | undefined,
  capturesDir: string,
  arm: string,
  log: (line: string) => void,
): Promise<void> {
  const url = `${proxyUrl}/stats`;
  try {
    const headers: Record<string, string> = token ? { "x-headroom-proxy-token": token } : {};
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return log(`${arm}: ${url} answered ${response.status}; no proxy stats saved`);
    const file = proxyStatsFile(capturesDir, arm);
    writeFileSync(file, JSON.stringify(await response.json(), null, 2) + "\n", { mode: 0o600 });
    log(`${arm}: proxy stats -> ${file}`);
  } catch (error) {
    log(`${arm}: could not read ${url}: ${(error as Error).message}`);
  }
}
