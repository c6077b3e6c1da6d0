// Prints the gzip size of every JS and CSS file Vite wrote, and their sum:
// the figure docs/BENCHMARKS.md reports. Run by `npm run build`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dir = new URL("../dist/assets/", import.meta.url).pathname;
let total = 0;
const rows = [];
for (const name of readdirSync(dir).sort()) {
  if (!/\.(js|css)$/.test(name)) continue;
  const raw = readFileSync(join(dir, name));
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  rows.push(`${(gz / 1024).toFixed(1).padStart(8)} KiB gz  ${(raw.length / 1024).toFixed(1).padStart(8)} KiB  ${name}`);
}
console.log(rows.join("\n"));
console.log(`${(total / 1024).toFixed(1).padStart(8)} KiB gz in all JS and CSS`);
