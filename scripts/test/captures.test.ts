import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { archivePreviousRun } from "../src/lanes/captures.js";
import { tempDir } from "./temp.js";

describe("a run starts with empty captures; the previous run is moved aside, never deleted", () => {
  test("lane captures and reports move to previous/<UTC time>/, other files stay", () => {
    const dir = tempDir("captures-");
    for (const name of ["direct.jsonl", "headroom-client.jsonl", "headroom-upstream.jsonl", "report.md", "proxy-report.json", "report.html", "notes.txt"]) {
      writeFileSync(path.join(dir, name), "x\n");
    }
    const moved = archivePreviousRun(dir, new Date("2026-11-26T01:02:03.456Z"));
    expect(moved).toBe(path.join(dir, "previous", "20261126T010203Z"));
    expect(readdirSync(moved!).sort()).toEqual(["direct.jsonl", "headroom-client.jsonl", "headroom-upstream.jsonl", "proxy-report.json", "report.html", "report.md"]);
    expect(readdirSync(dir).sort()).toEqual(["notes.txt", "previous"]);
    expect(statSync(path.join(dir, "previous")).mode & 0o777).toBe(0o700);
  });

  test("nothing to move: nothing happens", () => {
    const dir = tempDir("captures-");
    expect(archivePreviousRun(dir)).toBeNull();
    expect(archivePreviousRun(path.join(dir, "missing"))).toBeNull();
    expect(existsSync(path.join(dir, "previous"))).toBe(false);
  });
});
