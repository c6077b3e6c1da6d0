// One order: what, where to, its history; the buyer can pay, cancel or
// confirm delivery, the shop's owner can ship or refund.
import { useState } from "preact/hooks";
import { api, ok, type Order } from "../api/client";
import { useSession } from "../account/session";
import { formatMoney } from "../lib/money";
import { ApiError, fieldErrors, message } from "../lib/problem";
import type { Params } from "../lib/route";
import { withRetry } from "../lib/retry";
import { Field, FormError } from "../ui/Field";
import { Loading, Page } from "../ui/Page";
import { Link, useLocation } from "../ui/router";
import { toast } from "../ui/toast";
import { useLoad } from "../ui/useLoad";
import { payOrder } from "./buy";
import { intents } from "./intents";
import { OrderStatus, stateText } from "./status";
import { AskButton } from "../chat/AskButton";

export function OrderPage({ params }: { params: Params }) {
  const { query } = useLocation();
  const { user } = useSession();
  const order = useLoad(() => ok(api.GET("/api/v1/orders/{id}", { params: { path: { id: params.id! } } })), [params.id]);
  const [err, setErr] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");

  const o = order.data;
  if (order.error) return <Page title="Order" back><FormError text={message(order.error)} /></Page>;
  if (!o || !user) return <Page title="Order" back><Loading /></Page>;
  const buyer = o.buyer_id === user.id;

  async function act(what: string, run: () => Promise<Order>) {
    setBusy(true);
    setErr(undefined);
    try {
      order.set(await run());
      toast(what);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
    } finally {
      setBusy(false);
    }
  }
  const id = { params: { path: { id: o.id } } };
  const ship = () => act("Marked as shipped", () => ok(api.POST("/api/v1/orders/{id}/ship", { ...id, body: { carrier: carrier.trim(), tracking: tracking.trim() } })));
  const refund = () =>
    act("Refunded", async () => {
      const intent = "refund:" + o.id;
      const key = intents.keyFor(intent);
      const r = await withRetry(() => ok(api.POST("/api/v1/orders/{id}/refund", { params: { path: { id: o.id }, header: { "Idempotency-Key": key } } })));
      intents.settle(intent);
      return r;
    });
  const fields = fieldErrors(err?.problem);

  return (
    <Page title={"Order " + o.id.slice(-6).toUpperCase()} back>
      {query.get("placed") && <p class="notice notice--ok" role="status">Thank you! Your order is paid.</p>}
      <div class="row row--between">
        <OrderStatus state={o.state} />
        <strong class="price">{formatMoney(o.total)}</strong>
      </div>
      <section class="section">
        <h2>Items</h2>
        <ul class="list">
          {o.lines.map((l) => (
            <li class="list__item" key={l.sku_id}>
              <div class="grow">
                <Link href={"/p/" + l.product_id}>{l.title}</Link>
                <div class="muted small">{l.sku_code} · {l.qty} × {formatMoney(l.unit_price)}</div>
              </div>
              <span>{formatMoney(l.subtotal)}</span>
            </li>
          ))}
        </ul>
      </section>
      <section class="section">
        <h2>Shipping</h2>
        <address class="muted">
          {o.shipping.name}<br />
          {o.shipping.line1}{o.shipping.line2 ? ", " + o.shipping.line2 : ""}<br />
          {o.shipping.postal_code} {o.shipping.city}{o.shipping.region ? ", " + o.shipping.region : ""} · {o.shipping.country}
        </address>
        {o.carrier && <p>Sent with {o.carrier}, tracking <strong>{o.tracking}</strong></p>}
      </section>
      <section class="section">
        <h2>History</h2>
        <ol class="list" aria-label="Order history">
          {o.events.map((e, i) => (
            <li key={i} class="row row--between small">
              <span>{stateText(e.to)}</span>
              <time class="muted" dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
            </li>
          ))}
        </ol>
      </section>
      <FormError text={err && !fields.carrier && !fields.tracking ? message(err) : undefined} />
      <div class="stack">
        {buyer && o.state === "pending_payment" && (
          <button class="btn btn--primary" disabled={busy} onClick={() => act("Paid", () => payOrder(o))}>Pay {formatMoney(o.total)} from wallet</button>
        )}
        {buyer && o.state === "shipped" && (
          <button class="btn btn--primary" disabled={busy} onClick={() => act("Thanks for confirming", () => ok(api.POST("/api/v1/orders/{id}/complete", id)))}>I received it</button>
        )}
        {(o.state === "pending_payment" || o.state === "paid") && (
          <button class="btn btn--danger" disabled={busy} onClick={() => act("Order cancelled", () => ok(api.POST("/api/v1/orders/{id}/cancel", id)))}>Cancel order</button>
        )}
        {!buyer && o.state === "paid" && (
          <form class="form" onSubmit={(e) => { e.preventDefault(); void ship(); }}>
            <h2>Ship it</h2>
            <div class="fields-2">
              <Field label="Carrier" value={carrier} onValue={setCarrier} error={fields.carrier} />
              <Field label="Tracking number" value={tracking} onValue={setTracking} error={fields.tracking} />
            </div>
            <button class="btn btn--primary" disabled={busy}>Mark as shipped</button>
          </form>
        )}
        <AskButton peer={buyer ? { type: "shop", id: o.shop_id } : { type: "user", id: o.buyer_id }} context={{ type: "order", id: o.id }} label={buyer ? "Ask the shop about this order" : "Message the buyer"} />
        {!buyer && (o.state === "paid" || o.state === "shipped") && (
          <button class="btn btn--danger" disabled={busy} onClick={refund}>Refund in full</button>
        )}
      </div>
    </Page>
  );
}
