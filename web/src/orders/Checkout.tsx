// Checkout: shipping details, the wallet (with a sandbox top-up when it is
// short), then one button that places the orders and pays them. Used as a
// page for the cart and inside the product sheet for "Buy now", so buying
// from a video never leaves it.
import { useState } from "preact/hooks";
import { api, ok, type Money, type Order, type Schemas } from "../api/client";
import { formatMoney } from "../lib/money";
import { ApiError, fieldErrors, message } from "../lib/problem";
import { FormError } from "../ui/Field";
import { Loading } from "../ui/Page";
import { useLoad } from "../ui/useLoad";
import { buy, topUp } from "./buy";
import { cleanShipping, savedShipping, saveShipping, ShippingForm } from "./ShippingForm";

type Item = Schemas["OrderItemInput"];

interface Props {
  /** items to order now; without them the whole cart is ordered. */
  items?: Item[];
  total: Money;
  onDone: (orders: Order[]) => void;
  /** onRefused is told of a definite refusal (out of stock, no longer for sale) so the caller can show fresh stock. */
  onRefused?: (e: ApiError) => void;
}

export function Checkout({ items, total, onDone, onRefused }: Props) {
  const [shipping, setShipping] = useState(savedShipping);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | undefined>();
  const [wait, setWait] = useState(0);
  const wallet = useLoad(() => ok(api.GET("/api/v1/wallet")), []);

  const short = wallet.data ? Math.max(0, total.amount_minor - wallet.data.balance.amount_minor) : 0;
  const errors = fieldErrors(err?.problem, "shipping.");
  const shownOnFields = Object.keys(errors).length > 0;

  async function addFunds() {
    setBusy(true);
    try {
      // Round the top-up up to a whole 10 units, as a sandbox card would.
      const step = 1000;
      wallet.set(await topUp(Math.ceil(short / step) * step, { onWait: setWait }));
      setErr(undefined);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
    } finally {
      setBusy(false);
      setWait(0);
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr(undefined);
    const ship = cleanShipping(shipping);
    saveShipping(ship);
    try {
      const orders = await buy(items ? { items, shipping: ship } : { from_cart: true, shipping: ship }, { onWait: setWait });
      onDone(orders);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
      if (e.code === "insufficient_funds") void wallet.reload();
      if (["out_of_stock", "product_not_for_sale", "cart_stale", "cart_empty"].includes(e.code)) onRefused?.(e);
    } finally {
      setBusy(false);
      setWait(0);
    }
  }

  return (
    <form class="form" onSubmit={submit} noValidate>
      <ShippingForm value={shipping} onChange={setShipping} errors={errors} />
      <section class="summary" aria-label="Payment">
        <div class="row row--between">
          <span>Total</span>
          <strong>{formatMoney(total)}</strong>
        </div>
        <div class="row row--between">
          <span>Wallet balance</span>
          {wallet.data ? <span data-testid="wallet-balance">{formatMoney(wallet.data.balance)}</span> : <Loading label="Wallet" />}
        </div>
        {short > 0 && (
          <div class="notice" role="status">
            <p>Your wallet is {formatMoney({ amount_minor: short, currency: total.currency })} short.</p>
            <button type="button" class="btn btn--small" onClick={addFunds} disabled={busy}>
              Add sandbox funds
            </button>
          </div>
        )}
      </section>
      <FormError text={err && !shownOnFields ? explain(err) : undefined} />
      {wait > 0 && <p class="muted" role="status">Busy; trying again in {Math.ceil(wait / 1000)} s…</p>}
      <button class="btn btn--primary btn--block" disabled={busy || short > 0}>
        {busy ? "Placing your order…" : `Pay ${formatMoney(total)} from wallet`}
      </button>
    </form>
  );
}

function explain(e: ApiError): string {
  switch (e.code) {
    case "out_of_stock":
      return "Sold out: there is not enough stock left for what you chose.";
    case "insufficient_funds":
      return "Your wallet does not hold enough for this order. Add sandbox funds and pay again.";
    default:
      return message(e);
  }
}
