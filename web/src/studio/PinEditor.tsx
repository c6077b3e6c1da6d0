// Product pins on a video: pick active products, and for each the moment it
// shows, set on a scrubber over the video's own frames.
import { useState } from "preact/hooks";
import { searchProducts } from "../api/client";
import { formatMoney } from "../lib/money";
import { formatTime } from "../lib/pins";
import { message } from "../lib/problem";
import { FormError } from "../ui/Field";
import { Sheet } from "../ui/Sheet";
import { useLoad } from "../ui/useLoad";
import type { PinDraft } from "./draft";

interface Props {
  pins: PinDraft[];
  onChange: (p: PinDraft[]) => void;
  durationMs: number;
  /** seek shows the preview at a moment while a scrubber moves. */
  seek?: (ms: number) => void;
  errors?: Record<string, string>;
}

export function PinEditor({ pins, onChange, durationMs, seek, errors = {} }: Props) {
  const [picking, setPicking] = useState(false);
  const set = (i: number, p: Partial<PinDraft>) => onChange(pins.map((x, j) => (j === i ? { ...x, ...p } : x)));
  const step = durationMs > 20_000 ? 500 : 100;

  return (
    <section class="stack" aria-label="Products in this video">
      <div class="row row--between">
        <h2>Products</h2>
        <button type="button" class="btn btn--small" disabled={pins.length >= 10} onClick={() => setPicking(true)}>
          Pin a product
        </button>
      </div>
      {pins.length === 0 && <p class="muted small">Pin up to 10 products; each shows as a card while its moment plays.</p>}
      <ul class="list">
        {pins.map((p, i) => {
          const whole = p.start_ms === null || p.end_ms === null;
          const start = p.start_ms ?? 0;
          const end = p.end_ms ?? durationMs;
          const err = errors[`products[${i}].product_id`] ?? errors[`products[${i}].start_ms`] ?? errors[`products[${i}].end_ms`] ?? errors[`products[${i}]`];
          return (
            <li class="list__item stack" key={p.product_id} style={{ alignItems: "stretch" }}>
              <div class="row row--between">
                <strong>{p.title}</strong>
                <button type="button" class="btn btn--small btn--ghost" onClick={() => onChange(pins.filter((_, j) => j !== i))} aria-label={`Remove ${p.title}`}>
                  Remove
                </button>
              </div>
              <label class="row small">
                <input type="checkbox" checked={whole} disabled={durationMs <= 0}
                  onChange={(e) => set(i, e.currentTarget.checked ? { start_ms: null, end_ms: null } : { start_ms: 0, end_ms: Math.min(durationMs, 5000) })} />
                Show for the whole video
              </label>
              {!whole && durationMs > 0 && (
                <div class="fields-2">
                  <label class="stack small">
                    <span>Shows from <strong>{formatTime(start)}</strong></span>
                    <input type="range" class="scrubber" min={0} max={durationMs} step={step} value={start}
                      aria-valuetext={formatTime(start)}
                      onInput={(e) => {
                        const v = Number(e.currentTarget.value);
                        set(i, { start_ms: v, end_ms: Math.max(end, v + step) });
                        seek?.(v);
                      }} />
                  </label>
                  <label class="stack small">
                    <span>until <strong>{formatTime(end)}</strong></span>
                    <input type="range" class="scrubber" min={0} max={durationMs} step={step} value={end}
                      aria-valuetext={formatTime(end)}
                      onInput={(e) => {
                        const v = Number(e.currentTarget.value);
                        set(i, { end_ms: v, start_ms: Math.min(start, Math.max(0, v - step)) });
                        seek?.(v);
                      }} />
                  </label>
                </div>
              )}
              {err && <p class="field__error">{err}</p>}
            </li>
          );
        })}
      </ul>
      <ProductPicker
        open={picking}
        exclude={pins.map((p) => p.product_id)}
        onClose={() => setPicking(false)}
        onPick={(id, title) => {
          onChange([...pins, { product_id: id, title, start_ms: null, end_ms: null }]);
          setPicking(false);
        }}
      />
    </section>
  );
}

function ProductPicker({ open, exclude, onClose, onPick }: { open: boolean; exclude: string[]; onClose: () => void; onPick: (id: string, title: string) => void }) {
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const found = useLoad(
    (signal) => (open ? searchProducts({ q: query || undefined, in_stock: true, limit: 30 }, signal) : Promise.resolve(undefined)),
    [open, query],
  );
  return (
    <Sheet open={open} title="Pin a product" onClose={onClose}>
      <form class="search" role="search" onSubmit={(e) => { e.preventDefault(); setQuery(q.trim()); }}>
        <label class="visually-hidden" for="pin-q">Search active products</label>
        <input id="pin-q" type="search" placeholder="Search active products" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button class="btn">Search</button>
      </form>
      {found.error !== undefined && <FormError text={message(found.error)} />}
      <ul class="list">
        {found.data?.items.filter((p) => !exclude.includes(p.id)).map((p) => (
          <li key={p.id}>
            <button type="button" class="list__item" style={{ width: "100%", border: 0, textAlign: "left", cursor: "pointer" }} onClick={() => onPick(p.id, p.title)}>
              {p.images[0] ? <img class="thumb" src={p.images[0].url} alt="" /> : <span class="thumb" aria-hidden="true" />}
              <span class="grow">
                <strong>{p.title}</strong>
                <span class="muted small" style={{ display: "block" }}>{p.shop_name} · {formatMoney(p.price_min)} · {(p.commission_bps / 100).toFixed(1)}% commission</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      {found.data?.items.length === 0 && <p class="muted">No active products match.</p>}
    </Sheet>
  );
}

/** pinsForAPI turns drafts into the API's ProductLink list. */
export function pinsForAPI(pins: PinDraft[]) {
  // Both 0 pins to the whole video.
  return pins.map((p) => (p.start_ms === null || p.end_ms === null ? { product_id: p.product_id, start_ms: 0, end_ms: 0 } : { product_id: p.product_id, start_ms: Math.round(p.start_ms), end_ms: Math.round(p.end_ms) }));
}
