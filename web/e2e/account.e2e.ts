import { afterAll, beforeAll, expect, test } from "vitest";
import { axe, launch, newPage, screenshot, type Browser } from "./browser";
import { call, image, register, signIn, unique } from "./api";

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
  // navigations below overtake its feed, playlist, poster and inbox loads, which the
  // browser then cancels; that is navigation, not the app failing.
  watch.allowAborts(/\/api\/v1\/(feed|threads)\?|\/api\/v1\/videos\/[^/]+\/(hls\/|poster)/);
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

test("edit the profile: name and bio with their errors beside the fields, a picture others see on the profile and in their inbox", async () => {
  const me = await register("pat", "Pat");
  const ctx = await browser.newContext();
  await signIn(ctx, me);
  const [page, watch] = await newPage(ctx);
  await page.goto("/me");
  await page.getByRole("link", { name: "Edit profile" }).click();
  await page.getByRole("heading", { name: "Edit profile" }).waitFor();
  await axe(page, "edit profile");

  // An empty name is refused by the server, and the message sits under the field.
  watch.allow(422);
  const name = page.getByLabel("Display name");
  await name.fill("   ");
  await page.getByRole("button", { name: "Save" }).click();
  await expect.poll(() => name.getAttribute("aria-invalid")).toBe("true");
  expect(await page.locator("#" + (await name.getAttribute("aria-describedby"))!.split(" ").pop()!).textContent()).toMatch(/required/i);
  watch.disallow(422);

  // A picture: uploaded when picked, shown at once, served as an image.
  await page.locator('input[type="file"]').setInputFiles(image("teal", "me.png"));
  const pic = page.locator(".profile-card img.avatar");
  await pic.waitFor();
  const src = (await pic.getAttribute("src"))!;
  const served = await ctx.request.get(src);
  expect(served.status()).toBe(200);
  expect(served.headers()["content-type"]).toMatch(/^image\/(jpeg|png)$/);

  await name.fill("Pat Q");
  await page.getByLabel("Bio").fill("Cooks on Sundays.\n<b>not bold</b>");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL((u) => u.pathname === "/me");
  await page.getByRole("heading", { name: "Pat Q" }).waitFor();
  // The bio is text: the angle brackets are shown, not parsed.
  expect(await page.locator(".bio").textContent()).toBe("Cooks on Sundays.\n<b>not bold</b>");
  expect(await page.locator(".bio b").count()).toBe(0);
  await screenshot(page, "profile");

  // Others see the new name and picture on the profile page and in the inbox.
  const other = await register("quinn");
  await call("POST", "/api/v1/threads", other.token, { peer: { type: "user", id: me.id } });
  const octx = await browser.newContext();
  await signIn(octx, other);
  const [opage, owatch] = await newPage(octx);
  await opage.goto("/inbox");
  const row = opage.getByRole("link", { name: /Pat Q/ });
  await row.waitFor();
  expect(await row.locator("img.avatar").getAttribute("src")).toBe(src);
  // Leaving the inbox may cancel its picture and list loads still in flight.
  owatch.allowAborts(/\/avatars\/|\/api\/v1\/threads/);
  await opage.goto("/u/" + me.id);
  await opage.getByText("Cooks on Sundays.", { exact: false }).waitFor();
  expect(await opage.locator("img.avatar").first().getAttribute("src")).toBe(src);
  owatch.clean();
  watch.clean();
  await octx.close();
  await ctx.close();
});
