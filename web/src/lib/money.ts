// Money arrives as {amount_minor, currency}; the browser's Intl formats it.

export interface MoneyLike {
  amount_minor: number;
  currency: string;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string): Intl.NumberFormat {
  let f = formatters.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: "currency", currency });
    formatters.set(currency, f);
  }
  return f;
}

/** minorDigits is how many decimals the currency's minor unit has (2 for USD, 0 for JPY). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** formatMoney renders an amount in the viewer's locale: "$19.99". */
export function formatMoney(m: MoneyLike): string {
  return formatter(m.currency).format(m.amount_minor / 10 ** minorDigits(m.currency));
}

/**
 * parseAmount reads what a person typed ("19.99", "19,99", "20") as minor
 * units, or null when it is not a positive amount with at most the
 * currency's decimals.
 */
export function parseAmount(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const t = text.trim().replace(",", ".");
  const m = /^(\d{1,12})(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > digits) return null;
  const minor = Number(m[1]) * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
  return minor > 0 ? minor : null;
}

/** toInput writes minor units back as the text an amount field shows. */
export function toInput(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
}
