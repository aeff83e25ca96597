/** docker/differential-network-capture/claude-lane.sh: how both the containers and the local runner start Claude Code. */
import { execa } from "execa";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { CLAUDE_LANE_SCRIPT } from "../src/lanes/repo.js";
import { tempDir } from "./temp.js";

/** A fake `claude` on PATH that prints its arguments, one per line. */
function fakeClaude(): string {
  const dir = tempDir("fake-claude-");
  const bin = path.join(dir, "claude");
  writeFileSync(bin, '#!/bin/sh\nfor a in "$@"; do echo "arg:$a"; done\n');
  chmodSync(bin, 0o755);
  return dir;
}

const lane = (env: Record<string, string>) =>
  execa("bash", [CLAUDE_LANE_SCRIPT], { env: { PATH: `${fakeClaude()}:${process.env.PATH}`, ...env }, extendEnv: false, reject: false });

describe("claude-lane.sh", () => {
  test("without ANTHROPIC_API_KEY it fails fast with one clear line and exit 2", async () => {
    const result = await lane({ CAPTURE_LANE: "direct" });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trim()).toBe(
      "claude-lane (direct): ANTHROPIC_API_KEY is not set: export ANTHROPIC_API_KEY=... before running this lane",
    );
  });

  test("runs claude -p with the prompt and the lane's own args, split into words", async () => {
    const result = await lane({ ANTHROPIC_API_KEY: "k", CLAUDE_PROMPT: "Say hi.", CLAUDE_LANE_ARGS: "--model  m1 --allowedTools Read" });
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout).split("\n")).toEqual(["arg:-p", "arg:Say hi.", "arg:--model", "arg:m1", "arg:--allowedTools", "arg:Read"]);
  });

  test("CLAUDE_COMMAND runs exactly, instead of the prompt", async () => {
    const result = await lane({ ANTHROPIC_API_KEY: "k", CLAUDE_PROMPT: "ignored", CLAUDE_COMMAND: 'claude -p "read README.md and summarize it"' });
    expect(String(result.stdout).split("\n")).toEqual(["arg:-p", "arg:read README.md and summarize it"]);
  });

  test("waits for the lane's CA, and gives up with a clear message when it never appears", async () => {
    const result = await lane({ ANTHROPIC_API_KEY: "k", NODE_EXTRA_CA_CERTS: "/nonexistent/ca.pem", CA_WAIT_SECONDS: "1", CAPTURE_LANE: "direct" });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/the lane's CA \/nonexistent\/ca.pem did not appear within 1s/);
  });

  test("CLAUDE_PROJECT_SEED: Claude Code works in a fresh writable copy of a read-only project, which stays as it was", async () => {
    const seed = tempDir("seed-");
    writeFileSync(path.join(seed, "inventory.py"), "original\n");
    mkdirSync(path.join(seed, "data"));
    chmodSync(seed, 0o555);
    const result = await execa("bash", [CLAUDE_LANE_SCRIPT], {
      env: {
        PATH: process.env.PATH ?? "",
        ANTHROPIC_API_KEY: "k",
        CLAUDE_PROJECT_SEED: seed,
        CLAUDE_COMMAND: 'echo edited > inventory.py && ls data >/dev/null && pwd',
      },
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout).trim()).toMatch(/claude-project\./);
    expect(readFileSync(path.join(seed, "inventory.py"), "utf8")).toBe("original\n");
    chmodSync(seed, 0o755);
  });
});
