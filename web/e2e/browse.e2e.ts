// Anonymous browsing, at phone and desktop width: no request fails, text
// from users stays text, unknown paths get the app's own not-found page.
import { afterAll, beforeAll, expect, test } from "vitest";
import { addProduct, openShop, register } from "./api";
import { axe, DESKTOP, launch, newPage, screenshot, type Browser } from "./browser";

let browser: Browser;
let product: any;

beforeAll(async () => {
  browser = await launch();
  const owner = await register("hugo", "Hugo <b>Bold</b>");
  const shop = await openShop(owner);
  product = await addProduct(owner, shop.id, {
    title: `Mug <img src=x onerror="document.title='pwned'"> & <script>alert(1)</script>`,
    skus: [{ code: "MUG", attributes: { colour: "<i>blue</i>" }, price: 1500, stock: 4 }],
  });
});
afterAll(async () => browser?.close());

for (const [name, viewport] of [["phone", undefined], ["desktop", DESKTOP]] as const) {
  test(`browse anonymously at ${name} width`, async () => {
    const ctx = await browser.newContext(viewport);
    const [page, watch] = await newPage(ctx);
    await page.goto("/shop");
    await page.getByRole("searchbox", { name: "Search products" }).fill("mug");
    await page.keyboard.press("Enter");
    const card = page.getByRole("link", { name: /Mug <img/ });
    await card.waitFor();
    await axe(page, "shop " + name);
    // Nothing wider than the screen.
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0], `page width ${widths[0]} within the screen's ${widths[1]}`).toBeLessThanOrEqual(widths[1]!);
    if (name === "desktop") await screenshot(page, "shop-desktop");

    await card.click();
    await page.getByRole("heading", { name: /Mug <img/ }).first().waitFor();
    // User text is shown as typed, never run or parsed.
    expect(await page.locator("main img[src='x']").count()).toBe(0);
    expect(await page.title()).not.toBe("pwned");
    await page.getByText("<i>blue</i>", { exact: true }).first().waitFor();
    await axe(page, "product page " + name);

    // Buying needs an account: the app sends the visitor to sign in and back.
    await page.getByRole("button", { name: "Buy now" }).click();
    await page.waitForURL(/\/signin\?next=/);

    await page.goto("/no/such/page");
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    watch.clean();
    await ctx.close();
  });
}

test("keyboard only: the skip link comes first, then the tab bar and the buy buttons", async () => {
  const ctx = await browser.newContext();
  const [page, watch] = await newPage(ctx);
  await page.goto("/p/" + product.id);
  await page.getByRole("heading", { name: /Mug/ }).first().waitFor();
  // Skip link first, then the controls in order.
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
  const names: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    names.push(await page.evaluate(() => (document.activeElement?.getAttribute("aria-label") || document.activeElement?.textContent || "").trim()));
  }
  expect(names).toContain("Shop");
  expect(names).toContain("Add to cart");
  watch.clean();
  await ctx.close();
});
