/** Makefile targets that guard the user's machine: `make clean` spares captures, `make test` spots temp leftovers. */
import { execa } from "execa";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "../src/lanes/repo.js";
import { tempDir } from "./temp.js";

const GUARD = path.join(REPO_ROOT, "scripts", "temp-guard.sh");

describe("make clean", () => {
  test("removes the installs and builds, never captures/", async () => {
    const repo = tempDir("make-clean-");
    copyFileSync(path.join(REPO_ROOT, "Makefile"), path.join(repo, "Makefile"));
    for (const dir of ["node_modules/x", "analyzer/dist", ".venv/bin", ".venv-headroom/bin", "captures/previous/1", "docker/differential-network-capture/captures"]) {
      mkdirSync(path.join(repo, dir), { recursive: true });
    }
    writeFileSync(path.join(repo, "captures", "direct.jsonl"), "{}\n");
    writeFileSync(path.join(repo, "docker/differential-network-capture/captures/report.md"), "# r\n");
    const result = await execa("make", ["clean"], { cwd: repo, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    for (const gone of ["node_modules", "analyzer/dist", ".venv", ".venv-headroom"]) expect(existsSync(path.join(repo, gone)), gone).toBe(false);
    expect(readdirSync(path.join(repo, "captures")).sort()).toEqual(["direct.jsonl", "previous"]);
    expect(existsSync(path.join(repo, "docker/differential-network-capture/captures/report.md"))).toBe(true);
  });
});

describe("make test's temp guard (scripts/temp-guard.sh)", () => {
  const outer = () => tempDir("temp-guard-");
  const guard = (tmp: string, command: string) =>
    execa(GUARD, ["bash", "-c", command], { env: { ...process.env, TMPDIR: tmp }, reject: false });

  test("a command that cleans up: its exit status, and the private folder is gone", async () => {
    const tmp = outer();
    const result = await guard(tmp, 'test "$TMPDIR" != "' + tmp + '" && mkdir "$TMPDIR/work" && rm -r "$TMPDIR/work"');
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  });

  test("a test that leaves something behind fails the run, naming it; the folder is removed all the same", async () => {
    const tmp = outer();
    const result = await guard(tmp, 'mkdir "$TMPDIR/headroom-e2e-abc" && touch "$TMPDIR/mitmproxy-ca.pem"');
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(/temp-guard: FAILED: the tests left these in the temp folder .*\n {2}headroom-e2e-abc\n {2}mitmproxy-ca\.pem/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  test("a failing command keeps its own exit status", async () => {
    const tmp = outer();
    expect((await guard(tmp, "exit 3")).exitCode).toBe(3);
    expect(os.tmpdir()).not.toBe("");
  });
});
