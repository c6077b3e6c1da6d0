// Watch events, measured from playback and sent in batches as the events
// API expects: a view when a video starts, progress with the time watched
// since the last event, complete each time it plays to the end, share and
// product clicks as they happen. Each event has its id from the start, so a
// batch that failed is sent again as it was and the server drops repeats.

import { ApiError } from "./problem";

/** refused says whether the server turned a batch down for good. */
function refused(e: unknown): boolean {
  return e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429;
}

export type EventType = "view" | "progress" | "complete" | "share" | "product_click";

export interface WatchEvent {
  event_id: string;
  type: EventType;
  position_ms?: number;
  watched_ms?: number;
  product_id?: string;
}

export type Sender = (videoId: string, events: WatchEvent[], opts: { keepalive: boolean }) => Promise<void>;

/** MAX_BATCH is the events API's limit per request. */
export const MAX_BATCH = 50;
/** FLUSH_MS is how often a playing video's events go out; the API credits watch time per batch. */
export const FLUSH_MS = 15_000;

export class EventBatcher {
  private queues = new Map<string, WatchEvent[]>();
  private oldest = new Map<string, number>();
  private inFlight = new Set<string>();

  constructor(
    private readonly send: Sender,
    private readonly now: () => number = Date.now,
    private readonly newId: () => string = () => crypto.randomUUID(),
  ) {}

  /** record queues an event for videoId and returns it with its id. */
  record(videoId: string, e: Omit<WatchEvent, "event_id">): WatchEvent {
    const ev = { event_id: this.newId(), ...e };
    const q = this.queues.get(videoId) ?? [];
    q.push(ev);
    this.queues.set(videoId, q);
    if (!this.oldest.has(videoId)) this.oldest.set(videoId, this.now());
    return ev;
  }

  /** pending is how many events wait for videoId (or for all videos). */
  pending(videoId?: string): number {
    if (videoId !== undefined) return this.queues.get(videoId)?.length ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** due lists the videos whose oldest waiting event is FLUSH_MS old. */
  due(): string[] {
    const t = this.now();
    return [...this.oldest].filter(([, at]) => t - at >= FLUSH_MS).map(([id]) => id);
  }

  /**
   * flush sends what waits for videoId, in batches of MAX_BATCH. A batch that
   * fails goes back to the front of the queue with the same event ids,
   * unless the server refused it for good.
   * keepalive lets the request outlive the page (pagehide).
   */
  async flush(videoId: string, keepalive = false): Promise<void> {
    if (this.inFlight.has(videoId)) return;
    const q = this.queues.get(videoId);
    if (!q || q.length === 0) return;
    this.queues.delete(videoId);
    this.oldest.delete(videoId);
    this.inFlight.add(videoId);
    try {
      for (let i = 0; i < q.length; i += MAX_BATCH) {
        const batch = q.slice(i, i + MAX_BATCH);
        try {
          await this.send(videoId, batch, { keepalive });
        } catch (e) {
          // A batch the server refused (a video gone or hidden: 422; any
          // other 4xx but 429) would be refused again: it is dropped, and
          // the rest wait for the next flush.
          const rest = q.slice(refused(e) ? i + MAX_BATCH : i);
          this.queues.set(videoId, [...rest, ...(this.queues.get(videoId) ?? [])]);
          this.oldest.set(videoId, this.now());
          throw e;
        }
      }
    } finally {
      this.inFlight.delete(videoId);
    }
  }

  /** flushAll sends everything, for page hide; failures stay queued. */
  async flushAll(keepalive = false): Promise<void> {
    await Promise.allSettled([...this.queues.keys()].map((id) => this.flush(id, keepalive)));
  }
}

/**
 * Meter turns a video's playback into events: it counts the time actually
 * played (position moving forward at about real speed, loops included, not
 * seeks), a view when playback starts, and complete when it wraps.
 */
export class Meter {
  private last: number | null = null;
  private watched = 0;
  private viewed = false;

  constructor(private readonly emit: (e: Omit<WatchEvent, "event_id">) => void) {}

  /** tick is called on every timeupdate with the position and the duration. */
  tick(positionMs: number, durationMs: number, elapsedMs: number) {
    if (!this.viewed) {
      this.viewed = true;
      this.emit({ type: "view", position_ms: Math.round(positionMs) });
    }
    if (this.last !== null) {
      const delta = positionMs - this.last;
      if (delta >= 0 && delta <= elapsedMs + 1000) {
        this.watched += delta;
      } else if (delta < 0 && durationMs > 0 && this.last > durationMs - 1500 && positionMs < 1500) {
        // It looped: the end was reached.
        this.watched += durationMs - this.last + positionMs;
        this.emit({ type: "complete", position_ms: Math.round(durationMs), watched_ms: this.take() });
      }
    }
    this.last = positionMs;
  }

  /** checkpoint emits progress with the time watched since the last event, if any. */
  checkpoint(positionMs: number) {
    const w = this.take();
    if (w > 0) this.emit({ type: "progress", position_ms: Math.round(positionMs), watched_ms: w });
  }

  /** stop ends a stretch of playback (the video left the screen): progress, and the next start is not a jump. */
  stop(positionMs: number) {
    this.checkpoint(positionMs);
    this.last = null;
  }

  private take(): number {
    const w = Math.min(600_000, Math.round(this.watched));
    this.watched = 0;
    return w;
  }
}
