/**
 * Before the suite: build dist/cli.js from the current sources (CLI tests run it), and make one
 * private folder for the run's temporary files (tempDir() in helpers.ts), removed afterwards so
 * no test leaves anything in /tmp, whether or not it cleans up after itself.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): () => void {
  const analyzer = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  execFileSync("npm", ["run", "build", "--silent"], { cwd: analyzer, stdio: "inherit" });
  const root = mkdtempSync(join(tmpdir(), "headroom-analyze-tests-"));
  process.env.HEADROOM_ANALYZE_TEST_TMP = root;
  return () => rmSync(root, { recursive: true, force: true });
}
