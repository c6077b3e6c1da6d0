// The swipe feed: the first video plays through hls.js, the next one
// preloads, the arrow keys move between them, likes and comments work, and
// watch events reach the server in batches.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { call, clip, publish, register, signIn, type Person } from "./api";
import { axe, launch, newPage, screenshot, type Browser } from "./browser";

let browser: Browser;
let creator: Person;
const videos: any[] = [];

beforeAll(async () => {
  browser = await launch();
  creator = await register("nova", "Nova Reels");
  const file = clip(5);
  for (const caption of ["Morning light #sunrise", "Street food tour #food", "Rainy window #calm"]) {
    videos.push(await publish(creator, file, { caption, hashtags: [] }));
  }
  // Published videos reach the feed's index within seconds.
  const end = Date.now() + 60_000;
  for (;;) {
    const page = await call("GET", "/api/v1/feed?limit=10");
    if (page.items.length >= 3) break;
    if (Date.now() > end) throw new Error("videos never reached the feed: " + JSON.stringify(page));
    await new Promise((r) => setTimeout(r, 500));
  }
});
afterAll(async () => browser?.close());

const reel = (page: Page, i: number) => page.locator("article.reel").nth(i);
const time = (page: Page, i: number) => reel(page, i).locator("video").evaluate((v: HTMLVideoElement) => v.currentTime);

test("swipe feed: play, preload, keys, like, comment, watch events", async () => {
  const viewer = await register("vic", "Vic Views");
  const ctx = await browser.newContext();
  await signIn(ctx, viewer);
  const [page, watch] = await newPage(ctx);
  // A swipe stops the preloads (playlists, segments, posters) of videos that
  // left the window of players.
  watch.allowAborts(/\/api\/v1\/videos\/[^/]+\/(hls\/|poster)/);
  const events: any[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && /\/events$/.test(r.url())) events.push({ url: r.url(), body: r.postDataJSON() });
  });

  await page.goto("/");
  await expect.poll(() => time(page, 0), { timeout: 20_000 }).toBeGreaterThan(0.3);
  expect(await reel(page, 0).locator("video").evaluate((v: HTMLVideoElement) => v.src)).toMatch(/^blob:/); // MSE, through hls.js
  // The next video is attached and buffering before anyone swipes.
  await expect.poll(() => reel(page, 1).locator("video").evaluate((v: HTMLVideoElement) => v.buffered.length), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(await time(page, 1)).toBe(0);
  await page.waitForTimeout(300);
  await screenshot(page, "feed");
  await axe(page, "feed");

  // Arrow down moves to the next video, which plays; the first stops.
  await page.locator("main.feed").focus();
  await page.keyboard.press("ArrowDown");
  await expect.poll(() => time(page, 1), { timeout: 15_000 }).toBeGreaterThan(0.3);
  expect(await reel(page, 0).locator("video").evaluate((v: HTMLVideoElement) => v.paused)).toBe(true);

  // Leaving the first video sent its view and watch time.
  await expect.poll(() => events.length, { timeout: 15_000 }).toBeGreaterThan(0);
  const first = events[0];
  const types = first.body.events.map((e: any) => e.type);
  expect(types).toContain("view");
  expect(types).toContain("progress");
  expect(first.body.events.every((e: any) => typeof e.event_id === "string" && e.event_id.length > 8)).toBe(true);

  // Like the video on screen.
  const current = reel(page, 1);
  const id = await current.getAttribute("data-video-id");
  await current.getByRole("button", { name: /^Like/ }).click();
  await expect.poll(() => current.getByRole("button", { name: /^Like/ }).getAttribute("aria-pressed")).toBe("true");
  const v = await call("GET", "/api/v1/videos/" + id, viewer.token);
  expect(v).toBeTruthy();

  // Comment on it: the text shows as typed.
  await current.getByRole("button", { name: /^Comments/ }).click();
  const sheet = page.getByRole("dialog", { name: "Comments" });
  await sheet.getByLabel("Add a comment").fill("Love this <3 <b>wow</b>");
  await sheet.getByRole("button", { name: "Post" }).click();
  await sheet.getByText("Love this <3 <b>wow</b>").waitFor();
  await screenshot(page, "comments");
  await axe(page, "comments");
  await page.keyboard.press("Escape");
  const listed = await call("GET", `/api/v1/videos/${id}/comments`);
  expect(listed.items.map((c: any) => c.body)).toContain("Love this <3 <b>wow</b>");

  // Page hide sends what waits, with keepalive.
  const before = events.length;
  await page.evaluate(() => dispatchEvent(new PageTransitionEvent("pagehide")));
  await expect.poll(() => events.length, { timeout: 10_000 }).toBeGreaterThan(before);
  watch.clean();
  await ctx.close();
});

test("the creator sees views per day and audience retention, as charts and as a table", async () => {
  // A view of the first video, sent the way the app sends it.
  const viewer = await register("wes", "Wes Watches");
  await call("POST", `/api/v1/videos/${videos[0].id}/events`, viewer.token, {
    events: [{ event_id: crypto.randomUUID(), type: "view", position_ms: 0 }, { event_id: crypto.randomUUID(), type: "progress", position_ms: 3000, watched_ms: 3000 }],
  });
  const ctx = await browser.newContext();
  await signIn(ctx, creator);
  const [page, watch] = await newPage(ctx);
  await page.goto("/studio/videos/" + videos[0].id);
  await page.getByRole("img", { name: /^Views per day:/ }).waitFor();
  await page.locator(".uplot canvas").first().waitFor();
  await page.getByRole("button", { name: "Show as table" }).first().click();
  expect(await page.locator("table.table tbody tr").count()).toBeGreaterThanOrEqual(7);
  await page.getByRole("heading", { name: "Analytics" }).scrollIntoViewIfNeeded();
  await screenshot(page, "studio-analytics");
  await axe(page, "video analytics");
  watch.clean();
  await ctx.close();
});
