// A product at its own address (/p/:id), for links and for shopping outside the feed.
import { useCallback, useState } from "preact/hooks";
import type { Params } from "../lib/route";
import { Page } from "../ui/Page";
import { useLocation } from "../ui/router";
import { ProductView } from "./ProductView";

export function ProductPage({ params }: { params: Params }) {
  const { query } = useLocation();
  const [title, setTitle] = useState("Product");
  const onStep = useCallback((t: string) => setTitle(t), []);
  return (
    <Page title={title} back>
      <ProductView productId={params.id!} sourceVideoId={query.get("video")} onStep={onStep} />
    </Page>
  );
}
