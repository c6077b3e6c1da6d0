// Watching a video, opening its pinned product at its moment, buying it
// with the wallet, and the merchant shipping it.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { addProduct, call, clip, openShop, publish, register, signIn, topUp, type Person } from "./api";
import { axe, launch, newPage, screenshot, type Browser } from "./browser";

let browser: Browser;
let merchant: Person;
let creator: Person;
let shop: { id: string; name: string };
let product: any;
let video: any;

beforeAll(async () => {
  browser = await launch();
  merchant = await register("mira", "Mira's Linen");
  creator = await register("cleo", "Cleo Creates");
  shop = await openShop(merchant);
  product = await addProduct(merchant, shop.id, {
    title: "Linen shirt",
    skus: [
      { code: "LS-S-SAND", attributes: { size: "S", color: "sand" }, price: 3900, stock: 5 },
      { code: "LS-M-SAND", attributes: { size: "M", color: "sand" }, price: 3900, stock: 5 },
      { code: "LS-M-NAVY", attributes: { size: "M", color: "navy" }, price: 4200, stock: 0 },
    ],
  });
  video = await publish(creator, clip(6), { caption: "Three ways to wear linen this summer", hashtags: ["linen", "summer"], products: [{ product_id: product.id, start_ms: 1000, end_ms: 5000 }] });
});
afterAll(async () => browser?.close());

async function videoTime(page: Page): Promise<number> {
  return page.locator("video").first().evaluate((v: HTMLVideoElement) => v.currentTime);
}

async function buyer(ctx: BrowserContext): Promise<Person> {
  const p = await register("bea", "Bea Buys");
  await signIn(ctx, p);
  return p;
}

test("the video plays through hls.js, the pin shows at its moment, and the product is bought with the wallet", async () => {
  const ctx = await browser.newContext();
  const me = await buyer(ctx);
  const [page, watch] = await newPage(ctx);
  await page.goto("/v/" + video.id);

  // Played through Media Source Extensions (a blob: source), and time advances.
  await expect.poll(() => videoTime(page), { timeout: 15_000 }).toBeGreaterThan(0.3);
  expect(await page.locator("video").first().evaluate((v: HTMLVideoElement) => v.src)).toMatch(/^blob:/);
  const pin = page.getByRole("button", { name: /Shop Linen shirt/ });
  await pin.waitFor({ timeout: 15_000 });
  const t = await videoTime(page);
  expect(t >= 1 && t < 5.5).toBe(true);
  await page.waitForTimeout(300);
  await screenshot(page, "watch");
  await axe(page, "watch");

  await pin.click();
  const sheet = page.getByRole("dialog", { name: "Linen shirt" });
  await sheet.waitFor();
  // The navy M is sold out: disabled, and said so.
  await expect.poll(() => sheet.getByRole("radio", { name: /navy/ }).isDisabled()).toBe(true);
  await sheet.getByText("size: S", { exact: false }).count(); // labels are plain values
  await sheet.getByRole("radio", { name: "S", exact: true }).check({ force: true });
  expect(await sheet.getByTestId("price").textContent()).toContain("39.00");
  await screenshot(page, "product-sheet");
  await axe(page, "product sheet");

  await sheet.getByRole("button", { name: "Buy now" }).click();
  const checkout = page.getByRole("dialog", { name: "Checkout" });
  await checkout.getByLabel("Full name").fill("Bea Buys");
  await checkout.getByLabel("Address").fill("1 Harbour Street");
  await checkout.getByLabel("City").fill("Lisbon");
  await checkout.getByLabel("Postal code").fill("1100-001");
  await checkout.getByLabel("Country code").fill("PT");
  await checkout.getByRole("button", { name: "Add sandbox funds" }).click();
  await expect.poll(() => checkout.getByTestId("wallet-balance").textContent()).toContain("40.00");
  await screenshot(page, "checkout");
  await axe(page, "checkout");
  await checkout.getByRole("button", { name: /Pay .*39\.00 from wallet/ }).click();
  await page.getByRole("dialog", { name: "Order placed" }).getByText("Paid · to ship").waitFor();

  // The order keeps the video it was bought from.
  const orders = await call("GET", "/api/v1/orders", me.token);
  expect(orders.items).toHaveLength(1);
  expect(orders.items[0].state).toBe("paid");
  expect(orders.items[0].lines[0].source_video_id).toBe(video.id);

  await page.getByRole("dialog", { name: "Order placed" }).getByRole("link", { name: /Order/ }).click();
  await page.getByRole("heading", { name: /^Order / }).waitFor();
  await page.goto("/orders");
  await page.getByRole("link", { name: /Linen shirt/ }).waitFor();
  await screenshot(page, "orders");
  await axe(page, "orders");
  watch.clean();

  // The merchant ships it from the dashboard; the buyer sees it shipped.
  const mctx = await browser.newContext();
  await signIn(mctx, merchant);
  const [mpage, mwatch] = await newPage(mctx);
  await mpage.goto("/merchant");
  await mpage.getByRole("link", { name: shop.name }).click();
  await mpage.getByRole("tab", { name: "Orders" }).click();
  await mpage.getByRole("heading", { name: "To ship (1)" }).waitFor();
  await screenshot(mpage, "merchant-orders");
  await axe(mpage, "merchant dashboard");
  await mpage.getByRole("link", { name: /Linen shirt/ }).first().click();
  await mpage.getByLabel("Carrier").fill("CTT");
  await mpage.getByLabel("Tracking number").fill("RR123456789PT");
  await mpage.getByRole("button", { name: "Mark as shipped" }).click();
  await mpage.locator(".badge", { hasText: "Shipped" }).waitFor();
  mwatch.clean();

  await page.goto("/orders/" + orders.items[0].id);
  await page.locator(".badge", { hasText: "Shipped" }).waitFor();
  await page.getByText("RR123456789PT").waitFor();
  await page.getByRole("button", { name: "I received it" }).click();
  await page.locator(".badge", { hasText: "Completed" }).waitFor();
  watch.clean();
  await ctx.close();
  await mctx.close();
});

