// Creating and editing a product: title, description, commission, status,
// SKUs with attributes, price and stock, and images by drag and drop.
import { useState } from "preact/hooks";
import { api, csrfHeaders, ok, type Product, type Schemas } from "../api/client";
import { formatAttributes, parseAttributes } from "../lib/attributes";
import { parseAmount, toInput } from "../lib/money";
import { ApiError, fieldErrors, message, type Problem } from "../lib/problem";
import type { Params } from "../lib/route";
import { Field, FormError } from "../ui/Field";
import { IconClose, IconUpload } from "../ui/icons";
import { Loading, Page } from "../ui/Page";
import { navigate } from "../ui/router";
import { toast } from "../ui/toast";
import { useLoad } from "../ui/useLoad";

interface SkuRow {
  id?: string;
  code: string;
  attributes: string;
  price: string;
  stock: string;
  /** what the server has, to send only changes */
  was?: { code: string; attributes: string; price: string; stock: string };
}

const emptyRow = (n: number): SkuRow => ({ code: "SKU-" + n, attributes: "", price: "", stock: "10" });

function rowsOf(p: Product): SkuRow[] {
  return p.skus.map((s) => {
    const r = { code: s.code, attributes: formatAttributes(s.attributes), price: toInput(s.price.amount_minor, s.price.currency), stock: String(s.stock ?? 0) };
    return { id: s.id, ...r, was: { ...r } };
  });
}

export function NewProduct({ params }: { params: Params }) {
  return <ProductForm shopId={params.shop!} />;
}

export function EditProduct({ params }: { params: Params }) {
  const p = useLoad(() => ok(api.GET("/api/v1/products/{id}", { params: { path: { id: params.id! } } })), [params.id]);
  if (p.error) return <Page title="Product" back><FormError text={message(p.error)} /></Page>;
  if (!p.data) return <Page title="Product" back><Loading /></Page>;
  return <ProductForm key={p.data.updated_at} shopId={p.data.shop_id} product={p.data} onSaved={p.set} />;
}

function ProductForm({ shopId, product, onSaved }: { shopId: string; product?: Product; onSaved?: (p: Product) => void }) {
  const currency = product?.price_min.currency ?? "USD";
  const [title, setTitle] = useState(product?.title ?? "");
  const [description, setDescription] = useState(product?.description ?? "");
  const [commission, setCommission] = useState(String((product?.commission_bps ?? 1000) / 100));
  const [status, setStatus] = useState<"draft" | "active" | "archived">(product?.status ?? "active");
  const [rows, setRows] = useState<SkuRow[]>(product ? rowsOf(product) : [emptyRow(1)]);
  const [err, setErr] = useState<ApiError>();
  const [local, setLocal] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const fields = { ...fieldErrors(err?.problem), ...local };
  if (err?.code === "sku_code_taken") fields["skus"] = message(err);
  const setRow = (i: number, r: Partial<SkuRow>) => setRows(rows.map((x, j) => (j === i ? { ...x, ...r } : x)));

  function skuInputs(): { skus: Schemas["SKUInput"][]; stock: { id: string; stock: number }[] } | null {
    const bad: Record<string, string> = {};
    const skus: Schemas["SKUInput"][] = [];
    const stock: { id: string; stock: number }[] = [];
    rows.forEach((r, i) => {
      const attrs = parseAttributes(r.attributes);
      if ("error" in attrs) bad[`skus[${i}].attributes`] = attrs.error as string;
      const price = parseAmount(r.price, currency);
      if (price === null) bad[`skus[${i}].price`] = "enter a price such as 19.99";
      const n = Number(r.stock);
      if (!Number.isInteger(n) || n < 0) bad[`skus[${i}].stock`] = "enter a whole number, 0 or more";
      if ("error" in attrs || price === null || !Number.isInteger(n) || n < 0) return;
      if (!r.id) {
        skus.push({ code: r.code.trim(), attributes: attrs as Record<string, string>, price: { amount_minor: price }, stock: n });
        return;
      }
      const w = r.was!;
      if (w.code !== r.code || w.attributes !== r.attributes || w.price !== r.price) {
        skus.push({ id: r.id, code: r.code.trim(), attributes: attrs as Record<string, string>, price: { amount_minor: price } });
      }
      if (String(n) !== w.stock) stock.push({ id: r.id, stock: n });
    });
    setLocal(bad);
    return Object.keys(bad).length ? null : { skus, stock };
  }

  async function save(e: Event) {
    e.preventDefault();
    setErr(undefined);
    const bps = Math.round(Number(commission) * 100);
    const s = skuInputs();
    if (!s) return;
    if (!Number.isFinite(bps)) {
      setLocal({ commission_bps: "enter a percentage such as 10" });
      return;
    }
    setBusy(true);
    try {
      if (!product) {
        const p = await ok(api.POST("/api/v1/products", { body: { shop_id: shopId, title: title.trim(), description: description.trim(), commission_bps: bps, status: status === "archived" ? "draft" : status, skus: s.skus } }));
        toast("Product created");
        navigate("/merchant/products/" + p.id, { replace: true });
        return;
      }
      for (const st of s.stock) {
        await ok(api.PUT("/api/v1/skus/{id}/stock", { params: { path: { id: st.id } }, body: { stock: st.stock } }));
      }
      const p = await ok(api.PATCH("/api/v1/products/{id}", { params: { path: { id: product.id } }, body: { title: title.trim(), description: description.trim(), commission_bps: bps, status, ...(s.skus.length ? { skus: s.skus } : {}) } }));
      toast("Saved");
      onSaved?.(p);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
    } finally {
      setBusy(false);
    }
  }

  const unplaced = err && Object.keys(fieldErrors(err.problem)).length === 0 && err.code !== "sku_code_taken" ? message(err) : undefined;

  return (
    <Page title={product ? "Edit product" : "New product"} back>
      {product && <Images product={product} onChange={onSaved} />}
      <form class="form section" onSubmit={save} noValidate>
        <Field label="Title" value={title} onValue={setTitle} error={fields.title} maxLength={200} />
        <Field label="Description" multiline value={description} onValue={setDescription} error={fields.description} maxLength={10000} />
        <div class="fields-2">
          <Field label="Creator commission (%)" inputMode="decimal" value={commission} onValue={setCommission} error={fields.commission_bps} />
          <div class="field">
            <label for="status">Status</label>
            <select id="status" value={status} onChange={(e) => setStatus(e.currentTarget.value as typeof status)}>
              <option value="active">Active (for sale)</option>
              <option value="draft">Draft (hidden)</option>
              {product && <option value="archived">Archived</option>}
            </select>
          </div>
        </div>
        <fieldset class="plain-fieldset stack">
          <legend class="label">Variants (SKUs)</legend>
          {fields.skus && <p class="field__error">{fields.skus}</p>}
          {rows.map((r, i) => (
            <div class="list__item stack" key={r.id ?? "new" + i} style={{ alignItems: "stretch" }} role="group" aria-label={`SKU ${i + 1}`}>
              <div class="fields-2">
                <Field label="Code" value={r.code} onValue={(v) => setRow(i, { code: v })} error={fields[`skus[${i}].code`]} />
                <Field label="Options" value={r.attributes} onValue={(v) => setRow(i, { attributes: v })} error={fields[`skus[${i}].attributes`]} hint="e.g. size: M, color: red" />
              </div>
              <div class="fields-2">
                <Field label={`Price (${currency})`} inputMode="decimal" value={r.price} onValue={(v) => setRow(i, { price: v })} error={fields[`skus[${i}].price`] ?? fields[`skus[${i}].price.amount_minor`]} />
                <Field label="Stock" inputMode="numeric" value={r.stock} onValue={(v) => setRow(i, { stock: v })} error={fields[`skus[${i}].stock`]} />
              </div>
              {!r.id && rows.length > 1 && (
                <button type="button" class="btn btn--small btn--ghost" onClick={() => setRows(rows.filter((_, j) => j !== i))}>Remove this SKU</button>
              )}
            </div>
          ))}
          <button type="button" class="btn btn--small" onClick={() => setRows([...rows, emptyRow(rows.length + 1)])}>Add a SKU</button>
        </fieldset>
        <FormError text={unplaced} />
        <button class="btn btn--primary btn--block" disabled={busy}>{busy ? "Saving…" : product ? "Save" : "Create product"}</button>
      </form>
    </Page>
  );
}

