import { defineConfig } from "vitest/config";

// End-to-end tests: a real `reelmart serve` (built by globalSetup) driven by
// Debian's Chromium through playwright-core. One file at a time: the machine
// is small and the tests share one server.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    globalSetup: ["e2e/setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
