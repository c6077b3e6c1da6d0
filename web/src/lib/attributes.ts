// SKU attributes as a merchant types them: "size: M, color: red".

/** parseAttributes reads "k: v" pairs separated by commas; null names the first malformed pair. */
export function parseAttributes(text: string): Record<string, string> | { error: string } {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const p = part.trim();
    if (!p) continue;
    const i = p.indexOf(":");
    if (i <= 0 || i === p.length - 1) return { error: `write “${p}” as name: value, e.g. size: M` };
    const k = p.slice(0, i).trim().toLowerCase();
    const v = p.slice(i + 1).trim();
    if (!k || !v) return { error: `write “${p}” as name: value, e.g. size: M` };
    out[k] = v;
  }
  return out;
}

/** formatAttributes writes attributes back in the same form. */
export function formatAttributes(a: Record<string, string>): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
}
