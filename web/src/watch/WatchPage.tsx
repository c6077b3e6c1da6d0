// One video at its own address (/v/:id): what a shared link opens.
import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { message } from "../lib/problem";
import type { Params } from "../lib/route";
import { ProductSheet } from "../product/ProductSheet";
import { FormError } from "../ui/Field";
import { Loading, Page } from "../ui/Page";
import { useLoad } from "../ui/useLoad";
import { Reel } from "./Reel";

export function WatchPage({ params }: { params: Params }) {
  const video = useLoad((signal) => ok(api.GET("/api/v1/videos/{id}", { params: { path: { id: params.id! } }, signal })), [params.id]);
  const [product, setProduct] = useState<string | null>(null);
  useEffect(() => {
    if (video.data) document.title = `${video.data.creator.display_name} · Reelmart`;
  }, [video.data]);
  if (video.error) return <Page title="Video" back><FormError text={message(video.error)} /></Page>;
  if (!video.data) return <Page title="Video" back><Loading /></Page>;
  return (
    <main class="feed" id="main" aria-label="Video">
      <h1 class="visually-hidden">Video by {video.data.creator.display_name}</h1>
      <Reel video={video.data} active={product === null} load onOpenProduct={setProduct} />
      <ProductSheet productId={product} sourceVideoId={video.data.id} onClose={() => setProduct(null)} />
    </main>
  );
}
