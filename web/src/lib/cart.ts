// What checkout needs to know about a cart: its lines by shop (one order per
// shop), and what must change before it can be ordered.

export interface CartLineLike {
  sku_id: string;
  shop_id: string;
  qty: number;
  stale: boolean;
  stale_reasons: string[];
  subtotal: { amount_minor: number; currency: string };
}

export interface ShopGroup<L> {
  shop_id: string;
  lines: L[];
  subtotal_minor: number;
}

/** byShop groups lines per shop, shops in the order their first line appears. */
export function byShop<L extends CartLineLike>(lines: readonly L[]): ShopGroup<L>[] {
  const groups: ShopGroup<L>[] = [];
  for (const l of lines) {
    let g = groups.find((x) => x.shop_id === l.shop_id);
    if (!g) groups.push((g = { shop_id: l.shop_id, lines: [], subtotal_minor: 0 }));
    g.lines.push(l);
    g.subtotal_minor += l.subtotal.amount_minor;
  }
  return groups;
}

const reasonText: Record<string, string> = {
  not_for_sale: "is no longer for sale",
  price_changed: "has a new price",
  out_of_stock: "is out of stock",
};

/** blockers lists, for people, why the cart cannot be ordered as it is; empty when it can. */
export function blockers<L extends CartLineLike & { title: string }>(lines: readonly L[]): string[] {
  if (lines.length === 0) return ["Your cart is empty."];
  return lines.filter((l) => l.stale).map((l) => `${l.title} ${l.stale_reasons.map((r) => reasonText[r] ?? r).join(" and ")}.`);
}

/** itemCount is the number of units in the cart, for the badge. */
export function itemCount(lines: readonly CartLineLike[]): number {
  return lines.reduce((n, l) => n + l.qty, 0);
}
