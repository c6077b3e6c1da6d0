// One of the creator's videos: its processing progress until it is ready,
// then the video, its pins (editable) and its numbers.
import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { ApiError, fieldErrors, message } from "../lib/problem";
import type { Params } from "../lib/route";
import { FormError } from "../ui/Field";
import { Loading, Page } from "../ui/Page";
import { Link, navigate } from "../ui/router";
import { toast } from "../ui/toast";
import { useLoad } from "../ui/useLoad";
import { Player } from "../watch/Player";
import type { PinDraft } from "./draft";
import { PinEditor, pinsForAPI } from "./PinEditor";
import { VideoStats, VideoStatus } from "./Studio";
import { VideoAnalytics } from "./VideoAnalytics";

export function StudioVideo({ params }: { params: Params }) {
  const video = useLoad(() => ok(api.GET("/api/v1/videos/{id}", { params: { path: { id: params.id! } } })), [params.id]);
  const [pins, setPins] = useState<PinDraft[] | null>(null);
  const [err, setErr] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const v = video.data;

  useEffect(() => {
    if (v?.status !== "processing") return;
    const t = setInterval(() => void video.reload(), 1500);
    return () => clearInterval(t);
  }, [v?.status, video.reload]);

  if (video.error) return <Page title="Video" back><FormError text={message(video.error)} /></Page>;
  if (!v) return <Page title="Video" back><Loading /></Page>;
  const current = pins ?? v.products.map((p) => ({ product_id: p.product_id, title: p.title, start_ms: p.start_ms, end_ms: p.end_ms }));

  async function savePins() {
    setBusy(true);
    setErr(undefined);
    try {
      video.set(await ok(api.PUT("/api/v1/videos/{id}/products", { params: { path: { id: v!.id } }, body: { products: pinsForAPI(current) } })));
      setPins(null);
      toast("Products saved");
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!confirm("Delete this video for good?")) return;
    try {
      await ok(api.DELETE("/api/v1/videos/{id}", { params: { path: { id: v!.id } } }));
      toast("Video deleted");
      navigate("/studio", { replace: true });
    } catch (e) {
      setErr(e instanceof ApiError ? e : undefined);
    }
  }

  return (
    <Page title={v.caption || "Your video"} back>
      <div class="row row--between">
        <VideoStatus v={v} />
        {v.status === "ready" && <Link href={"/v/" + v.id}>Open in the feed</Link>}
      </div>
      {v.status === "processing" && (
        <div class="section stack" role="status" aria-live="polite">
          <div class="progress" role="progressbar" aria-label="Processing" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(v.progress * 100)}>
            <span style={{ width: Math.round(v.progress * 100) + "%" }} />
          </div>
          <p class="muted">Making the streams for every screen size… {Math.round(v.progress * 100)}%</p>
        </div>
      )}
      {v.status === "failed" && <p class="notice notice--err" role="alert">{v.error ?? "Processing failed."}</p>}
      {v.status === "ready" && v.hls_url && (
        <div class="section" style={{ position: "relative", aspectRatio: "9 / 16", maxHeight: "60vh", margin: "16px auto", borderRadius: "14px", overflow: "hidden" }}>
          <Player src={v.hls_url} poster={v.poster_url} active={false} load muted={false} controls label="Your video" />
        </div>
      )}
      <VideoStats v={v} />
      {v.status === "ready" && <VideoAnalytics videoId={v.id} />}
      {v.status !== "failed" && (
        <section class="section">
          <PinEditor pins={current} onChange={setPins} durationMs={v.duration_ms ?? 0} errors={fieldErrors(err?.problem)} />
          {pins && (
            <button type="button" class="btn btn--primary" disabled={busy} onClick={savePins}>
              Save products
            </button>
          )}
        </section>
      )}
      <FormError text={err && !err.problem.errors?.length ? message(err) : undefined} />
      <button type="button" class="btn btn--danger" onClick={remove}>Delete video</button>
    </Page>
  );
}
