// The app's one event batcher: watch events go to POST /videos/{id}/events,
// due batches every few seconds, everything when the page is hidden (with
// keepalive, so the request outlives the tab).
import { api, ok } from "../api/client";
import { EventBatcher } from "../lib/events";

export const batcher = new EventBatcher(async (videoId, events, { keepalive }) => {
  const body = { events: events.map((e) => ({ ...e, position_ms: e.position_ms ?? 0, watched_ms: e.watched_ms ?? 0 })) };
  await ok(api.POST("/api/v1/videos/{id}/events", { params: { path: { id: videoId } }, body, keepalive }));
});

let started = false;

/** startSending begins the periodic flush and the page-hide flush, once. */
export function startSending(onHide: () => void) {
  if (started) return;
  started = true;
  setInterval(() => {
    for (const id of batcher.due()) void batcher.flush(id).catch(() => undefined);
  }, 3000);
  const hide = () => {
    onHide();
    void batcher.flushAll(true);
  };
  addEventListener("pagehide", hide);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") hide();
  });
}
