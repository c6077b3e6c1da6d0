// Shopping without a video: search the catalog, open a product.
import { useState } from "preact/hooks";
import { searchProducts, type Product } from "../api/client";
import { formatMoney } from "../lib/money";
import { message } from "../lib/problem";
import { Empty, Loading, Page } from "../ui/Page";
import { Link } from "../ui/router";
import { useLoad } from "../ui/useLoad";
import { IconBag, IconCart } from "../ui/icons";

export function Browse() {
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const results = useLoad(
    (signal) => searchProducts({ q: query || undefined, limit: 40 }, signal),
    [query],
  );
  return (
    <Page
      title="Shop"
      actions={
        <Link class="icon-btn" href="/cart" aria-label="Cart">
          <IconCart />
        </Link>
      }
    >
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <label class="visually-hidden" for="shop-q">Search products</label>
        <input id="shop-q" type="search" placeholder="Search products" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button class="btn">Search</button>
      </form>
      {results.loading && !results.data && <Loading />}
      {results.error !== undefined && <p role="alert" class="form-error">{message(results.error)}</p>}
      {results.data && results.data.items.length === 0 && <Empty>{query ? `Nothing matches “${query}”.` : "No products yet."}</Empty>}
      {results.data && (
        <ul class="grid" aria-label="Products">
          {results.data.items.map((p) => (
            <li key={p.id}>
              <ProductCard p={p} />
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

export function ProductCard({ p, video }: { p: Product; video?: string }) {
  const img = p.images[0];
  return (
    <Link class="card" href={"/p/" + encodeURIComponent(p.id) + (video ? "?video=" + encodeURIComponent(video) : "")}>
      <div class="card__img">{img ? <img src={img.url} alt="" loading="lazy" /> : <IconBag />}</div>
      <div class="card__body">
        <span class="card__title">{p.title}</span>
        <span class="card__price">{formatMoney(p.price_min)}</span>
        {!p.in_stock && <span class="badge badge--muted">Sold out</span>}
      </div>
    </Link>
  );
}
