/**
 * mock-anthropic: run the mock Anthropic API until SIGTERM / SIGINT.
 * Prints one readiness line on stdout, {"event":"listening","url":...,"ca":...}; logs go to stderr.
 * Exit codes: 0 after a signal, 2 for bad arguments, 1 when it cannot start (e.g. port in use).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { failWithUsageLine } from "../shared/cli.js";
import { announceListening, closeOnSignals, logLine } from "../shared/readiness.js";
import { DEFAULT_SCENARIO, loadScenario, scenarioNames } from "./scenario.js";
import { DEFAULT_EVENT_DELAY_MS, DEFAULT_HOSTNAMES, startMockAnthropic } from "./server.js";

const argv = yargs(hideBin(process.argv))
  .scriptName("mock-anthropic")
  .usage("$0 [options]\n\nA mock of the Anthropic Messages API for offline runs of the capture harness.")
  .option("host", { type: "string", default: "127.0.0.1", describe: "Address to listen on" })
  .option("port", { type: "number", default: 0, describe: "Port to listen on (0: the OS chooses)" })
  .option("tls-dir", {
    type: "string",
    default: join(tmpdir(), "headroom-mock-anthropic-tls"),
    describe: "Folder for the throwaway CA and server certificate (ca.pem, ca-key.pem, server.pem, server-key.pem); reused if present",
  })
  .option("hostname", {
    type: "string",
    array: true,
    default: DEFAULT_HOSTNAMES,
    describe: "Name the server certificate covers (repeatable; localhost and 127.0.0.1 are always covered)",
  })
  .option("plain-http", { type: "boolean", default: false, describe: "Serve plain HTTP instead of HTTPS" })
  .option("digest-log", { type: "string", describe: "Append one JSON line per request: received_at, method, route, path, size, sha256" })
  .option("event-delay-ms", { type: "number", default: DEFAULT_EVENT_DELAY_MS, describe: "Pause between SSE events" })
  .option("scenario", {
    type: "string",
    default: DEFAULT_SCENARIO,
    describe: `Session to play: a file name in scripts/src/mock-anthropic/scenarios/ without .yml (${scenarioNames().join(", ")}), or a path to a .yml file`,
  })
  .check((args) => {
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error("--port must be a whole number from 0 to 65535");
    if (!Number.isFinite(args["event-delay-ms"]) || args["event-delay-ms"] < 0) throw new Error("--event-delay-ms must be a number >= 0");
    loadScenario(args.scenario); // a missing or malformed scenario is a usage error (exit 2), said in one line
    return true;
  })
  .strict()
  .fail(failWithUsageLine("mock-anthropic"))
  .help()
  .parseSync();

try {
  const mock = await startMockAnthropic({
    host: argv.host,
    port: argv.port,
    plainHttp: argv["plain-http"],
    tlsDir: argv["tls-dir"],
    hostnames: argv.hostname.map(String),
    digestLog: argv["digest-log"],
    eventDelayMs: argv["event-delay-ms"],
    scenario: loadScenario(argv.scenario),
  });
  closeOnSignals("mock-anthropic", mock.close);
  announceListening({ url: mock.url, ca: mock.caCertPath ?? null });
} catch (error) {
  logLine("mock-anthropic", `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
