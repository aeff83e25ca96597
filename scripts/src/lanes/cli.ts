#!/usr/bin/env node
/**
 * `run-lanes`: both lanes on this machine, then the report. A thin shell over runLocalLanes().
 *
 *   npx tsx scripts/src/lanes/cli.ts                      # offline: mock API + stand-in proxy
 *   npx tsx scripts/src/lanes/cli.ts --api real           # the real API (needs ANTHROPIC_API_KEY)
 *   npx tsx scripts/src/lanes/cli.ts --proxy headroom     # the real `headroom proxy` instead of the stand-in
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { failWithUsageLine } from "../shared/cli.js";
import { DEMO_PROJECT, REPO_ROOT } from "./repo.js";
import { proxyChanges, reportSection } from "./reports.js";
import { runLocalLanes, UsageError, type ApiChoice, type ProxyChoice, type RunResult } from "./run-local-lanes.js";

/** Exit codes: 0 both lanes ran and the report was written; 1 a lane's client failed; 2 bad usage/setup. */
async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("run-lanes")
    .usage("$0 [options]\n\nRun the direct and headroom lanes as local processes (the Compose topology on 127.0.0.1), then build the report.")
    .option("api", { choices: ["mock", "real"] as const, default: "mock" as ApiChoice, describe: "mock: offline mock Anthropic API; real: api.anthropic.com (needs ANTHROPIC_API_KEY)" })
    .option("proxy", { choices: ["standin", "headroom"] as const, default: "standin" as ProxyChoice, describe: "standin: the offline stand-in proxy; headroom: the real `headroom proxy` (HEADROOM_COMMAND, else .venv-headroom from `make headroom-venv`, else headroom on PATH)" })
    .option("captures", { type: "string", default: path.join(REPO_ROOT, "captures"), describe: "folder for direct.jsonl, headroom-client.jsonl, headroom-upstream.jsonl and the report" })
    .option("project", { type: "string", describe: "folder Claude Code works in (copied fresh for each lane); default: the demo project with --api mock, the current folder otherwise" })
    .option("run-dir", { type: "string", describe: "folder for logs, CAs and the throwaway HOME (default: a temp folder, removed after a successful run)" })
    .option("keep-run-dir", { type: "boolean", default: false, describe: "keep the temp run folder (logs) after success" })
    .option("append", { type: "boolean", default: false, describe: "append to existing captures instead of moving them to captures/previous/<time>/" })
    .option("report", { type: "boolean", default: true, describe: "build report.md / report.json / report.html with headroom-analyze (--no-report to skip)" })
    .option("timeout", { type: "number", default: 300, describe: "seconds each Claude Code run may take" })
    .epilog(
      [
        "Environment (as in Compose): CLAUDE_COMMAND, CLAUDE_PROMPT, CLAUDE_DIRECT_ARGS, CLAUDE_HEADROOM_ARGS,",
        "CAPTURE_INCLUDE_HOSTS, HEADROOM_PROXY_TOKEN, ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN); MITMDUMP (default .venv/bin/mitmdump).",
        "Exit codes: 0 success; 1 a lane's Claude Code run failed; 2 bad usage or setup.",
      ].join("\n"),
    )
    .check((args) => {
      const ok = Number.isFinite(args.timeout) && args.timeout > 0;
      return ok || `--timeout must be a positive number of seconds, got ${String(args.timeout)}`;
    })
    .strict()
    .fail(failWithUsageLine("run-lanes"))
    .help()
    .parseAsync();

  const env = { ...process.env };
  const api = argv.api as ApiChoice;
  if (api === "mock") {
    // The demo's scripted conversation asks Claude Code to read a file: let it, in print mode.
    env.CLAUDE_PROMPT ??= "Read README.md and summarize this project in one sentence.";
    env.CLAUDE_DIRECT_ARGS ??= "--allowedTools Read";
    env.CLAUDE_HEADROOM_ARGS ??= "--allowedTools Read";
  }
  const project = argv.project ?? (api === "mock" ? DEMO_PROJECT : process.cwd());
  const result = await runLocalLanes({
    api,
    proxy: argv.proxy as ProxyChoice,
    capturesDir: path.resolve(argv.captures),
    project: path.resolve(project),
    runDir: argv["run-dir"] ? path.resolve(argv["run-dir"]) : undefined,
    keepRunDir: argv["keep-run-dir"],
    append: argv.append,
    report: argv.report,
    clientTimeoutMs: argv.timeout * 1000,
    env,
    log: (line) => process.stderr.write(`run-lanes: ${line}\n`),
  });
  printOutcome(result);
  return result.ok ? 0 : 1;
}

function printOutcome(result: RunResult): void {
  const out = process.stdout;
  for (const client of result.clients) {
    out.write(`\n== claude (${client.lane}) exit ${client.timedOut ? "timeout" : client.exitCode}\n${client.stdout.trim()}\n`);
    if (client.exitCode !== 0) out.write(`-- stderr\n${client.stderr.trim()}\n`);
  }
  out.write(`\nCaptures:\n  ${result.captures.direct}\n  ${result.captures.headroomClient}\n  ${result.captures.headroomUpstream}\n`);
  if (result.report) {
    out.write(`Report: ${result.report.markdown}\n        ${result.report.json}\n        ${result.report.html}  (open in a browser)\n`);
    out.write(`What the proxy changed (headroom-client lane -> headroom-upstream lane): ${result.report.proxyMarkdown}, ${result.report.proxyHtml}\n`);
    for (const line of proxyChanges(result.report.proxyJson)) out.write(`  ${line}\n`);
    out.write("\n");
    out.write(`${reportSection(readFileSync(result.report.markdown, "utf8"), "Summary")}\n`);
  }
  if (!result.ok) out.write(`\nA lane failed; logs are in ${result.runDir}/logs\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`run-lanes: ${message}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
