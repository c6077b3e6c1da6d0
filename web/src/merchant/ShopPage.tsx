// One shop's dashboard: its products with stock, its orders (those to ship
// first), and its sales per day with the videos that sold the most.
import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { formatMoney } from "../lib/money";
import { message } from "../lib/problem";
import type { Params } from "../lib/route";
import { OrderRow } from "../orders/OrdersPage";
import { FormError } from "../ui/Field";
import { Empty, Loading, Page } from "../ui/Page";
import { Link } from "../ui/router";
import { useLoad } from "../ui/useLoad";
import { ShopAnalytics } from "./ShopAnalytics";

const tabs = { products: "Products", orders: "Orders", analytics: "Analytics" };
type Tab = keyof typeof tabs;
const tabFrom = (hash: string): Tab => (Object.hasOwn(tabs, hash) ? (hash as Tab) : "products");

export function ShopPage({ params }: { params: Params }) {
  const id = params.id!;
  const [tab, setTab] = useState(() => tabFrom(location.hash.slice(1)));
  const shop = useLoad(() => ok(api.GET("/api/v1/shops/{id}", { params: { path: { id } } })), [id]);
  const select = (t: Tab) => {
    setTab(t);
    history.replaceState(null, "", "#" + t);
  };
  return (
    <Page title={shop.data?.name ?? "Shop"} back actions={<Link class="btn btn--primary btn--small" href={`/merchant/shops/${id}/products/new`}>Add product</Link>}>
      <div class="tabs" role="tablist" aria-label="Shop">
        {(Object.keys(tabs) as Tab[]).map((t) => (
          <button key={t} type="button" role="tab" id={"tab-" + t} aria-controls={"panel-" + t} aria-selected={tab === t} class={"btn btn--small" + (tab === t ? " btn--primary" : "")} onClick={() => select(t)}>
            {tabs[t]}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={"panel-" + tab} aria-labelledby={"tab-" + tab}>
        {tab === "products" && <Products shopId={id} />}
        {tab === "orders" && <Orders shopId={id} />}
        {tab === "analytics" && <ShopAnalytics shopId={id} />}
      </div>
    </Page>
  );
}

function Products({ shopId }: { shopId: string }) {
  const products = useLoad(() => ok(api.GET("/api/v1/shops/{id}/products", { params: { path: { id: shopId }, query: { limit: 100 } } })), [shopId]);
  if (products.error) return <FormError text={message(products.error)} />;
  if (!products.data) return <Loading />;
  if (products.data.items.length === 0) return <Empty><p>No products yet.</p><Link class="btn btn--primary" href={`/merchant/shops/${shopId}/products/new`}>Add your first product</Link></Empty>;
  return (
    <ul class="list" aria-label="Products">
      {products.data.items.map((p) => {
        const stock = p.skus.reduce((n, s) => n + (s.stock ?? 0), 0);
        return (
          <li key={p.id}>
            <Link class="list__item" href={"/merchant/products/" + p.id}>
              {p.images[0] ? <img class="thumb" src={p.images[0].url} alt="" /> : <span class="thumb" aria-hidden="true" />}
              <div class="grow">
                <strong>{p.title}</strong>
                <div class="muted small">{formatMoney(p.price_min)} · {p.skus.length} SKUs · {stock} in stock</div>
              </div>
              <span class={"badge " + (p.status === "active" ? "badge--ok" : "badge--muted")}>{p.status}</span>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

function Orders({ shopId }: { shopId: string }) {
  const orders = useLoad(() => ok(api.GET("/api/v1/shops/{id}/orders", { params: { path: { id: shopId }, query: { limit: 100 } } })), [shopId]);
  if (orders.error) return <FormError text={message(orders.error)} />;
  if (!orders.data) return <Loading />;
  const toShip = orders.data.items.filter((o) => o.state === "paid");
  const rest = orders.data.items.filter((o) => o.state !== "paid");
  return (
    <>
      <section class="section">
        <h2>To ship ({toShip.length})</h2>
        {toShip.length === 0 && <p class="muted">Nothing waiting.</p>}
        <ul class="list">{toShip.map((o) => <li key={o.id}><OrderRow o={o} href={"/orders/" + o.id} /></li>)}</ul>
      </section>
      <section class="section">
        <h2>All orders</h2>
        {rest.length === 0 && <p class="muted">No other orders.</p>}
        <ul class="list">{rest.map((o) => <li key={o.id}><OrderRow o={o} href={"/orders/" + o.id} /></li>)}</ul>
      </section>
    </>
  );
}
