/**
 * A run starts with empty lane captures. The addon appends to an existing file (an interrupted capture can go on),
 * so without this a second run would mix two sessions into one report. Earlier captures and reports are moved
 * aside, never deleted: captures/previous/<UTC time>/.
 *
 *   node --import tsx scripts/src/lanes/captures.ts archive DIR     (what `make up` runs)
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import path from "node:path";

/** Files a run writes into the captures folder. */
const RUN_FILES = /^(direct|headroom-client|headroom-upstream|mock-requests)\.jsonl$|^(proxy-)?report\.(md|json|html)$/;

/**
 * Make the captures folder ready for a run: created if missing, private (0700) even if it existed — captures hold
 * a coding session's traffic — and, unless appending, emptied of the previous run. Returns where that run went.
 */
export function prepareCapturesFolder(capturesDir: string, options: { append: boolean }): string | null {
  mkdirSync(capturesDir, { recursive: true, mode: 0o700 });
  chmodSync(capturesDir, 0o700);
  return options.append ? null : archivePreviousRun(capturesDir);
}

/** Move the previous run's files into previous/<time>/; returns that folder, or null when there was nothing. */
export function archivePreviousRun(capturesDir: string, now: Date = new Date()): string | null {
  if (!existsSync(capturesDir)) return null;
  const files = readdirSync(capturesDir).filter((name) => RUN_FILES.test(name));
  if (files.length === 0) return null;
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const target = path.join(capturesDir, "previous", stamp);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  chmodSync(path.join(capturesDir, "previous"), 0o700);
  for (const name of files) renameSync(path.join(capturesDir, name), path.join(target, name));
  return target;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const [verb, dir] = process.argv.slice(2);
  if (verb !== "archive" || !dir) {
    process.stderr.write("usage: captures.ts archive DIR\n");
    process.exit(2);
  }
  const moved = archivePreviousRun(dir);
  if (moved) process.stderr.write(`earlier captures moved to ${moved}\n`);
}
