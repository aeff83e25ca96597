/**
 * Output folders: created with their missing parents before a report or sanitized capture is written.
 */
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Create a folder and its missing parents, one level at a time. Not `mkdir(..., { recursive: true })`: on Node 20
 * that never returns for some impossible paths (e.g. under /proc), where a plain mkdir fails at once.
 */
export async function makeFolders(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let current = folder; !(await isPresent(current)); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
}

async function isPresent(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
