// Test data made the way any client makes it: through the HTTP API with a
// bearer token. The browser tests then sign in as these people.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseURL } from "./browser";

export interface Person {
  id: string;
  token: string;
  email: string;
  password: string;
  handle: string;
  name: string;
}

let seq = 0;

/** unique makes a handle no other test run has used against this server. */
export function unique(prefix: string): string {
  return `${prefix}${Date.now().toString(36).slice(-5)}${++seq}`;
}

export async function call<T = any>(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const r = await fetch(baseURL() + path, {
    method,
    headers: { ...(token ? { authorization: "Bearer " + token } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function register(prefix: string, name = prefix[0]!.toUpperCase() + prefix.slice(1)): Promise<Person> {
  const handle = unique(prefix);
  const email = handle + "@example.com";
  const password = "correct horse battery";
  const s = await call("POST", "/api/v1/auth/register", undefined, { email, password, handle, display_name: name });
  return { id: s.user.id, token: s.token, email, password, handle, name };
}

export async function openShop(owner: Person, name = unique("Shop ")): Promise<{ id: string; name: string }> {
  return call("POST", "/api/v1/shops", owner.token, { name, description: "Things we love." });
}

export interface ProductSpec {
  title: string;
  skus: { code: string; attributes: Record<string, string>; price: number; stock: number }[];
}

export async function addProduct(owner: Person, shopId: string, spec: ProductSpec): Promise<any> {
  return call("POST", "/api/v1/products", owner.token, {
    shop_id: shopId,
    title: spec.title,
    description: "Soft, sturdy and made to last.",
    commission_bps: 1000,
    status: "active",
    skus: spec.skus.map((s) => ({ code: s.code, attributes: s.attributes, price: { amount_minor: s.price }, stock: s.stock })),
  });
}

export async function topUp(who: Person, amountMinor: number) {
  return call("POST", "/api/v1/wallet/topup", who.token, { amount: { amount_minor: amountMinor } }, { "Idempotency-Key": crypto.randomUUID() });
}

/**
 * clip makes a short test video with the ffmpeg CLI (nothing binary is
 * committed). lossless makes it large for its length (about 0.5 MB a
 * second), for uploads that take more than one chunk.
 */
export function clip(seconds = 4, name = "clip.mp4", lossless = false): string {
  const dir = mkdtempSync(join(tmpdir(), "reelmart-clip-"));
  const out = join(dir, name);
  const quality = lossless ? ["-qp", "0", "-preset", "ultrafast"] : ["-g", "24"];
  execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", `testsrc2=size=360x640:rate=24:duration=${seconds}`, "-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}`,
    "-c:v", "libx264", ...quality, "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", out]);
  return out;
}

/** image makes a small PNG with the ffmpeg CLI. */
export function image(color = "orange", name = "photo.png"): string {
  const dir = mkdtempSync(join(tmpdir(), "reelmart-img-"));
  const out = join(dir, name);
  execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", `color=c=${color}:s=320x320`, "-frames:v", "1", out]);
  return out;
}

/** publish uploads a file through tus and publishes it; it returns the video once ready. */
export async function publish(owner: Person, file: string, body: { caption: string; hashtags?: string[]; products?: { product_id: string; start_ms?: number; end_ms?: number }[] }): Promise<any> {
  const data = readFileSync(file);
  const created = await fetch(baseURL() + "/api/v1/uploads/", {
    method: "POST",
    headers: { authorization: "Bearer " + owner.token, "tus-resumable": "1.0.0", "upload-length": String(data.length), "upload-metadata": "filename " + btoa("clip.mp4") },
  });
  if (created.status !== 201) throw new Error("tus create: " + created.status + " " + (await created.text()));
  const loc = new URL(created.headers.get("location")!, baseURL()).toString();
  const patched = await fetch(loc, {
    method: "PATCH",
    headers: { authorization: "Bearer " + owner.token, "tus-resumable": "1.0.0", "upload-offset": "0", "content-type": "application/offset+octet-stream" },
    body: data,
  });
  if (patched.status !== 204) throw new Error("tus patch: " + patched.status + " " + (await patched.text()));
  const uploadId = loc.split("/").pop()!;
  const v = await call("POST", "/api/v1/videos", owner.token, { upload_id: uploadId, ...body });
  return waitReady(owner, v.id);
}

export async function waitReady(owner: Person, id: string, ms = 180_000): Promise<any> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await call("GET", "/api/v1/videos/" + id, owner.token);
    if (v.status === "ready") return v;
    if (v.status === "failed") throw new Error("video failed: " + v.error);
    if (Date.now() > end) throw new Error("video not ready in time: " + JSON.stringify(v));
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** signIn gives a browser context the person's session cookies, through the API like the app's own form. */
export async function signIn(ctx: import("playwright-core").BrowserContext, who: Person) {
  const r = await ctx.request.post("/api/v1/auth/login", { data: { email: who.email, password: who.password } });
  if (!r.ok()) throw new Error("login: " + r.status());
}
