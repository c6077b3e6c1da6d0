// Global set-up of the browser tests: build the real binary, start
// `reelmart serve` on a free loopback port with a fresh data directory on
// the embedded defaults (SQLite, local disk, Bleve), and stop it at the end.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseURL: string;
    serverLog: string;
  }
}

const repo = resolve(import.meta.dirname, "../..");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, log: string, ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`reelmart serve exited with ${child.exitCode}:\n${readFileSync(log, "utf8")}`);
    try {
      const r = await fetch(url + "/readyz");
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`reelmart serve not ready within ${ms} ms:\n${readFileSync(log, "utf8")}`);
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "reelmart-e2e-"));
  const bin = join(dir, "reelmart");
  // The binary embeds web/dist as committed or as just rebuilt by `make web`.
  execFileSync("go", ["build", "-o", bin, "./cmd/reelmart"], { cwd: repo, stdio: "inherit" });
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const log = join(dir, "serve.log");
  const out = openSync(log, "a");
  const child = spawn(bin, ["serve"], {
    cwd: dir,
    env: { ...process.env, REELMART_ADDR: `127.0.0.1:${port}`, REELMART_DATA_DIR: join(dir, "data"), REELMART_WORKERS: "2" },
    stdio: ["ignore", out, out],
  });
  await waitReady(baseURL, child, log, 60_000);
  project.provide("baseURL", baseURL);
  project.provide("serverLog", log);

  return async () => {
    child.kill("SIGTERM");
    await new Promise((r) => {
      if (child.exitCode !== null) return r(null);
      const t = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.once("exit", () => {
        clearTimeout(t);
        r(null);
      });
    });
    if (process.env.REELMART_E2E_KEEP) console.log("e2e data kept in", dir);
    else rmSync(dir, { recursive: true, force: true });
  };
}
