import { defineConfig } from "vitest/config";

// Unit tests: the plain TypeScript logic under src/lib, no DOM, no server.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
