/** Programmatic entry point of the mock Anthropic API. */
export { startMockAnthropic, DEFAULT_EVENT_DELAY_MS, DEFAULT_HOSTNAMES } from "./server.js";
export type { MockAnthropic, MockAnthropicOptions, ReceivedRequest } from "./server.js";
export { FINAL_MARKER, PLAIN_MARKER, scriptReply, findWorkingDirectory } from "./conversation.js";
export { PromptCache, countInputTokens, estimateTokens, promptBlocks } from "./usage.js";
export { DEFAULT_SCENARIO, ScenarioError, allowedToolsArgs, loadScenario, scenarioNames, type Scenario } from "./scenario.js";
