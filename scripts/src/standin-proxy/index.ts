/** Programmatic entry point of the stand-in for Headroom. */
export { startStandinProxy, optionsFromEnv, DEFAULT_PORT, DEFAULT_TARGET, STANDIN_HEADER, TOKEN_HEADER } from "./server.js";
export type { StandinProxy, StandinProxyOptions } from "./server.js";
export { shortenToolResults, standinHeaderValue, elisionMarker, DEFAULT_MAX_TOOL_RESULT_CHARS } from "./shorten.js";
