// A product as a shopper sees it: images, variant pickers built from the
// SKU attributes, stock and price, quantity, and "Add to cart" / "Buy now",
// both remembering the video it was found in (its creator earns the
// commission). "Buy now" continues to checkout in place.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ok, type Order, type Product, type SKU } from "../api/client";
import { useSession } from "../account/session";
import { formatMoney } from "../lib/money";
import { ApiError, message } from "../lib/problem";
import { chosenSku, initialSelection, type Selection } from "../lib/variants";
import { Checkout } from "../orders/Checkout";
import { OrderStatus } from "../orders/status";
import { FormError } from "../ui/Field";
import { Loading } from "../ui/Page";
import { Link, navigate } from "../ui/router";
import { toast } from "../ui/toast";
import { useLoad } from "../ui/useLoad";
import { VariantPicker } from "./VariantPicker";
import { AskButton } from "../chat/AskButton";

interface Props {
  productId: string;
  sourceVideoId?: string | null;
  /** onStep tells a surrounding sheet the title of the current step. */
  onStep?: (title: string) => void;
}

type Step = { kind: "view" } | { kind: "checkout"; sku: SKU; qty: number } | { kind: "done"; orders: Order[] };

export function ProductView({ productId, sourceVideoId, onStep }: Props) {
  const { user } = useSession();
  const product = useLoad((signal) => ok(api.GET("/api/v1/products/{id}", { params: { path: { id: productId } }, signal })), [productId]);
  const [soldOut, setSoldOut] = useState<Set<string>>(new Set());
  const [sel, setSel] = useState<Selection>({});
  const [qty, setQty] = useState(1);
  const [step, setStep] = useState<Step>({ kind: "view" });
  const [err, setErr] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  // SKUs the server just refused for stock count as sold out whatever the last read said.
  const skus = useMemo(() => (product.data?.skus ?? []).map((s) => (soldOut.has(s.id) ? { ...s, stock_available: 0 } : s)), [product.data, soldOut]);

  // Start on something in stock; a reload (fresh stock) keeps the shopper's choice.
  useEffect(() => {
    if (product.data && Object.keys(sel).length === 0) setSel(initialSelection(skus));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [product.data]);

  useEffect(() => {
    onStep?.(step.kind === "checkout" ? "Checkout" : step.kind === "done" ? "Order placed" : product.data?.title ?? "Product");
  }, [step, product.data, onStep]);

  if (product.error) return <FormError text={message(product.error)} />;
  if (!product.data) return <Loading />;
  const p: Product = product.data;
  const sku = chosenSku(skus, sel);
  const available = sku?.stock_available ?? 0;
  const maxQty = Math.max(1, Math.min(99, available));
  const forSale = p.status === "active";

  function needUser(): boolean {
    if (user) return true;
    navigate("/signin?next=" + encodeURIComponent(location.pathname));
    return false;
  }

  async function addToCart() {
    if (!sku || !needUser()) return;
    setBusy(true);
    setErr(undefined);
    try {
      await ok(api.PUT("/api/v1/cart/items/{sku_id}", { params: { path: { sku_id: sku.id } }, body: { qty, source_video_id: sourceVideoId ?? null } }));
      toast("Added to cart");
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  }

  if (step.kind === "checkout") {
    return (
      <div class="stack">
        <div class="row">
          <button type="button" class="btn btn--small btn--ghost" onClick={() => setStep({ kind: "view" })}>
            Back to product
          </button>
        </div>
        <p>
          <strong>{p.title}</strong> · {Object.values(step.sku.attributes).join(" / ") || step.sku.code} × {step.qty}
        </p>
        <Checkout
          items={[{ sku_id: step.sku.id, qty: step.qty, source_video_id: sourceVideoId ?? null }]}
          total={{ amount_minor: step.sku.price.amount_minor * step.qty, currency: step.sku.price.currency }}
          onDone={(orders) => setStep({ kind: "done", orders })}
          onRefused={(e: ApiError) => {
            if (e.code === "out_of_stock") setSoldOut(new Set([...soldOut, ...(e.problem.errors ?? []).map((x) => x.message)]));
            setErr(e.code === "out_of_stock" ? "Sold out: that option just sold out. Pick another." : message(e));
            setStep({ kind: "view" });
            void product.reload();
          }}
        />
      </div>
    );
  }

  if (step.kind === "done") {
    return (
      <div class="stack" role="status">
        <p class="notice notice--ok">Thank you! Your order is paid and the shop will ship it soon.</p>
        {step.orders.map((o) => (
          <Link key={o.id} class="list__item" href={"/orders/" + o.id}>
            <div class="grow">
              <strong>Order {o.id.slice(-6).toUpperCase()}</strong>
              <div class="muted small">{formatMoney(o.total)}</div>
            </div>
            <OrderStatus state={o.state} />
          </Link>
        ))}
        <button type="button" class="btn btn--block" onClick={() => setStep({ kind: "view" })}>
          Keep shopping
        </button>
      </div>
    );
  }

  return (
    <div class="stack">
      {p.images.length > 0 && (
        <div class="gallery" aria-label="Images">
          {p.images.map((im, i) => (
            <img key={im.id} src={im.url} alt={`${p.title}, image ${i + 1} of ${p.images.length}`} width={im.width} height={im.height} />
          ))}
        </div>
      )}
      <div>
        <p class="muted small">{p.shop_name}</p>
        <h3 class="product-title">{p.title}</h3>
        <p class="price" data-testid="price">
          {sku ? formatMoney(sku.price) : p.price_min.amount_minor === p.price_max.amount_minor ? formatMoney(p.price_min) : `${formatMoney(p.price_min)} – ${formatMoney(p.price_max)}`}
        </p>
        <p class={available > 0 ? "muted" : "form-error"} data-testid="stock">
          {!forSale ? "No longer for sale" : !sku ? "Choose an option" : available === 0 ? "Sold out" : available <= 5 ? `Only ${available} left` : "In stock"}
        </p>
      </div>
      <VariantPicker skus={skus} selection={sel} onChange={(s) => { setSel(s); setErr(undefined); setQty(1); }} name={"p-" + p.id} />
      <div class="row">
        <span class="label" id={"qty-" + p.id}>Quantity</span>
        <div class="qty" role="group" aria-labelledby={"qty-" + p.id}>
          <button type="button" class="icon-btn" aria-label="One fewer" disabled={qty <= 1} onClick={() => setQty(qty - 1)}>−</button>
          <output aria-live="polite">{qty}</output>
          <button type="button" class="icon-btn" aria-label="One more" disabled={qty >= maxQty} onClick={() => setQty(qty + 1)}>+</button>
        </div>
      </div>
      {p.description && <p class="description">{p.description}</p>}
      <FormError text={err} />
      <div class="buybar">
        <button type="button" class="btn" disabled={busy || !sku || available === 0 || !forSale} onClick={addToCart}>
          Add to cart
        </button>
        <button type="button" class="btn btn--primary" disabled={busy || !sku || available === 0 || !forSale}
          onClick={() => sku && needUser() && setStep({ kind: "checkout", sku, qty })}>
          Buy now
        </button>
      </div>
      {user?.id !== undefined && <AskButton peer={{ type: "shop", id: p.shop_id }} context={{ type: "product", id: p.id }} label="Ask the shop" />}
    </div>
  );
}