/** Images: drop or choose files to add; remove; move earlier. */
function Images({ product, onChange }: { product: Product; onChange?: (p: Product) => void }) {
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(0);
  const [err, setErr] = useState<string>();
  const reload = async () => onChange?.(await ok(api.GET("/api/v1/products/{id}", { params: { path: { id: product.id } } })));

  async function add(files: FileList | File[]) {
    setErr(undefined);
    for (const f of Array.from(files)) {
      setBusy((n) => n + 1);
      try {
        const body = new FormData();
        body.append("image", f);
        // multipart goes around openapi-fetch, which speaks JSON
        const r = await fetch(`/api/v1/products/${encodeURIComponent(product.id)}/images`, { method: "POST", body, headers: csrfHeaders(), credentials: "same-origin" });
        if (!r.ok) {
          const p = (await r.json().catch(() => null)) as Problem | null;
          setErr(`${f.name}: ${p?.detail ?? r.statusText}`);
        }
      } finally {
        setBusy((n) => n - 1);
      }
    }
    await reload();
  }

  async function remove(imageId: string) {
    try {
      await ok(api.DELETE("/api/v1/products/{id}/images/{image_id}", { params: { path: { id: product.id, image_id: imageId } } }));
      await reload();
    } catch (e) {
      setErr(message(e));
    }
  }

  async function moveFirst(imageId: string) {
    const ids = [imageId, ...product.images.map((i) => i.id).filter((i) => i !== imageId)];
    try {
      await ok(api.PUT("/api/v1/products/{id}/images", { params: { path: { id: product.id } }, body: { image_ids: ids } }));
      await reload();
    } catch (e) {
      setErr(message(e));
    }
  }

  return (
    <section class="section stack" aria-label="Images">
      <h2>Images</h2>
      <ul class="images">
        {product.images.map((im, i) => (
          <li key={im.id}>
            <img src={im.url} alt={`Image ${i + 1}`} />
            <button type="button" class="icon-btn" aria-label={`Remove image ${i + 1}`} onClick={() => remove(im.id)}><IconClose /></button>
            {i > 0 && <button type="button" class="btn btn--small btn--ghost" onClick={() => moveFirst(im.id)} aria-label={`Cover image ${i + 1}`}>Cover</button>}
          </li>
        ))}
      </ul>
      <label
        class={"drop" + (over ? " drop--over" : "")}
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => { e.preventDefault(); setOver(false); if (e.dataTransfer?.files.length) void add(e.dataTransfer.files); }}
      >
        <IconUpload />
        <strong>{busy ? `Uploading ${busy}…` : "Drop images here or choose"}</strong>
        <span class="small">JPEG, PNG or WebP, up to 10 MiB each</span>
        <input type="file" accept="image/jpeg,image/png,image/webp" multiple class="visually-hidden" aria-label="Choose images" onChange={(e) => e.currentTarget.files && add(e.currentTarget.files)} />
      </label>
      <FormError text={err} />
    </section>
  );
}
