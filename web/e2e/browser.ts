// Chromium for the browser tests: Debian's /usr/bin/chromium through
// playwright-core (which never downloads a browser), a fresh profile each
// launch, and a watch on every page for console errors, failed requests and
// error answers the test did not ask for.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { expect, inject } from "vitest";

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 860 };
const CHROMIUM = "/usr/bin/chromium";

export interface Browser {
  newContext(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * launch starts headless Chromium. Playwright gives every launch a fresh
 * profile (--user-data-dir in a new temporary folder) and removes it on close.
 */
export async function launch(): Promise<Browser> {
  const browser = await chromium
    .launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required", "--mute-audio"],
    })
    .catch((e: Error) => {
      throw new Error(`could not start ${CHROMIUM} (apt-get install chromium): ${e.message}`);
    });
  return {
    newContext: (viewport = PHONE) => browser.newContext({ viewport, baseURL: baseURL(), reducedMotion: "reduce" }),
    close: () => browser.close(),
  };
}

export function baseURL(): string {
  return inject("baseURL");
}

/** Watch records what a user would count as the app misbehaving. */
export class Watch {
  readonly problems: string[] = [];
  private allowed = new Set<number>();
  // The browser's own favicon fetch is cancelled by any navigation that overtakes it.
  private abortable: RegExp[] = [/\/favicon\.svg$/];
  private failing: RegExp[] = [];

  constructor(readonly page: Page) {
    page.on("pageerror", (e) => this.problems.push("page error: " + e.message));
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      if (this.failing.some((re) => re.test(m.location().url))) return;
      const status = /status of (\d{3})/.exec(m.text());
      if (status && this.allowed.has(Number(status[1]))) return;
      this.problems.push("console error: " + m.text());
    });
    page.on("response", (r) => {
      if (r.status() >= 400 && !this.allowed.has(r.status())) this.problems.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    page.on("requestfailed", (r) => {
      const why = r.failure()?.errorText ?? "";
      if (why === "net::ERR_ABORTED" && this.abortable.some((re) => re.test(r.url()))) return;
      if (this.failing.some((re) => re.test(r.url()))) return;
      this.problems.push(`request failed (${why}): ${r.method()} ${r.url()}`);
    });
  }

  /** allow accepts error answers of status: the user caused them (a wrong password). */
  allow(...statuses: number[]) {
    for (const s of statuses) this.allowed.add(s);
  }

  /** disallow takes an allowance back. */
  disallow(...statuses: number[]) {
    for (const s of statuses) this.allowed.delete(s);
  }

  /** allowAborts accepts requests the app cancels on purpose (a swipe stopping a preload). */
  allowAborts(url: RegExp) {
    this.abortable.push(url);
  }

  /** allowFailures accepts failed requests the test itself breaks (a cut connection). */
  allowFailures(url: RegExp) {
    this.failing.push(url);
  }

  /** clean fails the test when anything unasked-for happened. */
  clean() {
    expect(this.problems, "console errors, failed requests or error answers").toEqual([]);
  }
}

export async function newPage(ctx: BrowserContext): Promise<[Page, Watch]> {
  const page = await ctx.newPage();
  return [page, new Watch(page)];
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe runs axe-core in the page (through the DevTools protocol, so the
 * app's Content-Security-Policy stays on) and fails on serious or critical
 * violations.
 */
export async function axe(page: Page, screen: string) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } };
    const r = await w.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  expect(found, `axe-core on ${screen}`).toEqual([]);
}

// The README's screenshots are rewritten only when asked (make screenshots);
// other runs still take them, into a folder of their own, so that a test
// run leaves the work tree as it found it.
const shots =
  process.env.REELMART_SCREENSHOTS === "update"
    ? resolve(import.meta.dirname, "../../docs/screenshots")
    : join(tmpdir(), "reelmart-e2e-screenshots");

/** screenshot saves the screen (for the README under make screenshots). */
export async function screenshot(page: Page, name: string) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, name + ".png"), animations: "disabled", caret: "hide" });
}
