import { defineConfig } from "vitest/config";

// The first-frame measurement (make bench-web): the same real server as the
// browser tests, measured, not asserted.
export default defineConfig({
  test: {
    include: ["e2e/**/*.perf.ts"],
    environment: "node",
    globalSetup: ["e2e/setup.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
