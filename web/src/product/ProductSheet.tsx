// The product over the video: a sheet, so the video stays where it was.
import { useCallback, useState } from "preact/hooks";
import { Sheet } from "../ui/Sheet";
import { ProductView } from "./ProductView";

interface Props {
  productId: string | null;
  sourceVideoId?: string | null;
  onClose: () => void;
}

export function ProductSheet({ productId, sourceVideoId, onClose }: Props) {
  const [title, setTitle] = useState("Product");
  const onStep = useCallback((t: string) => setTitle(t), []);
  return (
    <Sheet open={productId !== null} title={title} onClose={onClose}>
      {productId && <ProductView key={productId} productId={productId} sourceVideoId={sourceVideoId} onStep={onStep} />}
    </Sheet>
  );
}
