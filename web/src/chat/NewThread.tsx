// Opening a conversation from an "Ask" button, then showing it.
import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { message } from "../lib/problem";
import { FormError } from "../ui/Field";
import { Loading, Page } from "../ui/Page";
import { navigate, useLocation } from "../ui/router";

export function NewThread() {
  const { query } = useLocation();
  const [err, setErr] = useState<string>();
  useEffect(() => {
    const peer = { type: query.get("peer_type") === "shop" ? ("shop" as const) : ("user" as const), id: query.get("peer_id") ?? "" };
    const ct = query.get("context_type");
    const context = ct === "product" || ct === "order" || ct === "video" ? { type: ct as "product" | "order" | "video", id: query.get("context_id") ?? "" } : undefined;
    ok(api.POST("/api/v1/threads", { body: { peer, ...(context ? { context } : {}) } }))
      .then((t) => navigate("/inbox/" + t.id, { replace: true }))
      .catch((e) => setErr(message(e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return <Page title="Conversation" back>{err ? <FormError text={err} /> : <Loading label="Opening the conversation" />}</Page>;
}
