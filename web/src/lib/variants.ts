// Variant pickers built from SKU attributes: one row per attribute (size,
// colour, …), each value enabled while some SKU with it is in stock;
// choosing it moves the other choices when the combination is sold out.

export interface SkuLike {
  id: string;
  attributes: Record<string, string>;
  stock_available: number;
}

export interface Dimension {
  name: string;
  values: string[];
}

/** dimensions lists the attribute names and their values, in the order the SKUs first use them. */
export function dimensions(skus: readonly SkuLike[]): Dimension[] {
  const dims: Dimension[] = [];
  for (const s of skus) {
    for (const [name, value] of Object.entries(s.attributes)) {
      let d = dims.find((x) => x.name === name);
      if (!d) dims.push((d = { name, values: [] }));
      if (!d.values.includes(value)) d.values.push(value);
    }
  }
  return dims;
}

export type Selection = Record<string, string>;

function matches(s: SkuLike, sel: Selection): boolean {
  return Object.entries(sel).every(([k, v]) => s.attributes[k] === v);
}

export type ValueState = "available" | "sold_out" | "none";

/**
 * valueState says whether value for name can be bought: "available" when
 * some SKU with it is in stock (with the other choices kept if possible,
 * else by moving them, see choose), "sold_out" when every SKU with it is
 * out of stock, "none" when no SKU has it.
 */
export function valueState(skus: readonly SkuLike[], sel: Selection, name: string, value: string): ValueState {
  const withValue = skus.filter((s) => s.attributes[name] === value);
  if (withValue.length === 0) return "none";
  return withValue.some((s) => s.stock_available > 0) ? "available" : "sold_out";
}

/** chosenSku is the SKU that sel names completely, or undefined. */
export function chosenSku<T extends SkuLike>(skus: readonly T[], sel: Selection): T | undefined {
  const dims = dimensions(skus);
  if (dims.some((d) => !(d.name in sel))) return skus.length === 1 && dims.length === 0 ? skus[0] : undefined;
  return skus.find((s) => dims.every((d) => s.attributes[d.name] === sel[d.name]));
}

/** initialSelection starts on the first SKU in stock (or the first SKU), so "Buy now" works at once. */
export function initialSelection(skus: readonly SkuLike[]): Selection {
  const s = skus.find((x) => x.stock_available > 0) ?? skus[0];
  return s ? { ...s.attributes } : {};
}

/**
 * choose sets name to value, and when no SKU has the new combination it
 * moves the other choices to the nearest one that exists, preferring stock.
 */
export function choose(skus: readonly SkuLike[], sel: Selection, name: string, value: string): Selection {
  const next = { ...sel, [name]: value };
  if (skus.some((s) => matches(s, next) && s.stock_available > 0)) return next;
  const withValue = skus.filter((s) => s.attributes[name] === value);
  const best = withValue.find((s) => s.stock_available > 0) ?? withValue.find((s) => matches(s, next)) ?? withValue[0];
  return best ? { ...best.attributes } : next;
}
