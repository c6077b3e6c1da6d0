// A merchant's sales on the shop dashboard: nothing before the first sale,
// then the day's revenue, orders and units as charts with their numbers as
// a table, and the video the sale came from among the top videos.
import { afterAll, beforeAll, expect, test } from "vitest";
import { addProduct, call, clip, openShop, publish, register, topUp, signIn, type Person } from "./api";
import { axe, DESKTOP, launch, newPage, screenshot, type Browser } from "./browser";

let browser: Browser;
let merchant: Person;
let shop: { id: string; name: string };
let product: any;
let video: any;

beforeAll(async () => {
  browser = await launch();
  merchant = await register("nora", "Nora's Bags");
  shop = await openShop(merchant);
  product = await addProduct(merchant, shop.id, { title: "Weekender bag", skus: [{ code: "WKND", attributes: { color: "olive" }, price: 2450, stock: 10 }] });
  const creator = await register("luca", "Luca Travels");
  video = await publish(creator, clip(4), { caption: "Packing light for a weekend away", products: [{ product_id: product.id }] });
});
afterAll(async () => browser?.close());

/** buy places and pays an order for qty bags as a new buyer, from the video when given; it returns the paid order. */
async function buy(qty: number, fromVideo?: string): Promise<any> {
  const buyer = await register("ines", "Ines Buys");
  await topUp(buyer, 20_000);
  const shipping = { name: "Ines", line1: "3 Rua Nova", city: "Braga", postal_code: "4700", country: "PT" };
  const placed = await call("POST", "/api/v1/orders", buyer.token, { items: [{ sku_id: product.skus[0].id, qty, source_video_id: fromVideo ?? null }], shipping }, { "Idempotency-Key": crypto.randomUUID() });
  return call("POST", `/api/v1/orders/${placed.orders[0].id}/pay`, buyer.token, { method: "wallet" }, { "Idempotency-Key": crypto.randomUUID() });
}

test("a merchant sees the day's revenue in the sales chart's table and the video that sold among the top videos, at phone and desktop width", async () => {
  const ctx = await browser.newContext();
  await signIn(ctx, merchant);
  const [page, watch] = await newPage(ctx);
  await page.goto("/merchant");
  await page.getByRole("link", { name: shop.name }).click();
  await page.getByRole("tab", { name: "Analytics" }).click();
  await page.getByText("No sales in the last 30 days yet.").waitFor();
  await axe(page, "shop analytics, no sales");

  // Two bags bought from the video, one without: both count in the day, only the first in the video's row.
  const paid = await buy(2, video.id);
  await buy(1);
  const day = new Date(paid.events.find((e: any) => e.to === "paid").at).toISOString().slice(0, 10);
  const label = await page.evaluate((d) => new Date(d + "T00:00:00Z").toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" }), day);

  await page.reload(); // the tab is kept in the address (#analytics)
  const stats = page.getByRole("region", { name: "Last 30 days" });
  await stats.waitFor();
  expect(await stats.textContent()).toMatch(/Revenue\s*\S*73\.50.*Orders\s*2.*Units\s*3.*Average order\s*\S*36\.75/);

  // The chart is drawn, described, and its numbers are a table away.
  const revenue = page.locator("figure", { hasText: "Revenue per day" });
  await revenue.locator("canvas").first().waitFor();
  expect(await revenue.getByRole("img").getAttribute("aria-label")).toMatch(new RegExp(`73\\.50 on ${label}\\.$`));
  const units = page.locator("figure", { hasText: "Orders and units" });
  await units.locator("canvas").first().waitFor();

  const top = page.getByRole("table").filter({ has: page.getByRole("columnheader", { name: "Video" }) });
  const row = top.getByRole("row").filter({ has: page.getByRole("link", { name: "Packing light for a weekend away" }) });
  expect(await row.getByRole("link").getAttribute("href")).toBe("/v/" + video.id);
  expect(await row.getByRole("cell").allTextContents()).toEqual(["Packing light for a weekend away", "1", "2", expect.stringMatching(/49\.00/)]);
  expect(await top.getByRole("row").count()).toBe(2); // the header and the one video
  await screenshot(page, "shop-analytics");

  await revenue.getByRole("button", { name: "Show as table" }).click();
  const today = revenue.getByRole("row").filter({ has: page.getByRole("cell", { name: label, exact: true }) });
  expect(await today.getByRole("cell").allTextContents()).toEqual([label, expect.stringMatching(/73\.50/)]);
  expect(await revenue.getByRole("row").count()).toBe(31); // the header and every day of the window
  await units.getByRole("button", { name: "Show as table" }).click();
  const todayUnits = units.getByRole("row").filter({ has: page.getByRole("cell", { name: label, exact: true }) });
  expect(await todayUnits.getByRole("cell").allTextContents()).toEqual([label, "2", "3"]);
  await axe(page, "shop analytics");

  // At desktop width the chart widens to the column and nothing spills over.
  await page.setViewportSize(DESKTOP);
  await expect.poll(() => revenue.locator("canvas").first().evaluate((c) => c.getBoundingClientRect().width)).toBeGreaterThan(500);
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(widths[0], `page width ${widths[0]} within the screen's ${widths[1]}`).toBeLessThanOrEqual(widths[1]!);
  await axe(page, "shop analytics at desktop width");
  watch.clean();
  await ctx.close();
});
