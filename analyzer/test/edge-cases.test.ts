/**
 * Inputs that used to give a plausible-looking report without a word: an empty capture, one file given as both
 * sides, a price file that lacks a model. Each now warns on stderr and in the report. Also how the report names and
 * explains routes, shows shared responses and protects its files.
 */
import { readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { messagesBody, runCli, sha256, tempDir, v1Record, writeJsonl } from "./helpers.js";

function report(args: string[]) {
  const dir = tempDir();
  const json = join(dir, "r.json");
  const result = runCli([...args, "--json-output", json, "--quiet"]);
  expect(result.status, result.stderr).toBe(0);
  return { ...result, json: JSON.parse(readFileSync(json, "utf8")) as { warnings: string[]; summary: any; paired: any[] } };
}

describe("edge cases warn instead of passing silently", () => {
  it("an empty capture: a warning naming the file, on stderr and in both reports", () => {
    const dir = tempDir();
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, messagesBody())]);
    const empty = writeJsonl(dir, "empty.jsonl", []);
    const { stdout, stderr, json } = report(["--direct", direct, "--headroom", empty]);
    const expected = `${empty}: empty capture (no exchanges)`;
    expect(stderr).toContain(`headroom-analyze: warning: ${expected}`);
    expect(stdout).toContain("## Warnings");
    expect(stdout).toContain(expected);
    expect(json.warnings).toContain(expected);
    expect(runCli(["summary", empty]).stdout).toContain(expected);
  });

  it("the same file as both sides (also through a symlink): a warning", () => {
    const dir = tempDir();
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, messagesBody())]);
    const link = join(dir, "link.jsonl");
    symlinkSync(direct, link);
    for (const other of [direct, link]) {
      const { stderr, stdout, json } = report(["--direct", direct, "--headroom", other]);
      expect(stderr).toMatch(/warning: .*d\.jsonl is given as both sides \(--direct and --headroom\)/);
      expect(stdout).toContain("is given as both sides");
      expect(json.warnings.some((w) => w.includes("is given as both sides"))).toBe(true);
    }
    const other = writeJsonl(dir, "h.jsonl", [v1Record(1, messagesBody())]);
    expect(report(["--direct", direct, "--headroom", other]).stderr).not.toContain("both sides");
  });

  it("--prices without a price for a model shown: that lane's cost is n/a, no `saving $0.00`, and a warning", () => {
    const dir = tempDir();
    const prices = join(dir, "prices.json");
    writeFileSync(prices, JSON.stringify({ "claude-haiku-*": { input: 1, output: 5, cache_write: 1.25, cache_read: 0.1 } }));
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, messagesBody())]);
    const headroom = writeJsonl(dir, "h.jsonl", [v1Record(1, messagesBody())]);
    const { stdout, stderr, json } = report(["--direct", direct, "--headroom", headroom, "--prices", prices]);
    const costLine = stdout.split("\n").find((line) => line.startsWith("- Estimated cost")) ?? "";
    expect(costLine).toContain("direct n/a, headroom n/a");
    expect(costLine).toContain("difference n/a");
    expect(costLine).not.toMatch(/\$0\.00|saving/);
    expect(stderr).toContain(`warning: ${prices} has no price for claude-sonnet-4-5-20250929 (1 direct exchanges): the direct cost is shown as n/a`);
    expect(json.summary.cost.paired.usd_delta).toBeNull();
    expect(json.warnings.filter((w) => w.includes("has no price"))).toHaveLength(2);
  });
});

