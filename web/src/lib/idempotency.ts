// Idempotency keys for purchases, top-ups and refunds. One intended
// operation keeps one key until it has an answer that settles it, across
// retries and across a reload, so the server can recognise a repeat and
// answer it with the first outcome instead of doing the work twice.

/** KeyStore is the part of Web Storage the keys need. */
export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  readonly length: number;
  key(index: number): string | null;
}

interface Entry {
  key: string;
  at: number;
}

/** ttlMs is how long an unsettled key is kept: a day, like a forgotten checkout tab. */
const TTL_MS = 24 * 60 * 60 * 1000;
const PREFIX = "reelmart.idem.";

export class IntentKeys {
  constructor(
    private readonly store: KeyStore,
    private readonly newKey: () => string = () => crypto.randomUUID(),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * keyFor returns the key of an intent, making one the first time. intent
   * names the operation and everything that makes it this operation (its
   * path and body): the same intent after a reload gets the same key.
   */
  keyFor(intent: string): string {
    const id = PREFIX + fingerprint(intent);
    const raw = this.store.getItem(id);
    if (raw) {
      try {
        const e = JSON.parse(raw) as Entry;
        if (typeof e.key === "string" && this.now() - e.at < TTL_MS) return e.key;
      } catch {
        // unreadable: replaced below
      }
    }
    const key = this.newKey();
    this.store.setItem(id, JSON.stringify({ key, at: this.now() } satisfies Entry));
    return key;
  }

  /** settle forgets an intent once its outcome is known, so doing it again is a new operation. */
  settle(intent: string): void {
    this.store.removeItem(PREFIX + fingerprint(intent));
  }

  /** sweep drops keys older than the TTL. */
  sweep(): void {
    const stale: string[] = [];
    for (let i = 0; i < this.store.length; i++) {
      const id = this.store.key(i);
      if (!id?.startsWith(PREFIX)) continue;
      try {
        const e = JSON.parse(this.store.getItem(id) ?? "") as Entry;
        if (this.now() - e.at >= TTL_MS) stale.push(id);
      } catch {
        stale.push(id);
      }
    }
    for (const id of stale) this.store.removeItem(id);
  }
}

/** fingerprint is a short stable hash of s (FNV-1a, 64 bits as two halves). */
export function fingerprint(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x01000193 + 2) >>> 0;
  }
  return h1.toString(36) + h2.toString(36);
}
