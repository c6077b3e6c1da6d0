import type { Order } from "../api/client";

const label: Record<Order["state"], [string, string]> = {
  pending_payment: ["Awaiting payment", "badge--warn"],
  paid: ["Paid · to ship", "badge--ok"],
  shipped: ["Shipped", "badge--ok"],
  completed: ["Completed", "badge--muted"],
  cancelled: ["Cancelled", "badge--err"],
  refunded: ["Refunded", "badge--err"],
};

export function OrderStatus({ state }: { state: Order["state"] }) {
  const [text, cls] = label[state];
  return <span class={"badge " + cls}>{text}</span>;
}

export function stateText(state: Order["state"]): string {
  return label[state][0];
}
