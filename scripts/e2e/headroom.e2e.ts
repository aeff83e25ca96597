/**
 * The real Headroom proxy (pinned, from PyPI, in .venv-headroom) compressing offline, end to end: the realistic
 * scenario with the real Claude Code CLI and real mitmdump in every lane, Headroom optimizing in one arm and
 * passing through (--no-optimize) in another, a second direct run as the noise baseline. What `make demo-headroom`
 * shows, checked the way a user would read it: both clients succeed, fewer bytes go upstream than came in, fewer
 * prompt tokens are billed, and the proxy report names the tool result Headroom compressed.
 *
 * No skip: without `make headroom-venv` the runner exits 2 and this fails, saying so.
 */
import { execa } from "execa";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT } from "../src/lanes/repo.js";
import { isMessages, readCapture } from "./captures.js";
import { processesMentioning } from "./processes.js";

const RUNNER = [process.execPath, "--import", "tsx", path.join(REPO_ROOT, "scripts/src/lanes/cli.ts")] as const;
const CANARY_KEY = `sk-ant-canary-headroom-e2e-${process.pid}-DO-NOT-LEAK`;

interface CaptureRecord {
  url: string;
  method: string;
  request_body_size: number;
  request_json?: { messages?: Array<{ role: string; content: unknown }> };
}

const messageBytes = (records: CaptureRecord[]) => records.filter(isMessages).reduce((sum, r) => sum + r.request_body_size, 0);

interface ProxyAccountJson {
  rows: Array<{
    claim: { tokens_saved: number | null; transforms: string[] } | null;
    changed_tool_results: Array<{ tool: string; tool_use_id: string; chars: { direct: number; headroom: number | null } }>;
  }>;
  stats: { tokens_saved: number | null } | null;
}

/** The id of the Bash call that printed the inventory JSON, as Claude Code sent it through the proxy. */
function inventoryCallId(records: CaptureRecord[]): string | undefined {
  for (const record of records.filter(isMessages)) {
    for (const message of record.request_json?.messages ?? []) {
      for (const block of Array.isArray(message.content) ? (message.content as Array<Record<string, unknown>>) : []) {
        const input = block.input as { command?: string } | undefined;
        if (block.type === "tool_use" && block.name === "Bash" && input?.command === "cat data/inventory.json") return String(block.id);
      }
    }
  }
  return undefined;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe("make demo-headroom: the real Headroom proxy compresses the realistic session offline", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "headroom-real-e2e-"));
  const captures = path.join(work, "captures");
  const runDir = path.join(work, "run");
  let run: { exitCode: number | undefined; stdout: string; stderr: string };
  const lane = (name: string) => readCapture<CaptureRecord>(path.join(captures, `${name}.jsonl`));
  const json = <T>(name: string) => JSON.parse(readFileSync(path.join(captures, name), "utf8")) as T;

  beforeAll(async () => {
    const result = await execa(
      RUNNER[0],
      [...RUNNER.slice(1), "--proxy", "headroom", "--scenario", "inventory-review", "--arms", "headroom,headroom-passthrough", "--baseline",
        "--captures", captures, "--run-dir", runDir],
      { cwd: REPO_ROOT, env: { ANTHROPIC_API_KEY: CANARY_KEY }, reject: false, timeout: 840_000 },
    );
    run = { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  }, 900_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("every Claude Code run exits 0 (direct, its baseline twin, Headroom optimizing, Headroom passing through)", () => {
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const name of ["direct", "direct-baseline", "headroom", "headroom-passthrough"]) {
      const section = run.stdout.split(`== claude (${name}) exit `)[1] ?? "";
      expect(section.startsWith("0\n"), `claude (${name}) did not exit 0:\n${run.stdout}`).toBe(true);
      expect(section).toMatch(/MOCK-FINAL/);
    }
  });

  test("the upstream lane carried at least 10 % fewer request bytes than the client lane", () => {
    const client = messageBytes(lane("headroom-client"));
    const upstream = messageBytes(lane("headroom-upstream"));
    expect(client).toBeGreaterThan(0);
    expect(upstream, `client ${client} bytes, upstream ${upstream} bytes`).toBeLessThanOrEqual(client * 0.9);
  });

  test("the report's paired prompt tokens are at least 10 % lower in the Headroom lane", () => {
    const report = json<{ summary: { paired: number; paired_tokens: { direct: { prompt_tokens: number }; headroom: { prompt_tokens: number } } } }>("report.json");
    const { direct, headroom } = report.summary.paired_tokens;
    expect(report.summary.paired).toBeGreaterThanOrEqual(5);
    expect(headroom.prompt_tokens, `direct ${direct.prompt_tokens}, headroom ${headroom.prompt_tokens}`).toBeLessThanOrEqual(direct.prompt_tokens * 0.9);
    expect(run.stdout).toMatch(/Prompt tokens billed over \d+ paired requests with usage on both sides, direct -> through the proxy: \d+ -> \d+ \(-\d+\.\d %\)/);
  });

  test("the proxy report names the tool result Headroom compressed and its own figures beside the wire", () => {
    const id = inventoryCallId(lane("headroom-client"));
    expect(id, "the Bash call printing data/inventory.json").toBeDefined();
    const account = json<{ proxy_account: ProxyAccountJson }>("proxy-report.json").proxy_account;
    const changed = account.rows.flatMap((row) => row.changed_tool_results);
    const inventory = changed.find((r) => r.tool_use_id === id);
    expect(inventory, JSON.stringify(changed)).toMatchObject({ tool: "Bash" });
    expect(inventory!.chars.headroom!).toBeLessThan(inventory!.chars.direct);
    expect(readFileSync(path.join(captures, "proxy-report.md"), "utf8")).toContain(`Bash ${id}`);
    // Headroom's own account: token counts in its headers (kept by the capture, not redacted) and its stats.
    expect(account.rows.some((row) => (row.claim?.tokens_saved ?? 0) > 0)).toBe(true);
    expect(account.rows.some((row) => row.claim?.transforms.some((t) => t.startsWith("router:tool_result:")))).toBe(true);
    expect(account.stats?.tokens_saved ?? 0).toBeGreaterThan(0);
  });

  test("the passthrough arm changes no tool result, and the arm reports and the baseline capture are there", () => {
    const passthrough = json<{ proxy_account?: ProxyAccountJson }>("headroom-passthrough-proxy-report.json").proxy_account;
    expect(passthrough?.rows.flatMap((row) => row.changed_tool_results) ?? []).toEqual([]);
    for (const name of ["direct-vs-headroom-passthrough.md", "headroom-passthrough-vs-headroom.md", "headroom-passthrough-proxy-stats.json"]) {
      expect(existsSync(path.join(captures, name)), name).toBe(true);
    }
    expect(lane("direct-baseline").filter(isMessages).length).toBeGreaterThanOrEqual(5);
    // The main report sets its differences against that baseline (analyzer --baseline).
    expect(json<{ inputs: { baseline?: string } }>("report.json").inputs.baseline).toBe(path.join(captures, "direct-baseline.jsonl"));
  });

  test("the API key appears nowhere in the captures, reports or logs", () => {
    const files = [...filesUnder(captures), ...filesUnder(path.join(runDir, "logs"))];
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect(readFileSync(file, "latin1").includes(CANARY_KEY), file).toBe(false);
  });

  test("no process the run started (two Headroom proxies among them) is left running", () => {
    expect(processesMentioning(runDir)).toEqual([]);
  });
});
