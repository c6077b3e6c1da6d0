import { describe, expect, test } from "vitest";
import { blockers, byShop, itemCount } from "./cart";
import { readCookie } from "./cookies";
import { fingerprint, IntentKeys, type KeyStore } from "./idempotency";
import { formatMoney, parseAmount, toInput } from "./money";
import { activePins, formatTime } from "./pins";
import { ApiError, fieldErrors, parseRetryAfter } from "./problem";
import { withRetry } from "./retry";
import { match, safeNext } from "./route";
import { choose, chosenSku, dimensions, initialSelection, valueState } from "./variants";

class MemoryStore implements KeyStore {
  m = new Map<string, string>();
  getItem = (k: string) => this.m.get(k) ?? null;
  setItem = (k: string, v: string) => void this.m.set(k, v);
  removeItem = (k: string) => void this.m.delete(k);
  get length() {
    return this.m.size;
  }
  key = (i: number) => [...this.m.keys()][i] ?? null;
}

describe("idempotency keys", () => {
  test("one intent keeps its key across instances (a reload) until settled", () => {
    const store = new MemoryStore();
    let n = 0;
    const a = new IntentKeys(store, () => "k" + ++n);
    const k1 = a.keyFor('order:{"sku":"s1","qty":1}');
    expect(a.keyFor('order:{"sku":"s1","qty":1}')).toBe(k1);
    const afterReload = new IntentKeys(store, () => "k" + ++n);
    expect(afterReload.keyFor('order:{"sku":"s1","qty":1}')).toBe(k1);
    expect(afterReload.keyFor('order:{"sku":"s1","qty":2}')).not.toBe(k1);
    afterReload.settle('order:{"sku":"s1","qty":1}');
    expect(afterReload.keyFor('order:{"sku":"s1","qty":1}')).not.toBe(k1);
  });

  test("keys expire after a day and sweep drops them", () => {
    const store = new MemoryStore();
    let now = 0;
    let n = 0;
    const keys = new IntentKeys(store, () => "k" + ++n, () => now);
    const k = keys.keyFor("topup:500");
    now = 23 * 3600_000;
    expect(keys.keyFor("topup:500")).toBe(k);
    now = 25 * 3600_000;
    expect(keys.keyFor("topup:500")).not.toBe(k);
    now = 60 * 3600_000;
    keys.sweep();
    expect(store.length).toBe(0);
  });

  test("fingerprints differ for different intents", () => {
    expect(fingerprint("a")).not.toBe(fingerprint("b"));
    expect(fingerprint("order:1")).toBe(fingerprint("order:1"));
  });
});

describe("retry", () => {
  const problem = (status: number, code = "x") => new ApiError({ type: "about:blank", title: "t", status, code });

  test("honours Retry-After and sends the same request again", async () => {
    const waits: number[] = [];
    let calls = 0;
    const v = await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new ApiError({ type: "", title: "", status: 429, code: "rate_limited" }, "3");
        if (calls === 2) throw problem(409, "idempotency_key_in_progress");
        return "done";
      },
      { sleep: async (ms) => void waits.push(ms), baseDelayMs: 100 },
    );
    expect(v).toBe("done");
    expect(waits).toEqual([3000, 200]);
  });

  test("gives up on answers that will not change, and after the last attempt", async () => {
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw problem(409, "out_of_stock"); }, { sleep: async () => {} })).rejects.toThrow();
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw problem(0, "network"); }, { attempts: 3, sleep: async () => {} })).rejects.toThrow();
    expect(calls).toBe(3);
  });

  test("Retry-After as seconds or a date", () => {
    expect(parseRetryAfter("7", 0)).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon", 0)).toBeNull();
    expect(parseRetryAfter(null, 0)).toBeNull();
  });
});

describe("variants", () => {
  const skus = [
    { id: "s-red-m", attributes: { color: "red", size: "M" }, stock_available: 3 },
    { id: "s-red-l", attributes: { color: "red", size: "L" }, stock_available: 0 },
    { id: "s-blue-m", attributes: { color: "blue", size: "M" }, stock_available: 0 },
    { id: "s-blue-s", attributes: { color: "blue", size: "S" }, stock_available: 2 },
  ];

  test("pickers come from the attributes in first-seen order", () => {
    expect(dimensions(skus)).toEqual([
      { name: "color", values: ["red", "blue"] },
      { name: "size", values: ["M", "L", "S"] },
    ]);
  });

  test("a value whose every SKU is sold out is disabled; one in stock elsewhere stays open", () => {
    const sel = { color: "red", size: "M" };
    expect(valueState(skus, sel, "size", "L")).toBe("sold_out");
    expect(valueState(skus, sel, "size", "S")).toBe("available");
    expect(valueState(skus, sel, "color", "blue")).toBe("available");
    expect(valueState(skus, sel, "size", "XL")).toBe("none");
  });

  test("choosing moves the other choices to a SKU that exists, preferring stock", () => {
    expect(choose(skus, { color: "red", size: "M" }, "size", "S")).toEqual({ color: "blue", size: "S" });
    // blue M exists but is sold out: blue moves to the size it is in stock in
    expect(choose(skus, { color: "red", size: "M" }, "color", "blue")).toEqual({ color: "blue", size: "S" });
    expect(chosenSku(skus, { color: "red", size: "L" })?.id).toBe("s-red-l");
    expect(chosenSku(skus, { color: "red" })).toBeUndefined();
    expect(initialSelection(skus)).toEqual({ color: "red", size: "M" });
    expect(chosenSku([{ id: "only", attributes: {}, stock_available: 1 }], {})?.id).toBe("only");
  });
});

