/** The local runner's command line: bad usage is one line and exit 2, and it touches nothing first. */
import { execa } from "execa";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "../src/lanes/repo.js";

const runLanes = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts/src/lanes/cli.ts"), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    extendEnv: false,
    reject: false,
  });

describe("run-lanes command line", { timeout: 30_000 }, () => {
  test("an unknown choice: one line naming it, exit 2", async () => {
    const result = await runLanes(["--api", "bogus"]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trim().split("\n")).toHaveLength(1);
    expect(String(result.stderr)).toMatch(/^run-lanes: .*bogus.*\(see --help\)$/m);
  });

  test("the real API without ANTHROPIC_API_KEY: exit 2, and existing captures are left alone", async () => {
    const captures = mkdtempSync(path.join(os.tmpdir(), "run-lanes-cli-"));
    mkdirSync(captures, { recursive: true });
    writeFileSync(path.join(captures, "direct.jsonl"), "{}\n");
    const result = await runLanes(["--api", "real", "--captures", captures]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trim()).toBe("run-lanes: ANTHROPIC_API_KEY is not set: export it to run the lanes against the real API");
    expect(existsSync(path.join(captures, "direct.jsonl"))).toBe(true);
  });

  test.each([
    ["--arms", "headroom,nope", /^run-lanes: no arm named nope in lanes\.yml \(there are: headroom, headroom-passthrough\)$/],
    ["--scenario", "nope", /^run-lanes: no scenario named nope \(there are: .*inventory-review.*\)$/],
  ])("%s %s: one line naming what there is, exit 2, nothing touched", async (option, value, message) => {
    const captures = mkdtempSync(path.join(os.tmpdir(), "run-lanes-cli-"));
    writeFileSync(path.join(captures, "direct.jsonl"), "{}\n");
    const result = await runLanes([option, value, "--captures", captures]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trim()).toMatch(message);
    expect(existsSync(path.join(captures, "direct.jsonl"))).toBe(true);
  });

  test("--help documents the environment contract and exit codes", async () => {
    const result = await runLanes(["--help"]);
    expect(result.exitCode).toBe(0);
    for (const word of ["CLAUDE_COMMAND", "CLAUDE_DIRECT_ARGS", "CLAUDE_HEADROOM_ARGS", "CAPTURE_INCLUDE_HOSTS", "--proxy", "--api", "--scenario", "--arms", "--baseline", "Exit codes"]) {
      expect(String(result.stdout)).toContain(word);
    }
  });
});
