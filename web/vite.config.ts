import { defineConfig } from "vite";

// The build is committed (dist/) and embedded in the Go binary, so it must be
// byte-for-byte reproducible from the lockfile: no timestamps, no absolute
// paths, hashed file names that depend only on content.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact", legalComments: "none" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    cssCodeSplit: true,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        // hls.js is the largest dependency and changes least often: its own
        // chunk stays cached across releases of the app.
        manualChunks(id) {
          if (id.includes("/node_modules/hls.js/")) return "hls";
        },
      },
    },
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