test("a purchase whose answer is lost is retried with the same Idempotency-Key and placed once", async () => {
  const ctx = await browser.newContext();
  const me = await buyer(ctx);
  await topUp(me, 10_000);
  const [page, watch] = await newPage(ctx);
  const keys: string[] = [];
  let cut = false;
  watch.allowFailures(/\/api\/v1\/orders$/);
  await page.route("**/api/v1/orders", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    keys.push(route.request().headers()["idempotency-key"] ?? "");
    if (!cut) {
      cut = true;
      await route.fetch(); // the server places the order…
      return route.abort("connectionreset"); // …and the answer never arrives
    }
    return route.continue();
  });
  await page.goto("/p/" + product.id + "?video=" + video.id);
  await page.getByRole("button", { name: "Buy now" }).click();
  await page.getByLabel("Full name").fill("Bea Buys");
  await page.getByLabel("Address").fill("1 Harbour Street");
  await page.getByLabel("City").fill("Lisbon");
  await page.getByLabel("Postal code").fill("1100-001");
  await page.getByLabel("Country code").fill("PT");
  await page.getByRole("button", { name: /Pay .* from wallet/ }).click();
  await page.getByText("Paid · to ship").waitFor({ timeout: 20_000 });
  expect(keys.length).toBe(2);
  expect(keys[0]).not.toBe("");
  expect(keys[1]).toBe(keys[0]);
  const orders = await call("GET", "/api/v1/orders", me.token);
  expect(orders.items).toHaveLength(1);
  expect(orders.items[0].state).toBe("paid");
  watch.clean();
  await ctx.close();
});

test("an option that sells out while the shopper decides is shown sold out and disabled", async () => {
  const last = await addProduct(merchant, shop.id, {
    title: "Straw hat",
    skus: [
      { code: "HAT-ONE", attributes: { size: "one size" }, price: 2500, stock: 1 },
      { code: "HAT-KID", attributes: { size: "kids" }, price: 1900, stock: 3 },
    ],
  });
  const ctx = await browser.newContext();
  const me = await buyer(ctx);
  await topUp(me, 10_000);
  const [page, watch] = await newPage(ctx);
  await page.goto("/p/" + last.id);
  await page.getByRole("button", { name: "Buy now" }).click();
  await page.getByLabel("Full name").fill("Bea Buys");
  await page.getByLabel("Address").fill("1 Harbour Street");
  await page.getByLabel("City").fill("Lisbon");
  await page.getByLabel("Postal code").fill("1100-001");
  await page.getByLabel("Country code").fill("PT");

  // Someone else buys the last one first.
  const other = await register("otto");
  await topUp(other, 10_000);
  await call("POST", "/api/v1/orders", other.token, { items: [{ sku_id: last.skus[0].id, qty: 1 }], shipping: { name: "Otto", line1: "2 Rua", city: "Porto", postal_code: "4000", country: "PT" } }, { "Idempotency-Key": crypto.randomUUID() });

  watch.allow(409);
  await page.getByRole("button", { name: /Pay .* from wallet/ }).click();
  await page.getByRole("alert").filter({ hasText: /sold out/i }).waitFor();
  await expect.poll(() => page.getByRole("radio", { name: /one size/ }).isDisabled()).toBe(true);
  expect(await page.getByTestId("stock").textContent()).toMatch(/Sold out|Choose/);
  const orders = await call("GET", "/api/v1/orders", me.token);
  expect(orders.items).toHaveLength(0);
  watch.clean();
  await ctx.close();
});