describe("routes, shared responses and report files", () => {
  it("a loopback route is named without its ephemeral port, so two runs compare", () => {
    const dir = tempDir();
    const local = (port: number) => ({ url: `http://127.0.0.1:${port}/v1/messages?beta=true`, host: `127.0.0.1:${port}` });
    const a = writeJsonl(dir, "a.jsonl", [v1Record(1, messagesBody(), local(45609))]);
    const b = writeJsonl(dir, "b.jsonl", [v1Record(1, messagesBody(), local(38211))]);
    const { stdout, json } = report(["--direct", a, "--headroom", b, "--pair-by", "route"]);
    expect(json.paired.map((p) => p.route)).toEqual(["POST 127.0.0.1/v1/messages?beta=true"]);
    expect(stdout).not.toMatch(/45609|38211/);
    const named = writeJsonl(dir, "c.jsonl", [v1Record(1, messagesBody(), { url: "http://headroom-proxy:8787/v1/messages?beta=true", host: "headroom-proxy:8787" })]);
    expect(report(["--direct", named, "--headroom", b]).json.paired[0].route).toBe("POST headroom-proxy:8787/v1/messages?beta=true");
  });

  it("the direct-only settings and policy_limits requests get a one-line explanation", () => {
    const dir = tempDir();
    const get = (sequence: number, path: string) =>
      v1Record(sequence, null, { method: "GET", url: `https://api.anthropic.com${path}`, request_json: null, request_body_size: 0, request_body_sha256: sha256("") });
    const direct = writeJsonl(dir, "d.jsonl", [get(1, "/api/claude_code/settings"), get(2, "/api/claude_code/policy_limits"), v1Record(3, messagesBody())]);
    const headroom = writeJsonl(dir, "h.jsonl", [v1Record(1, messagesBody())]);
    const { stdout } = report(["--direct", direct, "--headroom", headroom]);
    const only = stdout.split("## Only Direct")[1]!.split("\n## ")[0]!;
    for (const path of ["settings", "policy_limits"]) {
      expect(only).toMatch(new RegExp(`/api/claude_code/${path}\` .* — Claude Code asks for this only when it talks to api\\.anthropic\\.com itself`));
    }
  });

  it("where both sides carry the same response (a proxy's two lanes), no usage delta is printed", () => {
    const dir = tempDir();
    const shared = { response_body_sha256: sha256("one response") };
    const client = writeJsonl(dir, "client.jsonl", [v1Record(1, messagesBody(), shared)]);
    const upstream = writeJsonl(dir, "upstream.jsonl", [v1Record(1, messagesBody({ max_tokens: 1 }), shared)]);
    const { stdout, json } = report(["--direct", client, "--headroom", upstream]);
    expect(stdout).not.toContain("prompt tokens +0");
    expect(stdout).not.toMatch(/prompt \d+ -> \d+ \(\+0\)/);
    expect(stdout).toContain("both sides carry the same responses");
    expect(stdout).toContain("same response: prompt 1110; out 20");
    expect(json.summary.paired_tokens.shared_responses).toBe(1);
    expect(json.paired[0].shared_response).toBe(true);
    const direct = writeJsonl(dir, "direct.jsonl", [v1Record(1, messagesBody())]);
    expect(report(["--direct", direct, "--headroom", client]).stdout).toContain("prompt tokens +0");
  });

  it("reports are written 0600, also over an existing 0644 file", () => {
    const dir = tempDir();
    const direct = writeJsonl(dir, "d.jsonl", [v1Record(1, messagesBody())]);
    const headroom = writeJsonl(dir, "h.jsonl", [v1Record(1, messagesBody())]);
    const md = join(dir, "out", "r.md");
    const json = join(dir, "r.json");
    writeFileSync(json, "old");
    chmodSync(json, 0o644);
    const result = runCli(["--direct", direct, "--headroom", headroom, "--output", md, "--json-output", json, "--quiet"]);
    expect(result.status, result.stderr).toBe(0);
    for (const file of [md, json]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
  });
});

describe("--help", () => {
  it("names the second input format as Headroom's own capture harness, not an unexplained 'original harness'", () => {
    const help = runCli(["--help"]).stdout;
    expect(help).toContain(`records of Headroom's own "headroom capture" harness`);
    expect(help).not.toContain("original harness");
  });
});
