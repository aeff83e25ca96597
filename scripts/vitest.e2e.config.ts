// The end-to-end tests: real mitmdump, the real Claude Code CLI, the mock API. Run by `make test-e2e`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
