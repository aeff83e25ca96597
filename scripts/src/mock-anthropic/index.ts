/** Programmatic entry point of the mock Anthropic API. */
export { startMockAnthropic, DEFAULT_EVENT_DELAY_MS, DEFAULT_HOSTNAMES } from "./server.js";
export type { MockAnthropic, MockAnthropicOptions, ReceivedRequest } from "./server.js";
export { FINAL_MARKER, PLAIN_MARKER, DEFAULT_READ_FILE, scriptReply, findWorkingDirectory } from "./conversation.js";
export { PromptCache, countInputTokens, estimateTokens, promptBlocks } from "./usage.js";
