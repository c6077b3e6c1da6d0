// The buyer's orders, newest first, with their status.
import { useState } from "preact/hooks";
import { api, ok, type Order } from "../api/client";
import { formatMoney } from "../lib/money";
import { message } from "../lib/problem";
import { FormError } from "../ui/Field";
import { Empty, Loading, Page } from "../ui/Page";
import { Link, useLocation } from "../ui/router";
import { useLoad } from "../ui/useLoad";
import { OrderStatus } from "./status";

export function OrderRow({ o, href }: { o: Order; href: string }) {
  const first = o.lines[0];
  return (
    <Link class="list__item" href={href}>
      <div class="grow">
        <strong>{first ? first.title : "Order"}{o.lines.length > 1 ? ` and ${o.lines.length - 1} more` : ""}</strong>
        <div class="muted small">
          {new Date(o.created_at).toLocaleDateString()} · {formatMoney(o.total)}
        </div>
      </div>
      <OrderStatus state={o.state} />
    </Link>
  );
}

export function OrdersPage() {
  const { query } = useLocation();
  const [more, setMore] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const first = useLoad(() => ok(api.GET("/api/v1/orders", { params: { query: { limit: 20 } } })), []);
  const next = cursor === undefined ? first.data?.next_cursor : cursor;
  const [err, setErr] = useState<string>();

  async function loadMore() {
    if (!next) return;
    try {
      const page = await ok(api.GET("/api/v1/orders", { params: { query: { limit: 20, cursor: next } } }));
      setMore([...more, ...page.items]);
      setCursor(page.next_cursor);
    } catch (e) {
      setErr(message(e));
    }
  }

  return (
    <Page title="Orders" back>
      {query.get("placed") && <p class="notice notice--ok" role="status">Thank you! Your orders are paid.</p>}
      {!first.data && <Loading />}
      {first.data && first.data.items.length === 0 && <Empty>No orders yet.</Empty>}
      <ul class="list" aria-label="Your orders">
        {[...(first.data?.items ?? []), ...more].map((o) => (
          <li key={o.id}>
            <OrderRow o={o} href={"/orders/" + o.id} />
          </li>
        ))}
      </ul>
      <FormError text={err} />
      {next && (
        <button type="button" class="btn btn--block" onClick={loadMore}>
          Show older orders
        </button>
      )}
    </Page>
  );
}
