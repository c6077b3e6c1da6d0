// The creator's home: their videos (processing ones with their progress),
// a way to upload, earnings, and their shops.
import { useEffect } from "preact/hooks";
import { api, ok, type Video } from "../api/client";
import { useSession } from "../account/session";
import { formatMoney } from "../lib/money";
import { message } from "../lib/problem";
import { FormError } from "../ui/Field";
import { IconUpload } from "../ui/icons";
import { Empty, Loading, Page } from "../ui/Page";
import { Link } from "../ui/router";
import { useLoad } from "../ui/useLoad";

export function VideoStatus({ v }: { v: Video }) {
  if (v.status === "ready") return <span class="badge badge--ok">Ready</span>;
  if (v.status === "failed") return <span class="badge badge--err">Failed</span>;
  return <span class="badge badge--warn">Processing {Math.round(v.progress * 100)}%</span>;
}

export function Studio() {
  const { user } = useSession();
  const videos = useLoad(() => ok(api.GET("/api/v1/users/{id}/videos", { params: { path: { id: user!.id }, query: { limit: 50 } } })), [user?.id]);
  const earnings = useLoad(() => ok(api.GET("/api/v1/me/earnings")), []);
  const processing = videos.data?.items.some((v) => v.status === "processing");

  // While something is processing, look again every few seconds.
  useEffect(() => {
    if (!processing) return;
    const t = setInterval(() => void videos.reload(), 3000);
    return () => clearInterval(t);
  }, [processing, videos.reload]);

  return (
    <Page title="Studio" actions={<Link class="btn btn--primary btn--small" href="/studio/upload"><IconUpload /> Upload</Link>}>
      <section class="stats" aria-label="Earnings">
        <Link class="stat" href="/studio/earnings">
          <span class="muted small">Pending commission</span>
          <strong>{earnings.data ? formatMoney(earnings.data.pending) : "…"}</strong>
        </Link>
        <Link class="stat" href="/studio/earnings">
          <span class="muted small">Earned</span>
          <strong>{earnings.data ? formatMoney(earnings.data.settled) : "…"}</strong>
        </Link>
        <Link class="stat" href="/merchant">
          <span class="muted small">Selling?</span>
          <strong>Your shops</strong>
        </Link>
      </section>
      <section class="section">
        <h2>Your videos</h2>
        {videos.error !== undefined && <FormError text={message(videos.error)} />}
        {!videos.data && !videos.error && <Loading />}
        {videos.data?.items.length === 0 && (
          <Empty>
            <p>No videos yet.</p>
            <Link class="btn btn--primary" href="/studio/upload">Upload your first video</Link>
          </Empty>
        )}
        <ul class="list" aria-label="Your videos">
          {videos.data?.items.map((v) => (
            <li key={v.id}>
              <Link class="list__item" href={"/studio/videos/" + v.id}>
                {v.poster_url ? <img class="thumb thumb--tall" src={v.poster_url} alt="" /> : <span class="thumb thumb--tall" aria-hidden="true" />}
                <div class="grow">
                  <strong class="clamp">{v.caption || "Untitled video"}</strong>
                  <div class="muted small">{new Date(v.created_at).toLocaleDateString()} · {v.products.length} products</div>
                  <VideoStats v={v} />
                </div>
                <VideoStatus v={v} />
              </Link>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}

/** VideoStats shows the counters the API gives a video, when it gives them. */
export function VideoStats({ v }: { v: Video }) {
  const s = (v as { stats?: Record<string, number> }).stats;
  if (!s) return null;
  const parts = [["views", s.views], ["likes", s.likes], ["comments", s.comments]].filter(([, n]) => typeof n === "number");
  return <div class="muted small">{parts.map(([k, n]) => `${n} ${k}`).join(" · ")}</div>;
}
