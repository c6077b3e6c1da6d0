// The merchant's shops, and opening a new one.
import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { ApiError, fieldErrors, message } from "../lib/problem";
import { Field, FormError } from "../ui/Field";
import { Loading, Page } from "../ui/Page";
import { Link, navigate } from "../ui/router";
import { useLoad } from "../ui/useLoad";

export function Merchant() {
  const shops = useLoad(() => ok(api.GET("/api/v1/me/shops")), []);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [err, setErr] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const fields = fieldErrors(err?.problem);
  if (err?.code === "shop_name_taken") fields.name = message(err);

  async function open(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr(undefined);
    try {
      const s = await ok(api.POST("/api/v1/shops", { body: { name: name.trim(), description: description.trim() } }));
      navigate("/merchant/shops/" + s.id);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Merchant dashboard" back>
      {!shops.data && <Loading />}
      {shops.data && shops.data.items.length > 0 && (
        <section class="section">
          <h2>Your shops</h2>
          <ul class="list">
            {shops.data.items.map((s) => (
              <li key={s.id}>
                <Link class="list__item" href={"/merchant/shops/" + s.id}>
                  <div class="grow">
                    <strong>{s.name}</strong>
                    <div class="muted small clamp">{s.description}</div>
                  </div>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      <form class="form section" onSubmit={open} noValidate>
        <h2>{shops.data?.items.length ? "Open another shop" : "Open your shop"}</h2>
        <Field label="Shop name" value={name} onValue={setName} error={fields.name} maxLength={80} />
        <Field label="Description" multiline value={description} onValue={setDescription} error={fields.description} maxLength={2000} />
        <FormError text={err && !fields.name && !fields.description ? message(err) : undefined} />
        <button class="btn btn--primary" disabled={busy}>Open shop</button>
      </form>
    </Page>
  );
}
