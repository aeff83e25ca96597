/**
 * Temp folders for tests, each removed after its test file whether the tests passed or failed: `make test` fails when
 * a test leaves anything in the temp folder (Makefile, target `test`), and captures, CA keys and run logs must not
 * pile up in /tmp.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const created: string[] = [];

/** A fresh folder under the temp folder, named `<prefix>XXXXXX`, removed after this test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});
