// Chat between two people in two browsers, live: a question from a product
// with its card, unread badges, read receipts, replies; and a socket that
// drops loses nothing and shows nothing twice.
import { afterAll, beforeAll, expect, test } from "vitest";
import { addProduct, call, openShop, register, signIn, type Person } from "./api";
import { axe, launch, newPage, screenshot, type Browser } from "./browser";

let browser: Browser;
let merchant: Person;
let product: any;

beforeAll(async () => {
  browser = await launch();
  merchant = await register("omar", "Omar Outfitters");
  const shop = await openShop(merchant);
  product = await addProduct(merchant, shop.id, { title: "Rain jacket", skus: [{ code: "RJ-M", attributes: { size: "M" }, price: 8900, stock: 3 }] });
});
afterAll(async () => browser?.close());

test("a buyer asks about a product; the merchant sees it live, reads it, replies; receipts and badges follow", async () => {
  const buyer = await register("lena", "Lena Asks");
  const bctx = await browser.newContext();
  const mctx = await browser.newContext();
  await signIn(bctx, buyer);
  await signIn(mctx, merchant);
  const [bpage, bwatch] = await newPage(bctx);
  const [mpage, mwatch] = await newPage(mctx);

  await mpage.goto("/inbox");
  await bpage.goto("/p/" + product.id);
  await bpage.getByRole("button", { name: "Ask the shop" }).click();
  await bpage.waitForURL(/\/inbox\/[^/]+$/);
  await bpage.getByRole("button", { name: /Product: Rain jacket/ }).waitFor();
  await bpage.getByLabel("Message", { exact: true }).fill("Is the M true to size? <script>x</script>");
  await bpage.getByRole("button", { name: "Send" }).click();

  // The merchant's open inbox shows it without a reload, with an unread badge.
  const row = mpage.getByRole("link", { name: /Lena Asks.*\d+ unread/ });
  await row.waitFor({ timeout: 15_000 });
  await mpage.locator(".tabbar__badge").waitFor();
  await screenshot(mpage, "inbox");
  await axe(mpage, "inbox");
  await row.click();
  await mpage.getByText("Is the M true to size? <script>x</script>").waitFor();
  // The card opens the product sheet.
  await mpage.getByRole("button", { name: /Product: Rain jacket/ }).click();
  await mpage.getByRole("dialog", { name: "Rain jacket" }).waitFor();
  await mpage.keyboard.press("Escape");

  // The buyer sees "Seen" once the merchant has read it.
  await bpage.getByText(/· Seen/).waitFor({ timeout: 15_000 });
  await mpage.getByLabel("Message", { exact: true }).fill("Yes, it fits true to size.");
  await mpage.getByRole("button", { name: "Send" }).click();
  await bpage.getByText("Yes, it fits true to size.").waitFor({ timeout: 15_000 });
  await screenshot(bpage, "chat");
  await axe(bpage, "chat");
  expect(await mpage.locator(".tabbar__badge").count()).toBe(0);
  bwatch.clean();
  mwatch.clean();
  await bctx.close();
  await mctx.close();
});

test("a dropped socket reconnects with since= and shows every message once", async () => {
  const buyer = await register("ines", "Ines Offline");
  const thread = await call("POST", "/api/v1/threads", buyer.token, { peer: { type: "shop", id: product.shop_id }, context: { type: "product", id: product.id } });
  const ctx = await browser.newContext();
  await signIn(ctx, buyer);
  const [page, watch] = await newPage(ctx);

  // The test sits between the page and the server's socket, to cut it.
  const urls: string[] = [];
  let cut: (() => Promise<void>) | null = null;
  await page.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
    urls.push(ws.url());
    const server = ws.connectToServer();
    cut = async () => {
      await server.close();
      await ws.close();
    };
  });
  await page.goto("/inbox/" + thread.id);
  await page.getByRole("button", { name: /Product: Rain jacket/ }).waitFor();
  await expect.poll(() => urls.length, { timeout: 15_000 }).toBe(1);

  const reply = async (body: string) =>
    call("POST", `/api/v1/threads/${thread.id}/messages`, merchant.token, { client_msg_id: crypto.randomUUID(), body });
  await reply("first, live");
  await page.getByText("first, live").waitFor({ timeout: 15_000 });

  // Cut the socket; messages sent meanwhile arrive after the reconnect.
  await cut!();
  await reply("while you were away 1");
  await reply("while you were away 2");
  await expect.poll(() => urls.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  expect(urls[1]).toMatch(/[?&]since=\d+/);
  await page.getByText("while you were away 2").waitFor({ timeout: 15_000 });
  for (const t of ["first, live", "while you were away 1", "while you were away 2"]) expect(await page.locator("li.msg", { hasText: t }).count()).toBe(1);
  watch.clean();
  await ctx.close();
});
