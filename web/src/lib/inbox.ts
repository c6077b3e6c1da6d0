// The chat inbox over a WebSocket that drops: every event carries the
// user's gapless inbox seq, so the client applies each seq once, in order,
// and reconnects with ?since= the last one it applied; the server replays
// what came after. Nothing is lost and nothing is shown twice.

export interface InboxEvent {
  type: string;
  seq: number;
}

export type Apply = "applied" | "duplicate" | "gap";

export class InboxCursor {
  constructor(public seq: number = 0) {}

  /**
   * accept decides what to do with an event: apply it (the next seq),
   * drop it (seen already, e.g. replayed after a reconnect), or resync (a
   * seq was skipped, which a correct server never does).
   */
  accept(e: InboxEvent): Apply {
    if (e.seq <= this.seq) return "duplicate";
    if (e.seq !== this.seq + 1) return "gap";
    this.seq = e.seq;
    return "applied";
  }
}

/** backoff is the wait before reconnect attempt n (0-based): 0.5 s doubling to 15 s, with jitter so clients spread out. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** attempt);
  return Math.round(base / 2 + (random() * base) / 2);
}

/** socketURL is the WebSocket address for since, on the page's own origin. */
export function socketURL(loc: { protocol: string; host: string }, since: number | null): string {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/api/v1/ws` + (since !== null ? `?since=${since}` : "");
}

export interface MessageLike {
  id: string;
  seq: number;
  client_msg_id?: string | null;
}

/**
 * mergeMessages puts incoming messages into a thread's list, ordered by seq,
 * each once: by id, and an optimistic local copy (seq 0) is replaced by the
 * stored message with the same client_msg_id.
 */
export function mergeMessages<M extends MessageLike>(list: readonly M[], incoming: readonly M[]): M[] {
  const byId = new Map<string, M>();
  const pending = new Map<string, M>();
  for (const m of list) {
    if (m.seq === 0 && m.client_msg_id) pending.set(m.client_msg_id, m);
    else byId.set(m.id, m);
  }
  for (const m of incoming) {
    if (m.client_msg_id) pending.delete(m.client_msg_id);
    if (m.seq === 0 && m.client_msg_id) pending.set(m.client_msg_id, m);
    else byId.set(m.id, m);
  }
  return [...[...byId.values()].sort((a, b) => a.seq - b.seq), ...pending.values()];
}
