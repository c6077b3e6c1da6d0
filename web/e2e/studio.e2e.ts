// The creator studio: an upload paused, resumed, interrupted by a reload and
// resumed again from where it stopped; pins set on the scrubber; processing
// until ready; the video in the creator's list. And a merchant adding a
// product with an image dropped on the page.
import { readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { addProduct, clip, image, openShop, register, signIn, type Person } from "./api";
import { axe, baseURL, launch, newPage, screenshot, type Browser } from "./browser";

let browser: Browser;
let creator: Person;

beforeAll(async () => {
  browser = await launch();
  const merchant = await register("sami", "Sami's Store");
  const shop = await openShop(merchant);
  await addProduct(merchant, shop.id, { title: "Canvas tote", skus: [{ code: "TOTE", attributes: { color: "natural" }, price: 1800, stock: 20 }] });
  creator = await register("remy", "Remy Films");
});
afterAll(async () => browser?.close());

test("upload with pause, resume and a reload in the middle, then publish with a pin and see it ready in the list", async () => {
  const file = clip(14, "beach-day.mp4", true);
  const size = statSync(file).size;
  expect(size).toBeGreaterThan(5 * 1024 * 1024); // more than one 5 MiB chunk

  const ctx = await browser.newContext();
  await signIn(ctx, creator);
  const [page, watch] = await newPage(ctx);
  watch.allowAborts(/\/api\/v1\/uploads\//); // Pause aborts the chunk in flight
  watch.allowAborts(/^blob:/); // the local preview's reads, stopped by seeking on the scrubber and by the reload
  watch.allowAborts(/\/hls\//); // leaving a playing video stops its segment downloads

  // Chunks go out slowly enough to pause between them; every offset sent is recorded.
  const offsets: number[] = [];
  let uploadURL = "";
  await ctx.route("**/api/v1/uploads/**", async (route) => {
    const req = route.request();
    if (req.method() === "PATCH") {
      offsets.push(Number(req.headers()["upload-offset"]));
      uploadURL = req.url();
      await new Promise((r) => setTimeout(r, 700));
    }
    await route.continue().catch(() => undefined); // the page may have aborted it (pause)
  });

  await page.goto("/studio/upload");
  await axe(page, "upload");
  await page.getByLabel("Choose a video file").setInputFiles(file);
  const bar = page.getByRole("progressbar", { name: "Upload progress" });
  // The first chunk lands; pause while the second is on its way.
  await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 20_000 }).toBeGreaterThanOrEqual(Math.floor(((5 * 1024 * 1024) / size) * 100) - 1);
  await page.getByRole("button", { name: "Pause" }).click();
  await page.getByText("Paused. Your progress is kept.").waitFor();
  const head = await fetch(uploadURL, { method: "HEAD", headers: { authorization: "Bearer " + creator.token, "tus-resumable": "1.0.0" } });
  const kept = Number(head.headers.get("upload-offset"));
  expect(kept).toBeGreaterThanOrEqual(5 * 1024 * 1024);
  expect(kept).toBeLessThan(size);

  // Resume, then reload before it finishes: choosing the same file carries on from the server's offset.
  await page.getByRole("button", { name: "Resume" }).click();
  await page.getByText("Uploading…").waitFor();
  await page.reload();
  await page.getByText(/You were uploading/).waitFor();
  await page.getByText("beach-day.mp4").waitFor();
  const before = offsets.length;
  await page.getByLabel("Choose a video file").setInputFiles(file);
  await page.getByText("Uploaded. Add the details and publish.").waitFor({ timeout: 30_000 });
  const after = offsets.slice(before);
  expect(after.length).toBeGreaterThan(0);
  expect(after[0]).toBeGreaterThanOrEqual(5 * 1024 * 1024); // not from the start
  expect(offsets.filter((o) => o === 0).length).toBe(1); // byte 0 went out once

  await page.getByLabel("Caption").fill("Beach day #summer");
  await page.getByLabel("Hashtags").fill("#beach travel");
  await page.getByRole("button", { name: "Pin a product" }).click();
  const picker = page.getByRole("dialog", { name: "Pin a product" });
  await picker.getByRole("button", { name: /Canvas tote/ }).click();
  await page.getByLabel("Show for the whole video").uncheck();
  const from = page.getByRole("slider").first();
  await from.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowRight");
  await expect.poll(() => from.getAttribute("aria-valuetext")).toBe("0:01");
  await screenshot(page, "studio-upload");
  await axe(page, "upload form");
  await page.getByRole("button", { name: "Publish" }).click();

  await page.waitForURL(/\/studio\/videos\//, { timeout: 15_000 });
  await page.locator(".badge", { hasText: /Processing|Ready/ }).waitFor();
  await page.locator(".badge", { hasText: "Ready" }).waitFor({ timeout: 180_000 });
  const id = new URL(page.url()).pathname.split("/").pop()!;
  const v = await (await fetch(baseURL() + "/api/v1/videos/" + id)).json();
  expect(v.caption).toBe("Beach day #summer");
  expect(v.hashtags).toEqual(["beach", "travel", "summer"]);
  expect(v.products[0].title).toBe("Canvas tote");
  expect(v.products[0].start_ms).toBe(1000);

  await page.goto("/studio");
  await page.getByRole("link", { name: /Beach day/ }).waitFor();
  await screenshot(page, "studio");
  await axe(page, "studio");
  watch.clean();
  await ctx.close();
});

test("a merchant opens a shop, adds a product with SKUs and drops an image on it", async () => {
  const owner = await register("tara", "Tara Ceramics");
  const ctx = await browser.newContext();
  await signIn(ctx, owner);
  const [page, watch] = await newPage(ctx);
  watch.allow(422);
  await page.goto("/merchant");
  await page.getByLabel("Shop name").fill("Tara Ceramics " + Date.now().toString(36));
  await page.getByRole("button", { name: "Open shop" }).click();
  await page.getByRole("link", { name: "Add product" }).click();
  await page.getByLabel("Title").fill("Stoneware mug");
  await page.getByLabel("Price (USD)").fill("24");
  await page.getByLabel("Options").fill("glaze: moss");
  await page.getByRole("button", { name: "Add a SKU" }).click();
  const second = page.getByRole("group", { name: "SKU 2" });
  await second.getByLabel("Options").fill("glaze: chalk");
  await second.getByLabel("Price (USD)").fill("24.5");
  await second.getByLabel("Stock").fill("0");
  await page.getByRole("button", { name: "Create product" }).click();
  await page.getByRole("heading", { name: "Edit product" }).waitFor();

  // Drop an image file on the drop zone, as a person dragging from their desktop.
  const bytes = readFileSync(image());
  const dt = await page.evaluateHandle((b64) => {
    const dt = new DataTransfer();
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    dt.items.add(new File([bin], "mug.png", { type: "image/png" }));
    return dt;
  }, bytes.toString("base64"));
  await page.dispatchEvent(".drop", "dragover", { dataTransfer: dt });
  await page.dispatchEvent(".drop", "drop", { dataTransfer: dt });
  await page.getByRole("img", { name: "Image 1" }).waitFor();
  await screenshot(page, "merchant-product");
  await axe(page, "product editor");
  watch.clean();
  await ctx.close();
});
