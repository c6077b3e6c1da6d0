// The wallet: balance, a sandbox top-up, and every movement.
import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { formatMoney, parseAmount } from "../lib/money";
import { message } from "../lib/problem";
import { Field, FormError } from "../ui/Field";
import { Loading, Page } from "../ui/Page";
import { toast } from "../ui/toast";
import { useLoad } from "../ui/useLoad";
import { topUp } from "./buy";

const kinds = { topup: "Top-up", payment: "Payment", refund: "Refund" } as const;

export function WalletPage() {
  const wallet = useLoad(() => ok(api.GET("/api/v1/wallet")), []);
  const moves = useLoad(() => ok(api.GET("/api/v1/wallet/transactions", { params: { query: { limit: 50 } } })), []);
  const [amount, setAmount] = useState("25");
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const currency = wallet.data?.balance.currency ?? "USD";

  async function add(e: Event) {
    e.preventDefault();
    const minor = parseAmount(amount, currency);
    if (minor === null) {
      setErr("Enter an amount such as 25 or 19.99.");
      return;
    }
    setBusy(true);
    setErr(undefined);
    try {
      wallet.set(await topUp(minor));
      void moves.reload();
      toast("Added " + formatMoney({ amount_minor: minor, currency }));
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Wallet" back>
      <section class="stat">
        <span class="muted">Balance</span>
        <strong class="price">{wallet.data ? formatMoney(wallet.data.balance) : "…"}</strong>
      </section>
      <form class="form section" onSubmit={add}>
        <h2>Add sandbox funds</h2>
        <p class="muted small">This is a demo wallet: no card is charged.</p>
        <Field label={`Amount (${currency})`} inputMode="decimal" value={amount} onValue={setAmount} error={err} />
        <button class="btn btn--primary" disabled={busy}>Add funds</button>
      </form>
      <section class="section">
        <h2>Activity</h2>
        {!moves.data && <Loading />}
        <ul class="list">
          {moves.data?.items.map((m) => (
            <li class="list__item" key={m.id}>
              <div class="grow">
                <strong>{kinds[m.kind]}</strong>
                <div class="muted small">{new Date(m.created_at).toLocaleString()}</div>
              </div>
              <span class={m.amount.amount_minor < 0 ? "" : "badge--ok"}>{formatMoney(m.amount)}</span>
            </li>
          ))}
        </ul>
        {moves.error !== undefined && <FormError text={message(moves.error)} />}
      </section>
    </Page>
  );
}
