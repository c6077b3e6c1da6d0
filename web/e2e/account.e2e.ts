import { afterAll, beforeAll, expect, test } from "vitest";
import { axe, launch, newPage, screenshot, type Browser } from "./browser";
import { register, unique } from "./api";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

test("sign up shows the API's field errors beside their fields, keeps the session across a reload, signs out", async () => {
  const ctx = await browser.newContext();
  const [page, watch] = await newPage(ctx);
  await page.goto("/signup");
  await axe(page, "sign up");

  // A bad form: the server's 422 names each field; each message sits under its input.
  watch.allow(422, 409);
  await page.getByLabel("Display name").fill("Nia");
  await page.getByLabel("Handle").fill("x");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  const handle = page.getByLabel("Handle");
  await expect.poll(() => handle.getAttribute("aria-invalid")).toBe("true");
  const handleErr = page.locator("#" + (await handle.getAttribute("aria-describedby"))!.split(" ").pop()!);
  await expect.poll(() => handleErr.textContent()).toMatch(/3 to 30 characters/);
  expect(await page.getByLabel("Password").getAttribute("aria-invalid")).toBe("true");
  expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
  await screenshot(page, "signup-errors");

  // A taken handle is shown on the handle field.
  const taken = await register("taken");
  await handle.fill(taken.handle);
  const mine = unique("nia");
  await page.getByLabel("Email").fill(mine + "@example.com");
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect.poll(() => page.locator(".field--error").textContent()).toMatch(/handle/i);

  await handle.fill(mine);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL((u) => u.pathname === "/");
  const cookies = await ctx.cookies();
  const session = cookies.find((c) => c.name === "reelmart_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");
  expect(await page.evaluate(() => document.cookie)).not.toContain("reelmart_session");

  // The session survives a reload. Home is the feed: the reload and the
  // navigations below overtake its feed, playlist and inbox loads, which the browser
  // then cancels; that is navigation, not the app failing.
  watch.allowAborts(/\/api\/v1\/(feed|threads)\?|\/api\/v1\/videos\/[^/]+\/hls\//);
  await page.reload();
  await page.getByRole("link", { name: "Me" }).click();
  await page.getByRole("heading", { name: "Nia" }).waitFor();
  expect(await page.getByText("@" + mine).count()).toBe(1);
  await axe(page, "me");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("link", { name: "Sign in" }).waitFor();
  expect((await ctx.cookies()).find((c) => c.name === "reelmart_session")).toBeUndefined();

  // Signing in again, with a wrong password first.
  watch.allow(401);
  await page.goto("/signin");
  await page.getByLabel("Email").fill(mine + "@example.com");
  await page.getByLabel("Password").fill("wrong password!");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: /email or password/i }).waitFor();
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => u.pathname === "/");
  await screenshot(page, "signin-home");
  watch.clean();
  await ctx.close();
});