describe("cart", () => {
  const line = (sku: string, shop: string, qty: number, minor: number, stale_reasons: string[] = []) => ({
    sku_id: sku, shop_id: shop, qty, title: "Item " + sku, stale: stale_reasons.length > 0, stale_reasons, subtotal: { amount_minor: minor, currency: "USD" },
  });

  test("lines group per shop with subtotals, one order per shop", () => {
    const g = byShop([line("a", "s1", 1, 500), line("b", "s2", 2, 300), line("c", "s1", 1, 250)]);
    expect(g.map((x) => [x.shop_id, x.lines.length, x.subtotal_minor])).toEqual([["s1", 2, 750], ["s2", 1, 300]]);
    expect(itemCount([line("a", "s1", 1, 1), line("b", "s1", 4, 1)])).toBe(5);
  });

  test("stale lines block checkout with a reason a person can read", () => {
    expect(blockers([])).toEqual(["Your cart is empty."]);
    expect(blockers([line("a", "s1", 1, 1)])).toEqual([]);
    expect(blockers([line("a", "s1", 1, 1, ["price_changed", "out_of_stock"])])).toEqual(["Item a has a new price and is out of stock."]);
  });
});

describe("small pieces", () => {
  test("problem field errors by field, with a prefix for nested forms", () => {
    const p = { type: "", title: "", status: 422, code: "validation_failed", errors: [
      { field: "shipping.name", message: "required" }, { field: "email", message: "bad" }, { field: "email", message: "second" },
    ] };
    expect(fieldErrors(p)).toEqual({ "shipping.name": "required", email: "bad" });
    expect(fieldErrors(p, "shipping.")).toEqual({ name: "required" });
  });

  test("routes and safe redirects", () => {
    expect(match("/orders/:id", "/orders/a%20b")).toEqual({ id: "a b" });
    expect(match("/orders/:id", "/orders")).toBeNull();
    expect(match("/", "/")).toEqual({});
    expect(safeNext("/cart")).toBe("/cart");
    expect(safeNext("//evil.example")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
  });

  test("cookies", () => {
    expect(readCookie("a=1; reelmart_csrf=x%2By; b=2", "reelmart_csrf")).toBe("x+y");
    expect(readCookie("a=1", "reelmart_csrf")).toBe("");
  });

  test("money", () => {
    expect(parseAmount("19.99", "USD")).toBe(1999);
    expect(parseAmount("20", "USD")).toBe(2000);
    expect(parseAmount("1,5", "USD")).toBe(150);
    expect(parseAmount("1.999", "USD")).toBeNull();
    expect(parseAmount("0", "USD")).toBeNull();
    expect(parseAmount("500", "JPY")).toBe(500);
    expect(toInput(1999, "USD")).toBe("19.99");
    expect(formatMoney({ amount_minor: 1999, currency: "USD" })).toContain("19.99");
  });

  test("pins show during their span only", () => {
    const pins = [{ product_id: "a", start_ms: 1000, end_ms: 3000 }, { product_id: "b", start_ms: null, end_ms: null }];
    expect(activePins(pins, 500).map((p) => p.product_id)).toEqual(["b"]);
    expect(activePins(pins, 1000).map((p) => p.product_id)).toEqual(["a", "b"]);
    expect(activePins(pins, 3000).map((p) => p.product_id)).toEqual(["b"]);
    expect(formatTime(65_400)).toBe("1:05");
  });
});

import { formatAttributes, parseAttributes } from "./attributes";
import { captionTags, parseHashtags } from "./hashtags";

describe("typed lists", () => {
  test("attributes", () => {
    expect(parseAttributes("Size: M, color: Red ")).toEqual({ size: "M", color: "Red" });
    expect(parseAttributes("")).toEqual({});
    expect(parseAttributes("size M")).toHaveProperty("error");
    expect(formatAttributes({ size: "M", color: "Red" })).toBe("size: M, color: Red");
  });

  test("hashtags", () => {
    expect(parseHashtags("#Summer, style #summer  #OOTD")).toEqual(["summer", "style", "ootd"]);
    expect(captionTags("Linen for #summer days #beach!")).toEqual(["summer", "beach"]);
  });
});

import { retentionCurve, toUnixDays } from "./charts";

describe("charts", () => {
  test("retention as percent of the first second's audience", () => {
    expect(retentionCurve([10, 8, 5, 0])).toEqual({ x: [0, 1, 2, 3], pct: [100, 80, 50, 0] });
    expect(retentionCurve([])).toEqual({ x: [], pct: [] });
    expect(retentionCurve([0, 0])).toEqual({ x: [], pct: [] });
  });

  test("days as unix seconds at UTC midnight", () => {
    expect(toUnixDays(["2026-12-05"])).toEqual([Date.UTC(2026, 11, 5) / 1000]);
  });
});
