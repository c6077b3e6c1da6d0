// Placing and paying orders: every request carries the Idempotency-Key of
// its intent, is retried on the answers that may change (network, 429, 503,
// a key still in progress) after the server's Retry-After, and its key is
// forgotten only once the outcome is known.
import { api, ok, type Order, type Schemas } from "../api/client";
import { ApiError } from "../lib/problem";
import { withRetry } from "../lib/retry";
import { intents } from "./intents";

export type OrderInput = Schemas["OrderInput"];

export interface BuyProgress {
  onWait?: (ms: number) => void;
}

/** placeOrders creates the orders of body (one per shop); a repeat of the same body before it settles gets the same orders. */
export async function placeOrders(body: OrderInput, p: BuyProgress = {}): Promise<{ orders: Order[]; intent: string }> {
  const intent = "order:" + JSON.stringify(body);
  const key = intents.keyFor(intent);
  try {
    const res = await withRetry(() => ok(api.POST("/api/v1/orders", { body, params: { header: { "Idempotency-Key": key } } })), { onWait: p.onWait });
    return { orders: res.orders, intent };
  } catch (e) {
    // A definite refusal (out of stock, invalid) settles the intent: trying
    // again after a change is a new purchase.
    if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.code !== "idempotency_key_in_progress") intents.settle(intent);
    throw e;
  }
}

/**
 * payOrder pays one order from the wallet. An order that turns out to be
 * paid already (a replay after a reload) counts as paid.
 */
export async function payOrder(order: Order, p: BuyProgress = {}): Promise<Order> {
  const intent = "pay:" + order.id;
  const key = intents.keyFor(intent);
  try {
    const paid = await withRetry(
      () => ok(api.POST("/api/v1/orders/{id}/pay", { params: { path: { id: order.id }, header: { "Idempotency-Key": key } }, body: { method: "wallet" } })),
      { onWait: p.onWait },
    );
    intents.settle(intent);
    return paid;
  } catch (e) {
    if (e instanceof ApiError && e.code === "illegal_transition") {
      const now = await ok(api.GET("/api/v1/orders/{id}", { params: { path: { id: order.id } } }));
      intents.settle(intent);
      if (now.state !== "pending_payment" && now.state !== "cancelled") return now;
    }
    if (e instanceof ApiError && e.code === "insufficient_funds") intents.settle(intent);
    throw e;
  }
}

/** buy places the orders of body and pays each; the order intent settles once every order is paid. */
export async function buy(body: OrderInput, p: BuyProgress = {}): Promise<Order[]> {
  const { orders, intent } = await placeOrders(body, p);
  const paid: Order[] = [];
  for (const o of orders) paid.push(o.state === "pending_payment" ? await payOrder(o, p) : o);
  intents.settle(intent);
  return paid;
}

/** topUp adds sandbox money to the wallet, once per intent even when retried. */
export async function topUp(amountMinor: number, p: BuyProgress = {}) {
  const intent = "topup:" + amountMinor + ":" + crypto.randomUUID();
  const key = intents.keyFor(intent);
  try {
    return await withRetry(
      () => ok(api.POST("/api/v1/wallet/topup", { params: { header: { "Idempotency-Key": key } }, body: { amount: { amount_minor: amountMinor } } })),
      { onWait: p.onWait },
    );
  } finally {
    intents.settle(intent);
  }
}
