import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ANALYZER, CANARY, CANARY_VALUES, CLI, expectOneLineError, messagesBody, runCli, tempDir, TOOLS, v1Record, writeJsonl } from "./helpers.js";

const FIXTURES = join(ANALYZER, "test", "fixtures");
const V1_DIRECT = join(FIXTURES, "v1-direct.jsonl");
const V1_HEADROOM = join(FIXTURES, "v1-headroom.jsonl");

describe("headroom-analyze network-diff", () => {
  it("is the default command: Markdown to stdout, exit 0", () => {
    const result = runCli(["--direct", V1_DIRECT, "--headroom", V1_HEADROOM]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^# Differential Network Capture Report/);
    expect(result.stdout).toContain("tools=0->2");
    expect(result.stderr).toBe("");
  });

  it("names the sides as told (--direct-label / --headroom-label); JSON keys keep direct/headroom", () => {
    const dir = tempDir();
    const json = join(dir, "proxy.json");
    const result = runCli([
      "--direct", V1_DIRECT, "--headroom", V1_HEADROOM, "--json-output", json, "--quiet",
      "--direct-label", "proxy input", "--headroom-label", "proxy\noutput",
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("- Proxy input capture: ");
    expect(result.stdout).toContain("- Proxy output exchanges: 4");
    expect(result.stdout).toContain("## Only Proxy input");
    expect(result.stdout).toMatch(/^\| proxy output \| 4 \|/m);
    expect(result.stdout).not.toMatch(/Direct exchanges|Headroom exchanges/);
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.labels).toEqual({ direct: "proxy input", headroom: "proxy output" });
    expect(report).toMatchObject({ direct_count: 4, headroom_count: 4 });
  });

  it("writes both reports, creating parent folders, and says so on stderr", () => {
    const dir = tempDir();
    const md = join(dir, "reports", "deep", "diff.md");
    const json = join(dir, "other", "diff.json");
    const result = runCli(["network-diff", "--direct", V1_DIRECT, "--headroom", V1_HEADROOM, "--output", md, "--json-output", json]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`Wrote Markdown report: ${md}\nWrote JSON report: ${json}\n`);
    expect(readFileSync(md, "utf8")).toMatch(/^# Differential Network Capture Report/);
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report).toMatchObject({ schema_version: 1, direct_count: 4, headroom_count: 4, pair_by: "conversation" });
    expect(report.only_direct).toEqual(["POST api.anthropic.com/v1/messages/count_tokens?beta=true"]);
    expect(report.only_headroom).toEqual(["POST 127.0.0.1:8787/api/event_logging/batch"]);
    // Capture order is by sequence: line 3 (sequence 2) pairs before line 2 (sequence 3).
    expect(report.paired.map((p: { direct_sequence: number; direct_line: number }) => [p.direct_sequence, p.direct_line])).toEqual([
      [1, 1],
      [2, 3],
      [3, 2],
    ]);
    expect(report.paired[2].json.changed).toEqual(["$.messages[2].content[0].content"]);
    expect(report.summary.headroom.errors[0]).toMatchObject({ kind: "timeout" });
  });

  it("--quiet drops the 'Wrote' lines", () => {
    const dir = tempDir();
    const result = runCli(["--direct", V1_DIRECT, "--headroom", V1_HEADROOM, "-o", join(dir, "r.md"), "--quiet"]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    expect(existsSync(join(dir, "r.md"))).toBe(true);
  });

  it("--pair-by route pairs only exchanges to the same host", () => {
    const dir = tempDir();
    const json = join(dir, "r.json");
    const result = runCli(["--direct", V1_DIRECT, "--headroom", V1_HEADROOM, "--pair-by", "route", "--json-output", json, "-q"]);
    expect(result.status).toBe(0);
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.pair_by).toBe("route");
    expect(report.paired).toEqual([]);
    expect(report.only_direct).toHaveLength(4);
  });

  it("reads the original harness's records (base64 bodies, missing sha, truncated body)", () => {
    const dir = tempDir();
    const json = join(dir, "r.json");
    const result = runCli(["--direct", join(FIXTURES, "legacy-direct.jsonl"), "--headroom", join(FIXTURES, "legacy-headroom.jsonl"), "--json-output", json]);
    expect(result.status).toBe(0);
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.paired).toHaveLength(3);
    expect(report.paired[1].request_body_sha256.direct).toMatch(/^[0-9a-f]{64}$/);
    expect(report.paired[1].anthropic.headroom.tools_count).toBe(2);
    expect(report.paired[2].json.direct_is_json).toBe(false);
    expect(result.stdout).toContain("| 3 -> 3 |");
    expect(result.stdout).toContain("no JSON body: direct");
  });

  it("--help documents every option with an example and the exit codes", () => {
    const result = runCli(["--help"]);
    expect(result.status).toBe(0);
    for (const text of ["--direct", "--headroom", "--output", "--json-output", "--pair-by", "--quiet", "summary <file>", "Examples:", "Exit codes:", "64"]) {
      expect(result.stdout).toContain(text);
    }
  });
});

describe("headroom-analyze summary", () => {
  it("lists one capture's exchanges: sequence, route, status, model, body bytes, tools, stream, tokens, first byte", () => {
    const result = runCli(["summary", V1_HEADROOM]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("| Sequence | Route | Status | Model | Body Bytes | Tools | Stream | Prompt Tokens | Cache Read | Output | First Byte ms |");
    expect(result.stdout).toMatch(/\| 2 \| `POST 127\.0\.0\.1:8787\/v1\/messages\?beta=true` \| 200 \| claude-sonnet-4-5-20250929 \| \d+ \| 2 \| yes \| \d+ \| \d+ \| \d+ \| \d+ \|/);
    expect(result.stdout).toContain("- Exchanges: 4");
    expect(result.stdout).toContain("timeout");
  });
});

describe("bad input: one line on stderr, documented exit code, never a stack trace", () => {
  const good = () => writeJsonl(tempDir(), "good.jsonl", [v1Record(1, messagesBody())]);

  it("missing file: exit 2 naming the file", () => {
    const missing = join(tempDir(), "missing.jsonl");
    const result = runCli(["--direct", missing, "--headroom", good()]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toBe(`headroom-analyze: error: ${missing}: cannot read file (no such file)`);
  });

  it("a directory instead of a file: exit 2 naming it", () => {
    const dir = tempDir();
    const result = runCli(["--direct", good(), "--headroom", dir]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toContain(dir);
  });

  it("unreadable file: exit 2 naming the file", () => {
    if (process.getuid?.() === 0) {
      // root can read a mode-000 file, so use a file root cannot read either.
      const result = runCli(["--direct", "/proc/1/mem", "--headroom", good()]);
      expect(result.status).toBe(2);
      expect(expectOneLineError(result)).toContain("/proc/1/mem");
      return;
    }
    const dir = tempDir();
    const file = join(dir, "secret.jsonl");
    writeFileSync(file, "{}\n", { mode: 0o000 });
    const result = runCli(["--direct", file, "--headroom", good()]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toContain(`${file}: cannot read file (permission denied)`);
  });

  it("a report folder that cannot be made fails at once (exit 1, one line), even under /proc", () => {
    const direct = writeJsonl(tempDir(), "d.jsonl", [v1Record(1, {})]);
    const result = runCli(["--direct", direct, "--headroom", direct, "-o", "/proc/no-such-dir/report.md"]);
    expect(result.status).toBe(1);
    expect(expectOneLineError(result)).toBe("headroom-analyze: error: cannot write Markdown report /proc/no-such-dir/report.md (ENOENT)");
  });

  it("refuses to write a report over an input capture or over the other report: exit 64, inputs untouched", () => {
    const dir = tempDir();
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, {})]);
    const before = readFileSync(direct, "utf8");
    const overInput = runCli(["--direct", direct, "--headroom", direct, "-o", direct]);
    expect(overInput.status).toBe(64);
    expect(expectOneLineError(overInput)).toContain(`${direct} is an input capture`);
    expect(readFileSync(direct, "utf8")).toBe(before);
    const same = runCli(["--direct", direct, "--headroom", direct, "-o", join(dir, "r"), "--json-output", join(dir, "r")]);
    expect(same.status).toBe(64);
    expect(expectOneLineError(same)).toContain("--output and --json-output name the same file");
  });

  it("a line that is not JSON: exit 2 naming file:line", () => {
    const bad = writeJsonl(tempDir(), "bad.jsonl", [v1Record(1, {}), "this is not json", v1Record(2, {})]);
    const result = runCli(["--direct", good(), "--headroom", bad]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toBe(`headroom-analyze: error: ${bad}:2: line is not valid JSON`);
  });

  it("a line that is JSON but not an object: exit 2 naming file:line", () => {
    const bad = writeJsonl(tempDir(), "bad.jsonl", [v1Record(1, {}), "42"]);
    const result = runCli(["--direct", bad, "--headroom", good()]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toContain(`${bad}:2: line is not a JSON object`);
  });

  it("a cut-short last line: warning on stderr, report still written, exit 0", () => {
    const dir = tempDir();
    const full = JSON.stringify(v1Record(2, messagesBody()));
    const cut = writeJsonl(dir, "cut.jsonl", [v1Record(1, messagesBody()), full.slice(0, 100)], false);
    const md = join(dir, "r.md");
    const result = runCli(["--direct", good(), "--headroom", cut, "--output", md]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`headroom-analyze: warning: ${cut}:2: last line is cut short (capture interrupted mid-write?); ignored it\n`);
    expect(result.stderr).toContain(`Wrote Markdown report: ${md}`);
    const report = readFileSync(md, "utf8");
    expect(report).toContain("- Headroom exchanges: 1");
    expect(report).toContain("## Warnings");
  });

  it("an empty file: a valid report with zero exchanges, exit 0", () => {
    const dir = tempDir();
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    const json = join(dir, "r.json");
    const result = runCli(["--direct", empty, "--headroom", empty, "--json-output", json]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("- Direct exchanges: 0");
    expect(result.stdout).toContain("No paired exchanges.");
    expect(JSON.parse(readFileSync(json, "utf8"))).toMatchObject({ direct_count: 0, headroom_count: 0, paired: [], only_direct: [], only_headroom: [] });
  });

  it("a record with no method: exit 2 naming file:line", () => {
    const { method: _m, ...record } = v1Record(2, {});
    const bad = writeJsonl(tempDir(), "bad.jsonl", [v1Record(1, {}), record]);
    const result = runCli(["--direct", bad, "--headroom", good()]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toBe(`headroom-analyze: error: ${bad}:2: record has no method`);
  });

  it("a record with no url: exit 2 naming file:line", () => {
    const { url: _u, ...record } = v1Record(1, {});
    const bad = writeJsonl(tempDir(), "bad.jsonl", [record]);
    const result = runCli(["summary", bad]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toBe(`headroom-analyze: error: ${bad}:1: record has no url`);
  });

  it("invalid UTF-8: no crash, exit 0", () => {
    const dir = tempDir();
    const file = join(dir, "latin1.jsonl");
    const line = JSON.stringify(v1Record(1, { text: "PLACEHOLDER" }));
    const [before, after] = line.split("PLACEHOLDER") as [string, string];
    writeFileSync(file, Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(after), Buffer.from("\n")]));
    const result = runCli(["--direct", file, "--headroom", good()]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("- Paired exchanges: 1");
  });

  it("a report that cannot be written: exit 1, one line", () => {
    const dir = tempDir();
    const blocker = join(dir, "file");
    writeFileSync(blocker, "");
    const result = runCli(["--direct", good(), "--headroom", good(), "--output", join(blocker, "r.md")]);
    expect(result.status).toBe(1);
    expect(expectOneLineError(result)).toContain("cannot write Markdown report");
  });

  it.each([
    [["--direct", "x.jsonl"], "Missing required argument: headroom"],
    [["--direct", "x", "--headroom", "y", "--bogus"], "Unknown argument: bogus"],
    [["--direct", "x", "--headroom", "y", "--pair-by", "host"], "Invalid values"],
    [["summary"], "Not enough non-option arguments"],
  ])("usage error %j: exit 64, one line", (args, message) => {
    const result = runCli(args);
    expect(result.status).toBe(64);
    const line = expectOneLineError(result);
    expect(line).toContain(message);
    expect(line).toMatch(/^headroom-analyze: error: .*\(see --help\)$/);
  });
});

describe("secrets never reach any output", () => {
  it("keeps canary keys, bearer tokens, cookies and query keys out of stdout, stderr, Markdown and JSON", () => {
    const dir = tempDir();
    const secretHeaders = {
      authorization: `Bearer ${CANARY.bearer}`,
      "X-Api-Key": CANARY.apiKey,
      cookie: `sid=${CANARY.cookie}`,
      "x-headroom-proxy-token": CANARY.proxyToken,
      "anthropic-beta": "claude-code-20250219",
    };
    const raw = (sequence: number, body: unknown, extra: Record<string, unknown> = {}) =>
      v1Record(sequence, body, {
        url: `https://api.anthropic.com/v1/messages?beta=true&api_key=${CANARY.query}&token=${CANARY.bearer}`,
        request_headers: secretHeaders,
        response_headers: { "set-cookie": `sid=${CANARY.cookie}` },
        ...extra,
      });
    const direct = writeJsonl(dir, "direct.jsonl", [
      raw(1, messagesBody()),
      raw(2, messagesBody(), { error: { kind: "other", message: `failed with key ${CANARY.apiKey} and Bearer ${CANARY.bearer}` } }),
    ]);
    const headroom = writeJsonl(dir, "headroom.jsonl", [raw(1, messagesBody({ tools: TOOLS })), raw(2, messagesBody({ tools: TOOLS }))]);
    const md = join(dir, "out", "r.md");
    const json = join(dir, "out", "r.json");
    const runs = [
      runCli(["--direct", direct, "--headroom", headroom, "--output", md, "--json-output", json]),
      runCli(["--direct", direct, "--headroom", headroom]),
      runCli(["summary", direct]),
      runCli(["summary", writeJsonl(dir, "broken.jsonl", [raw(1, {}), `{"x-api-key": "${CANARY.apiKey}" oops`, raw(2, {})])]),
      runCli(["--direct", `${dir}/missing-${CANARY.apiKey.slice(0, 3)}.jsonl`, "--headroom", headroom]),
    ];
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 2, 2]);
    const outputs = [...runs.flatMap((r) => [r.stdout, r.stderr]), readFileSync(md, "utf8"), readFileSync(json, "utf8")];
    for (const output of outputs) for (const canary of CANARY_VALUES) expect(output).not.toContain(canary);
    // The reports still show that the headers were there.
    expect(readFileSync(json, "utf8")).toContain("api_key=%3Credacted%3E");
  });
});

describe("progress bar", () => {
  it("prints nothing on stderr when stderr is not a TTY, even for big inputs", () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const filler = "y".repeat(1024 * 1024);
    const lines = Array.from({ length: 52 }, (_, i) => v1Record(i + 1, { model: "m", filler }));
    const big = writeJsonl(dir, "big.jsonl", lines);
    // Not --quiet: that silences the bar by itself, and the TTY check would go untested.
    const result = runCli(["--direct", big, "--headroom", big, "-o", join(dir, "r.md")]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(`Wrote Markdown report: ${join(dir, "r.md")}\n`);
  });
});

describe("stdout closed early", () => {
  it("stops quietly when the reader goes away (| head)", () => {
    const dir = tempDir();
    const records = Array.from({ length: 1500 }, (_, i) => v1Record(i + 1, { model: "m", [`key_${i}`]: i, messages: [{ content: `m${i}` }] }));
    const direct = writeJsonl(dir, "d.jsonl", records);
    const headroom = writeJsonl(dir, "h.jsonl", records.map((r, i) => ({ ...r, request_json: { model: "m", [`other_${i}`]: i, messages: [{ content: `x${i}` }] } })));
    // bash, for PIPESTATUS: the analyzer's own exit status, not that of head or of the shell.
    const script = `"${process.execPath}" "${CLI}" --direct "${direct}" --headroom "${headroom}" | head -c 100 >/dev/null; echo "analyzer exit=\${PIPESTATUS[0]}"`;
    const run = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("analyzer exit=0\n");
  });
});
