// "Ask" on a product, an order or a creator: opens the one conversation
// with that shop or person, starting with a card of what it is about.
import { navigate } from "../ui/router";

export interface AskProps {
  peer: { type: "user" | "shop"; id: string };
  context?: { type: "product" | "order" | "video"; id: string };
  label: string;
  class?: string;
}

export function AskButton({ peer, context, label, class: cls }: AskProps) {
  const q = new URLSearchParams({ peer_type: peer.type, peer_id: peer.id });
  if (context) {
    q.set("context_type", context.type);
    q.set("context_id", context.id);
  }
  return (
    <button type="button" class={cls ?? "btn btn--ghost btn--block"} onClick={() => navigate("/inbox/new?" + q.toString())}>
      {label}
    </button>
  );
}
