/** What the end-to-end tests check after a run: that nothing it started is still running. */
import { readdirSync, readFileSync } from "node:fs";

/** Processes whose command line or environment mentions `marker` (our run folder). */
export function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      try {
        const text = readFileSync(`/proc/${pid}/${file}`, "latin1");
        if (text.includes(marker)) found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0/g, " ")}`);
      } catch {
        // gone, or not ours to read
      }
    }
  }
  return found;
}
