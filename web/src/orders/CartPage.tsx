// The cart: lines by shop (one order each), quantities, what changed since
// they were added, and checkout of the whole cart.
import { useState } from "preact/hooks";
import { api, ok, type Cart } from "../api/client";
import { blockers, byShop } from "../lib/cart";
import { formatMoney } from "../lib/money";
import { message } from "../lib/problem";
import { FormError } from "../ui/Field";
import { Empty, Loading, Page } from "../ui/Page";
import { Link, navigate } from "../ui/router";
import { useLoad } from "../ui/useLoad";
import { Checkout } from "./Checkout";

export function CartPage() {
  const cart = useLoad(() => ok(api.GET("/api/v1/cart")), []);
  const [err, setErr] = useState<string | undefined>();
  const [checkout, setCheckout] = useState(false);

  async function setQty(skuId: string, qty: number, video: string | null) {
    setErr(undefined);
    try {
      const c: Cart =
        qty <= 0
          ? await ok(api.DELETE("/api/v1/cart/items/{sku_id}", { params: { path: { sku_id: skuId } } }))
          : await ok(api.PUT("/api/v1/cart/items/{sku_id}", { params: { path: { sku_id: skuId } }, body: { qty, source_video_id: video } }));
      cart.set(c);
    } catch (e) {
      setErr(message(e));
    }
  }

  const c = cart.data;
  const problems = c ? blockers(c.items) : [];
  return (
    <Page title="Cart" back>
      {!c && <Loading />}
      {c && c.items.length === 0 && (
        <Empty>
          <p>Your cart is empty.</p>
          <Link class="btn btn--primary" href="/">Find something in the feed</Link>
        </Empty>
      )}
      {c && c.items.length > 0 && !checkout && (
        <>
          {byShop(c.items).map((g, gi) => (
            <section class="section" key={g.shop_id} aria-label={`Shop ${gi + 1}`}>
              <ul class="list">
                {g.lines.map((l) => (
                  <li class="list__item" key={l.sku_id}>
                    <div class="grow">
                      <Link href={"/p/" + l.product_id}>{l.title}</Link>
                      <div class="muted small">{l.sku_code} · {formatMoney(l.unit_price)}</div>
                      {l.stale && <div class="form-error small">{blockers([l])[0]}</div>}
                    </div>
                    <div class="qty" role="group" aria-label={`Quantity of ${l.title}`}>
                      <button type="button" class="icon-btn" aria-label={l.qty === 1 ? `Remove ${l.title}` : `One fewer ${l.title}`} onClick={() => setQty(l.sku_id, l.qty - 1, l.source_video_id)}>−</button>
                      <output>{l.qty}</output>
                      <button type="button" class="icon-btn" aria-label={`One more ${l.title}`} disabled={l.qty >= 99} onClick={() => setQty(l.sku_id, l.qty + 1, l.source_video_id)}>+</button>
                    </div>
                  </li>
                ))}
              </ul>
            </section>
          ))}
          <FormError text={err} />
          <div class="summary">
            <div class="row row--between">
              <span>{c.item_count} items</span>
              <strong>{formatMoney(c.total)}</strong>
            </div>
            {problems.map((p) => <p class="form-error small" key={p}>{p}</p>)}
          </div>
          <p />
          <button type="button" class="btn btn--primary btn--block" disabled={problems.length > 0} onClick={() => setCheckout(true)}>
            Check out
          </button>
        </>
      )}
      {c && checkout && (
        <Checkout
          total={c.total}
          onDone={(orders) => navigate(orders.length === 1 ? "/orders/" + orders[0]!.id + "?placed=1" : "/orders?placed=1", { replace: true })}
          onRefused={() => {
            setCheckout(false);
            void cart.reload();
          }}
        />
      )}
    </Page>
  );
}
