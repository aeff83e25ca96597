// The unit and component tests (`make test-scripts`). Many start a CLI through tsx, which takes seconds on a busy
// 2-core machine: hence a timeout above vitest's 5 s default.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
