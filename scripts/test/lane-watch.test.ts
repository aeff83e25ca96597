/** What the runner and the Compose demo say about a running lane, and about a failed one. */
import { utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { captureErrors, laneProxyErrors, logErrors, waitingLine } from "../src/lanes/lane-watch.js";
import { tempDir } from "./temp.js";

const record = (sequence: number, error?: { kind: string; message: string }) =>
  JSON.stringify({ sequence, method: "POST", url: "https://api.anthropic.com/v1/messages", response_status: error ? null : 200, error: error ?? null });

describe("a running lane says what it waits for", () => {
  test("nothing recorded yet: waiting for the (first) API response", () => {
    const dir = tempDir("lane-watch-");
    expect(waitingLine("headroom", dir, 45_000)).toBe("claude-headroom: waiting for the API response (45 s; no exchange recorded yet)…");
  });

  test("exchanges recorded: how many, how many failed, and how long ago the last one", () => {
    const dir = tempDir("lane-watch-");
    const file = path.join(dir, "direct.jsonl");
    writeFileSync(file, `${record(1)}\n${record(2, { kind: "upstream_connect", message: "refused" })}\n{"cut`);
    const now = Date.now();
    utimesSync(file, new Date(now - 12_000), new Date(now - 12_000));
    expect(waitingLine("direct", dir, 30_000, now)).toBe(
      "claude-direct: waiting for the API response (30 s; 2 exchanges recorded, 1 with an error, the last 12 s ago)…",
    );
  });
});

describe("a failed lane's proxies: their last errors", () => {
  test("failure lines of a log, the last ones only", () => {
    const log = ["[1] loading addon", "[2] error establishing server connection: [Errno -2] Name or service not known", "[3] client disconnect", "[4] Connection refused"].join("\n");
    expect(logErrors(log)).toEqual(["[2] error establishing server connection: [Errno -2] Name or service not known", "[4] Connection refused"]);
    expect(logErrors(log, 1)).toEqual(["[4] Connection refused"]);
  });

  test("error records of a capture, one line each", () => {
    const dir = tempDir("lane-watch-");
    const file = path.join(dir, "direct.jsonl");
    writeFileSync(file, `${record(1)}\n${record(2, { kind: "upstream_connect", message: "[Errno -2] Name or service not known" })}\n`);
    expect(captureErrors(file)).toEqual(["#2 POST https://api.anthropic.com/v1/messages: upstream_connect: [Errno -2] Name or service not known"]);
    expect(captureErrors(path.join(dir, "missing.jsonl"))).toEqual([]);
  });

  test("per proxy of the lane (client side first), then the lane's capture files; nothing when nothing failed", () => {
    const dir = tempDir("lane-watch-");
    writeFileSync(path.join(dir, "headroom-upstream.jsonl"), `${record(1, { kind: "upstream_reset", message: "reset by peer" })}\n`);
    const logs: Record<string, string> = { "headroom-proxy": "INFO started\nERROR upstream failed: ConnectError\n" };
    expect(laneProxyErrors("headroom", dir, (service) => logs[service] ?? "")).toEqual([
      "headroom-proxy (log):",
      "  ERROR upstream failed: ConnectError",
      "headroom-upstream.jsonl (error records):",
      "  #1 POST https://api.anthropic.com/v1/messages: upstream_reset: reset by peer",
    ]);
    expect(laneProxyErrors("direct", dir, () => "all fine\n")).toEqual([]);
  });
});
