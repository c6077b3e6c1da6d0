// The one API client: openapi-fetch typed by schema.d.ts, which is generated
// from api/openapi.yaml, so a request or answer the server does not have is a
// type error here. The session is the HttpOnly cookie the server sets; every
// state-changing request echoes the CSRF cookie in X-CSRF-Token.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";
import { readCookie } from "../lib/cookies";
import { ApiError, type Problem } from "../lib/problem";

export type Schemas = components["schemas"];
export type User = Schemas["User"];
export type Profile = Schemas["Profile"];
export type Video = Schemas["Video"];
export type Product = Schemas["Product"];
export type SKU = Schemas["SKU"];
export type Money = Schemas["Money"];
export type Cart = Schemas["Cart"];
export type Order = Schemas["Order"];
export type Shop = Schemas["Shop"];
export type PinnedProduct = Schemas["PinnedProduct"];

export const CSRF_COOKIE = "reelmart_csrf";

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      const token = readCookie(document.cookie, CSRF_COOKIE);
      if (token) request.headers.set("X-CSRF-Token", token);
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

/** csrfHeaders are the headers a request made outside `api` (tus, images) needs. */
export function csrfHeaders(): Record<string, string> {
  const token = readCookie(document.cookie, CSRF_COOKIE);
  return token ? { "X-CSRF-Token": token } : {};
}

/** hasSession tells, without a request, whether the browser holds a session cookie. */
export function hasSession(): boolean {
  return readCookie(document.cookie, CSRF_COOKIE) !== "";
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/**
 * ok unwraps an openapi-fetch result: the data, or an ApiError carrying the
 * problem document. A network failure (fetch threw) is an ApiError with code
 * "network" and status 0.
 */
export async function ok<T>(p: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await p;
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError({ status: 0, code: "network", title: "Network error", type: "about:blank", detail: "Could not reach Reelmart. Check your connection and try again." });
  }
  if (r.error !== undefined || !r.response.ok) {
    const problem = (r.error ?? {}) as Partial<Problem>;
    throw new ApiError({
      type: problem.type ?? "about:blank",
      title: problem.title ?? r.response.statusText,
      status: r.response.status,
      code: problem.code ?? "http_" + r.response.status,
      detail: problem.detail,
      errors: problem.errors,
    }, r.response.headers.get("Retry-After"));
  }
  return r.data as T;
}

export type ProductSearchPage = Schemas["ProductSearchPage"];

/**
 * searchProducts asks GET /search for products. The endpoint answers one of
 * three page shapes chosen by `type`; asking for products gets the product page.
 */
export async function searchProducts(
  query: { q?: string; in_stock?: boolean; min_price?: number; max_price?: number; cursor?: string; limit?: number },
  signal?: AbortSignal,
): Promise<ProductSearchPage> {
  const page = await ok(api.GET("/api/v1/search", { params: { query: { ...query, type: "products" } }, signal }));
  return page as ProductSearchPage;
}
