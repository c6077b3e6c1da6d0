// Paging the swipe feed, and which videos get a player: the one on screen
// plays, the next one preloads, the one just left keeps its buffer for a
// swipe back, and every other one holds nothing.

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Entry<T> {
  /** key is unique in the list even when the server offers a video again. */
  key: string;
  item: T;
}

export class FeedPager<T extends { id: string }> {
  entries: Entry<T>[] = [];
  cursor: string | null | undefined = undefined; // undefined: nothing loaded yet
  loading = false;
  private seen = new Map<string, number>();

  /** ended says the server has nothing more. */
  get ended(): boolean {
    return this.cursor === null;
  }

  /**
   * wants says whether to fetch the next page now: when the viewer is within
   * ahead items of the end, nothing is in flight, and more exists.
   */
  wants(index: number, ahead = 3): boolean {
    return !this.loading && !this.ended && index >= this.entries.length - ahead;
  }

  /**
   * append adds a page. A video the server offers again (it does once the
   * ranked list runs out) gets a new key, but not right after itself.
   */
  append(page: Page<T>): number {
    let added = 0;
    for (const item of page.items) {
      const last = this.entries[this.entries.length - 1];
      if (last && last.item.id === item.id) continue;
      const n = (this.seen.get(item.id) ?? 0) + 1;
      this.seen.set(item.id, n);
      this.entries.push({ key: n === 1 ? item.id : `${item.id}#${n}`, item });
      added++;
    }
    this.cursor = page.next_cursor;
    return added;
  }
}

export type PlayerRole = "play" | "preload" | "keep" | "none";

/** role says what the player at index does while active is on screen. */
export function role(index: number, active: number): PlayerRole {
  if (index === active) return "play";
  if (index === active + 1) return "preload";
  if (index === active - 1) return "keep";
  return "none";
}

/** nearest is the index of the entry whose top is closest to scrollTop, for scroll snapping by any input. */
export function nearest(scrollTop: number, height: number, count: number): number {
  if (height <= 0 || count === 0) return 0;
  return Math.max(0, Math.min(count - 1, Math.round(scrollTop / height)));
}
