// The swipe feed: full-height videos that snap one at a time, by touch,
// wheel or the arrow keys; the one on screen plays (muted until a tap), the
// next one preloads; pages load ahead; watch events go out in batches.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { useSession } from "../account/session";
import { Meter } from "../lib/events";
import { FeedPager, nearest, role } from "../lib/feed";
import { message } from "../lib/problem";
import { ProductSheet } from "../product/ProductSheet";
import { FormError } from "../ui/Field";
import { IconComment, IconHeart } from "../ui/icons";
import { Loading } from "../ui/Page";
import { navigate } from "../ui/router";
import { Reel } from "../watch/Reel";
import { Comments } from "./Comments";
import { batcher, startSending } from "./events";

type Item = Schemas["FeedItem"];

function count(n: number): string {
  return n >= 1_000_000 ? (n / 1_000_000).toFixed(1) + "M" : n >= 1000 ? (n / 1000).toFixed(1) + "K" : String(n);
}

export function Feed() {
  const { user } = useSession();
  const pager = useRef(new FeedPager<Item>());
  const [, render] = useState(0);
  const [active, setActive] = useState(0);
  const [err, setErr] = useState<unknown>();
  const [product, setProduct] = useState<string | null>(null);
  const [comments, setComments] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const meter = useRef<{ id: string; m: Meter; pos: number; at: number } | null>(null);

  const patch = useCallback((id: string, f: (v: Item) => Item) => {
    for (const e of pager.current.entries) if (e.item.id === id) e.item = f(e.item);
    render((n) => n + 1);
  }, []);

  const more = useCallback(async () => {
    const p = pager.current;
    if (p.loading || p.ended) return;
    p.loading = true;
    try {
      const page = await ok(api.GET("/api/v1/feed", { params: { query: { limit: 8, cursor: p.cursor ?? undefined } } }));
      p.append(page);
      setErr(undefined);
    } catch (e) {
      setErr(e);
    } finally {
      p.loading = false;
      render((n) => n + 1);
    }
  }, []);

  useEffect(() => {
    document.title = "Reelmart";
    void more();
    startSending(() => {
      const cur = meter.current;
      if (cur) cur.m.checkpoint(cur.pos);
    });
  }, [more]);

  const entries = pager.current.entries;
  const current = entries[active]?.item;

  useEffect(() => {
    if (pager.current.wants(active)) void more();
  }, [active, entries.length, more]);

  // A new video on screen: the last one's watch time goes out now.
  useEffect(() => {
    const prev = meter.current;
    if (prev && prev.id !== current?.id) {
      prev.m.stop(prev.pos);
      void batcher.flush(prev.id).catch(() => undefined);
    }
    if (current && prev?.id !== current.id) {
      const id = current.id;
      meter.current = { id, m: new Meter((e) => batcher.record(id, e)), pos: 0, at: performance.now() };
    }
  }, [current]);

  const go = useCallback((i: number) => {
    const el = box.current;
    if (!el) return;
    const target = Math.max(0, Math.min(pager.current.entries.length - 1, i));
    const reduce = matchMedia("(prefers-reduced-motion: reduce)").matches;
    el.scrollTo({ top: target * el.clientHeight, behavior: reduce ? "auto" : "smooth" });
  }, []);

  function onKey(e: KeyboardEvent) {
    if (product || comments) return;
    if (e.key === "ArrowDown" || e.key === "PageDown" || e.key === "j") {
      e.preventDefault();
      go(active + 1);
    } else if (e.key === "ArrowUp" || e.key === "PageUp" || e.key === "k") {
      e.preventDefault();
      go(active - 1);
    }
  }

  function onScroll() {
    const el = box.current;
    if (!el) return;
    const i = nearest(el.scrollTop, el.clientHeight, pager.current.entries.length);
    if (i !== active) setActive(i);
  }

  async function like(v: Item) {
    if (!user) return navigate("/signin?next=/");
    const path = { params: { path: { id: v.id } } };
    try {
      const s = await ok(v.liked ? api.DELETE("/api/v1/videos/{id}/like", path) : api.PUT("/api/v1/videos/{id}/like", path));
      patch(v.id, (x) => ({ ...x, liked: s.liked, stats: { ...x.stats, likes: s.likes } }));
    } catch (e) {
      setErr(e);
    }
  }

  async function follow(v: Item) {
    if (!user) return navigate("/signin?next=/");
    const path = { params: { path: { id: v.creator.id } } };
    try {
      const p = await ok(v.creator.is_following ? api.DELETE("/api/v1/users/{id}/follow", path) : api.PUT("/api/v1/users/{id}/follow", path));
      for (const e of pager.current.entries) if (e.item.creator.id === v.creator.id) e.item = { ...e.item, creator: { ...e.item.creator, is_following: p.is_following } };
      render((n) => n + 1);
    } catch (e) {
      setErr(e);
    }
  }

  return (
    <main class="feed" id="main" ref={box} tabIndex={0} aria-label="Feed: use the arrow keys to move between videos" onScroll={onScroll} onKeyDown={onKey}>
      <h1 class="visually-hidden">Feed</h1>
      {entries.length === 0 && !err && <div class="reel"><Loading label="Loading videos" /></div>}
      {entries.length === 0 && pager.current.ended && <div class="reel reel__state">No videos yet. Be the first: upload one from the Studio.</div>}
      {entries.map((e, i) => {
        const v = e.item;
        const r = role(i, active);
        const on = r === "play" && !product && !comments;
        return (
          <Reel
            key={e.key}
            video={v}
            active={on}
            load={r !== "none"}
            onOpenProduct={(pid) => {
              batcher.record(v.id, { type: "product_click", product_id: pid, position_ms: Math.round(meter.current?.pos ?? 0) });
              setProduct(pid);
            }}
            onShare={() => batcher.record(v.id, { type: "share", position_ms: Math.round(meter.current?.pos ?? 0) })}
            onTime={(ms, dur) => {
              const cur = meter.current;
              if (!cur || cur.id !== v.id || r !== "play") return;
              const now = performance.now();
              cur.m.tick(ms, dur, now - cur.at);
              cur.pos = ms;
              cur.at = now;
            }}
            creatorExtra={
              user?.id !== v.creator.id && (
                <button type="button" class="btn btn--small follow" aria-pressed={v.creator.is_following} onClick={() => follow(v)}>
                  {v.creator.is_following ? "Following" : "Follow"}
                </button>
              )
            }
            rail={
              <>
                <button type="button" class="rail-btn" aria-pressed={v.liked} aria-label={`Like, ${v.stats.likes} likes`} onClick={() => like(v)}>
                  <span><IconHeart /></span>
                  <span aria-hidden="true">{count(v.stats.likes)}</span>
                </button>
                <button type="button" class="rail-btn" aria-label={`Comments, ${v.stats.comments}`} onClick={() => setComments(v.id)}>
                  <span><IconComment /></span>
                  <span aria-hidden="true">{count(v.stats.comments)}</span>
                </button>
              </>
            }
          />
        );
      })}
      {err !== undefined && (
        <div class="reel reel__state" style={{ pointerEvents: "auto" }}>
          <div class="stack center">
            <FormError text={message(err)} />
            <button type="button" class="btn" onClick={() => void more()}>Try again</button>
          </div>
        </div>
      )}
      <ProductSheet productId={product} sourceVideoId={current?.id} onClose={() => setProduct(null)} />
      <Comments videoId={comments} onClose={() => setComments(null)} onCount={(d) => comments && patch(comments, (x) => ({ ...x, stats: { ...x.stats, comments: x.stats.comments + d } }))} />
    </main>
  );
}
