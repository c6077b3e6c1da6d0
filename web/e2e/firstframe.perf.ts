// Time from navigation to the first video frame on screen, on loopback: the
// app's feed at / and the app opening a video at /v/{id}, beside a bare page that plays the same stream with
// hls.js alone (the same light build), measured alternately in the same run
// with a cold cache each time. Prints medians; docs/BENCHMARKS.md has them.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, test } from "vitest";
import { call, clip, publish, register } from "./api";
import { launch, type Browser } from "./browser";

const RUNS = Number(process.env.RUNS ?? 9);
let browser: Browser;
let video: any;

beforeAll(async () => {
  browser = await launch();
  const creator = await register("fran", "Fran Frames");
  video = await publish(creator, clip(6), { caption: "first frame" });
  // The feed at / opens on it once it is in the feed's index (a job, within seconds).
  const end = Date.now() + 30_000;
  while (!(await call("GET", "/api/v1/feed?limit=8")).items.some((i: { id: string }) => i.id === video.id)) {
    if (Date.now() > end) throw new Error("the video never reached the feed");
    await new Promise((r) => setTimeout(r, 250));
  }
});
afterAll(async () => browser?.close());

const require = createRequire(import.meta.url);
const hlsLight = readFileSync(require.resolve("hls.js/dist/hls.light.min.js"), "utf8");

const bare = (src: string) => `<!doctype html><meta name="viewport" content="width=device-width">
<body style="margin:0;background:#000"><video id="v" muted playsinline style="width:100vw;height:100vh"></video>
<script src="/__bare/hls.js"></script>
<script>
const v = document.getElementById("v");
const h = new Hls();
h.loadSource(${JSON.stringify(src)});
h.attachMedia(v);
v.play();
</script>`;

// Runs before any page script, outside the page's CSP: marks the first frame of any video.
function firstFrameProbe() {
  const w = window as unknown as { __firstFrame?: number };
  const seen = new WeakSet<HTMLVideoElement>();
  const watch = (v: HTMLVideoElement) => {
    if (seen.has(v)) return;
    seen.add(v);
    v.requestVideoFrameCallback(() => (w.__firstFrame ??= performance.now()));
  };
  new MutationObserver((records) => {
    for (const r of records)
      for (const n of r.addedNodes) {
        if (n instanceof HTMLVideoElement) watch(n);
        else if (n instanceof Element) n.querySelectorAll("video").forEach(watch);
      }
  }).observe(document, { childList: true, subtree: true });
}

async function measure(url: string): Promise<number> {
  const ctx = await browser.newContext();
  await ctx.route("**/__bare/hls.js", (r) => r.fulfill({ contentType: "text/javascript", body: hlsLight }));
  await ctx.route("**/__bare/page", (r) => r.fulfill({ contentType: "text/html", body: bare(video.hls_url) }));
  await ctx.addInitScript(firstFrameProbe);
  const page = await ctx.newPage();
  await page.goto(url);
  const t = await page.waitForFunction(() => (window as unknown as { __firstFrame?: number }).__firstFrame, undefined, { timeout: 30_000 });
  const ms = (await t.jsonValue()) as number;
  await ctx.close();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test("first frame: app vs bare hls.js page", async () => {
  const feed: number[] = [];
  const app: number[] = [];
  const plain: number[] = [];
  await measure("/"); // warm the server's own caches once
  await measure("/v/" + video.id);
  for (let i = 0; i < RUNS; i++) {
    feed.push(await measure("/"));
    app.push(await measure("/v/" + video.id));
    plain.push(await measure("/__bare/page"));
  }
  const f = median(feed);
  const a = median(app);
  const b = median(plain);
  const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
  console.log(`first frame, median of ${RUNS} cold loads at 390x844 on loopback:`);
  console.log(`  app feed /       ${f.toFixed(0)} ms   (all: ${all(feed)})`);
  console.log(`  app /v/{id}      ${a.toFixed(0)} ms   (all: ${all(app)})`);
  console.log(`  bare hls.js page ${b.toFixed(0)} ms   (all: ${all(plain)})`);
  console.log(`  ratio feed/bare  ${(f / b).toFixed(2)}, watch/bare ${(a / b).toFixed(2)}`);
});
