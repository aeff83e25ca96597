/** Odd input gives one line naming file:line and exit 2, never a stack trace or a machine's worth of memory. */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { mainThreadIsLean } from "../src/network-diff-worker.js";
import { ANALYZER, expectOneLineError, legacyRecord, messagesBody, runCli, tempDir, v1Record, writeJsonl } from "./helpers.js";

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = writeJsonl(dir, "good.jsonl", [v1Record(1, messagesBody())]);

/** A record line whose request_json nests `depth` arrays, written as text (JSON.stringify would overflow). */
function deepLine(sequence: number, depth: number): string {
  const record = JSON.stringify(v1Record(sequence, { model: "m", messages: "@" }));
  return record.replace('"messages":"@"', `"messages":${"[".repeat(depth)}${"]".repeat(depth)}`);
}

/** 1 GiB of zeros as 64 gzip members of 16 MiB each (~1 MB): gunzip reads them all as one body. */
function gzipBomb(): Buffer {
  const member = gzipSync(Buffer.alloc(16 << 20));
  return Buffer.concat(Array.from({ length: 64 }, () => member));
}

const commands: Array<[string, (file: string) => string[]]> = [
  ["network-diff", (file) => ["--direct", good, "--headroom", file, "-q"]],
  ["summary", (file) => ["summary", file, "-q"]],
  ["sanitize", (file) => ["sanitize", file, join(dir, "sanitized.jsonl"), "-q"]],
];

describe("a request body nested 100,000 levels deep", () => {
  const deep = writeJsonl(dir, "deep.jsonl", [v1Record(1, messagesBody()), deepLine(2, 100_000)]);

  it.each(commands)("%s: one line naming file:line, exit 2", (_name, args) => {
    const result = runCli(args(deep));
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toMatch(new RegExp(`^headroom-analyze: error: ${deep}:2: (request body|record) is JSON nested deeper than 1024 levels$`));
  });

  it("sanitize also refuses deep nesting outside the body", () => {
    const line = JSON.stringify(v1Record(1, messagesBody())).replace(/}$/, `,"extra":${"{\"a\":".repeat(100_000)}1${"}".repeat(100_000)}}`);
    const file = writeJsonl(dir, "deep-extra.jsonl", [line]);
    const result = runCli(["sanitize", file, join(dir, "extra-out.jsonl")]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toContain(`${file}:1: record is JSON nested deeper than 1024 levels`);
  });

  it("a body nested 1,024 levels (the deepest the capture addon records as JSON) is still read", () => {
    const file = writeJsonl(dir, "1024.jsonl", [deepLine(1, 1023)]); // "messages" holds 1,023 levels: the body has 1,024
    expect(runCli(["summary", file]).status).toBe(0);
    expect(runCli(["--direct", file, "--headroom", file, "-q"]).status).toBe(0);
    expect(runCli(["sanitize", file, join(dir, "1024-out.jsonl"), "-q"]).status).toBe(0);
  });

  it("a body nested 1,025 levels is refused", () => {
    const file = writeJsonl(dir, "1025.jsonl", [deepLine(1, 1024)]);
    expect(expectOneLineError(runCli(["summary", file]))).toContain(`${file}:1: request body is JSON nested deeper than 1024 levels`);
  });
});

describe("a gzip bomb in a capture", () => {
  const record = legacyRecord(1, "", { request_headers: { "content-type": "application/json", "content-encoding": "gzip" } });
  delete record.request_body_size;
  const bomb = writeJsonl(dir, "bomb.jsonl", [{ ...record, request_body_b64: gzipBomb().toString("base64") }]);

  it.each(commands)("%s: one line naming file:line, exit 2", (_name, args) => {
    const result = runCli(args(bomb));
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toMatch(new RegExp(`^headroom-analyze: error: ${bomb}:1: request body \\(gzip, \\d+ bytes\\) expands past 64 MiB when decoded`));
  });

  it("a body that is merely not gzip is still read (as not JSON)", () => {
    const file = writeJsonl(dir, "not-gzip.jsonl", [{ ...record, request_body_b64: Buffer.from("plain text").toString("base64") }]);
    expect(runCli(["summary", file]).status).toBe(0);
  });
});

describe("the Node.js version floor", () => {
  // Simulates an older Node.js: the preload makes process.versions.node say so before the command runs.
  const preload = join(dir, "fake-node.cjs");
  writeFileSync(
    preload,
    'const v = process.env.FAKE_NODE_VERSION; Object.defineProperty(process.versions, "node", { value: v }); Object.defineProperty(process, "version", { value: "v" + v });\n',
  );
  const run = (version: string, script = join(ANALYZER, "bin", "headroom-analyze.js"), args = ["--version"]) =>
    spawnSync(process.execPath, ["-r", preload, script, ...args], { encoding: "utf8", env: { ...process.env, FAKE_NODE_VERSION: version } });

  it.each(["18.19.0", "20.11.1", "20.18.3", "21.7.3", "22.11.0"])("Node.js %s: one line, exit 1", (version) => {
    const result = run(version);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`headroom-analyze: error: Node.js ${version} is too old: needs ^20.19.0 || >=22.12.0 (engines in ${join(ANALYZER, "package.json")})\n`);
  });

  it.each(["20.19.0", "20.20.2", "22.12.0", "24.3.0"])("Node.js %s runs", (version) => {
    const result = run(version);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("make's install step says the same for the repository", () => {
    const result = run("20.11.1", join(ANALYZER, "bin", "node-version.js"), [join(ANALYZER, "..", "package.json")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: Node\.js 20\.11\.1 is too old: needs \^20\.19\.0 \|\| >=22\.12\.0 \(engines in .*package\.json\)\n$/);
  });
});

describe("the installed command", () => {
  const FIXTURES = join(ANALYZER, "test", "fixtures");
  const bin = join(ANALYZER, "bin", "headroom-analyze.js");

  it("starts node with a young generation small enough for the analysis to run in the main thread", () => {
    const shebang = readFileSync(bin, "utf8").split("\n")[0] as string;
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node /);
    const flags = shebang.split(" ").slice(3);
    expect(mainThreadIsLean(flags, "")).toBe(true);
    expect(mainThreadIsLean([], "")).toBe(false);
    expect(mainThreadIsLean([], "--max-semi-space-size=16")).toBe(false);
    expect(mainThreadIsLean([], "--max-semi-space-size=2")).toBe(true);
  });

  it("run through its shebang, writes the same report as `node dist/cli.js`", () => {
    const out = tempDir();
    const args = (name: string) => ["network-diff", "--direct", join(FIXTURES, "v1-direct.jsonl"), "--headroom", join(FIXTURES, "v1-headroom.jsonl"), "--json-output", join(out, name), "--quiet"];
    const viaBin = spawnSync(bin, args("bin.json"), { encoding: "utf8" });
    expect(viaBin.stderr).toBe("");
    expect(viaBin.status).toBe(0);
    expect(runCli(args("cli.json")).status).toBe(0);
    const withoutTime = (name: string) => readFileSync(join(out, name), "utf8").replace(/"generated_at":"[^"]*"/, "");
    expect(withoutTime("bin.json")).toBe(withoutTime("cli.json"));
  });
});
