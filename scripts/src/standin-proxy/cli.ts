/**
 * standin-proxy: run the stand-in for Headroom until SIGTERM / SIGINT. Configured like the headroom-proxy service:
 * ANTHROPIC_TARGET_API_URL, HTTPS_PROXY / HTTP_PROXY, NODE_EXTRA_CA_CERTS / SSL_CERT_FILE, HEADROOM_PROXY_TOKEN,
 * STANDIN_MAX_TOOL_RESULT_CHARS. Prints one readiness line on stdout, {"event":"listening","url":...}; logs go to
 * stderr. Exit codes: 0 after a signal, 2 for bad arguments or environment, 1 when it cannot start.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { failWithUsageLine } from "../shared/cli.js";
import { announceListening, closeOnSignals, logLine } from "../shared/readiness.js";
import { DEFAULT_PORT, optionsFromEnv, startStandinProxy, type StandinProxyOptions } from "./server.js";

const argv = yargs(hideBin(process.argv))
  .scriptName("standin-proxy")
  .usage(
    "$0 [options]\n\nA STAND-IN for the Headroom proxy (not Headroom): forwards /v1/* to ANTHROPIC_TARGET_API_URL and shortens long tool_result text.",
  )
  .option("host", { type: "string", default: "127.0.0.1", describe: "Address to listen on" })
  .option("port", { type: "number", default: DEFAULT_PORT, describe: "Port to listen on (0: the OS chooses)" })
  .option("optimize", { type: "boolean", default: true, describe: "Shorten long tool results; --no-optimize forwards every body unchanged (passthrough, as Headroom's --no-optimize)" })
  .epilog(
    "Environment: ANTHROPIC_TARGET_API_URL (default https://api.anthropic.com), HTTPS_PROXY / HTTP_PROXY, " +
      "NODE_EXTRA_CA_CERTS / SSL_CERT_FILE (extra trusted CA), HEADROOM_PROXY_TOKEN, STANDIN_MAX_TOOL_RESULT_CHARS (default 800).",
  )
  .check((args) => {
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error("--port must be a whole number from 0 to 65535");
    return true;
  })
  .strict()
  .fail(failWithUsageLine("standin-proxy"))
  .help()
  .parseSync();

let options: StandinProxyOptions;
try {
  options = { ...optionsFromEnv(), host: argv.host, port: argv.port };
  if (!argv.optimize) options.maxToolResultChars = Number.POSITIVE_INFINITY;
} catch (error) {
  logLine("standin-proxy", (error as Error).message);
  process.exit(2);
}

try {
  const proxy = await startStandinProxy(options);
  closeOnSignals("standin-proxy", proxy.close);
  announceListening({ url: proxy.url });
} catch (error) {
  logLine("standin-proxy", `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
