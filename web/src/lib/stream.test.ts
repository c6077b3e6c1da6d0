import { describe, expect, test } from "vitest";
import { EventBatcher, FLUSH_MS, MAX_BATCH, Meter, type WatchEvent } from "./events";
import { FeedPager, nearest, role } from "./feed";
import { backoff, InboxCursor, mergeMessages, socketURL } from "./inbox";
import { ApiError } from "./problem";

describe("feed paging", () => {
  test("asks for the next page near the end, once at a time, until the server has none", () => {
    const p = new FeedPager<{ id: string }>();
    expect(p.wants(0)).toBe(true);
    p.loading = true;
    expect(p.wants(0)).toBe(false);
    p.loading = false;
    p.append({ items: [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }, { id: "e" }], next_cursor: "c1" });
    expect(p.wants(0)).toBe(false);
    expect(p.wants(2)).toBe(true);
    p.append({ items: [{ id: "f" }], next_cursor: null });
    expect(p.ended).toBe(true);
    expect(p.wants(5)).toBe(false);
  });

  test("a video offered again gets its own key, never twice in a row", () => {
    const p = new FeedPager<{ id: string }>();
    p.append({ items: [{ id: "a" }, { id: "b" }], next_cursor: "x" });
    p.append({ items: [{ id: "b" }, { id: "a" }, { id: "c" }], next_cursor: "y" });
    expect(p.entries.map((e) => e.key)).toEqual(["a", "b", "a#2", "c"]);
  });

  test("players: play, preload the next, keep the last, nothing further", () => {
    expect([0, 1, 2, 3, 4].map((i) => role(i, 2))).toEqual(["none", "keep", "play", "preload", "none"]);
    expect(nearest(1290, 844, 5)).toBe(2);
    expect(nearest(99999, 844, 5)).toBe(4);
    expect(nearest(0, 0, 5)).toBe(0);
  });
});

describe("event batching", () => {
  test("events wait, are due after the interval, and go out in batches of the API's size", async () => {
    let now = 0;
    let n = 0;
    const sent: [string, WatchEvent[], boolean][] = [];
    const b = new EventBatcher(async (v, evs, o) => void sent.push([v, evs, o.keepalive]), () => now, () => "e" + ++n);
    b.record("v1", { type: "view", position_ms: 0 });
    now = FLUSH_MS - 1;
    expect(b.due()).toEqual([]);
    now = FLUSH_MS;
    expect(b.due()).toEqual(["v1"]);
    for (let i = 0; i < MAX_BATCH + 10; i++) b.record("v1", { type: "progress", watched_ms: 10 });
    await b.flush("v1");
    expect(sent.map((s) => s[1].length)).toEqual([MAX_BATCH, 11]);
    expect(b.pending()).toBe(0);
    expect(b.due()).toEqual([]);
  });

  test("a failed batch is sent again with the same event ids; page hide uses keepalive", async () => {
    let fail = true;
    const sent: WatchEvent[][] = [];
    const keep: boolean[] = [];
    let n = 0;
    const b = new EventBatcher(async (_v, evs, o) => {
      if (fail) throw new Error("offline");
      sent.push(evs);
      keep.push(o.keepalive);
    }, () => 0, () => "id" + ++n);
    b.record("v1", { type: "view" });
    b.record("v1", { type: "share" });
    await expect(b.flush("v1")).rejects.toThrow();
    expect(b.pending("v1")).toBe(2);
    b.record("v1", { type: "progress", watched_ms: 5 });
    fail = false;
    await b.flushAll(true);
    expect(sent[0]!.map((e) => e.event_id)).toEqual(["id1", "id2", "id3"]);
    expect(keep).toEqual([true]);
  });

  test("a batch the server refuses for good is dropped, not sent forever", async () => {
    let status = 422;
    const sent: WatchEvent[][] = [];
    let n = 0;
    const b = new EventBatcher(async (_v, evs) => {
      if (status !== 202) {
        throw new ApiError({ type: "about:blank", title: "x", status, code: status === 429 ? "too_many_events" : "validation_failed" });
      }
      sent.push(evs);
    }, () => 0, () => "id" + ++n);
    b.record("v1", { type: "view" });
    await expect(b.flush("v1")).rejects.toThrow();
    expect(b.pending("v1")).toBe(0);
    b.record("v1", { type: "share" });
    status = 429; // too many: kept for later
    await expect(b.flush("v1")).rejects.toThrow();
    expect(b.pending("v1")).toBe(1);
    status = 202;
    await b.flush("v1");
    expect(sent.map((evs) => evs.map((e) => e.event_id))).toEqual([["id2"]]);
  });

  test("the meter counts time played, not seeks, and completes on a loop", () => {
    const out: Omit<WatchEvent, "event_id">[] = [];
    const m = new Meter((e) => out.push(e));
    m.tick(0, 6000, 0);
    m.tick(250, 6000, 250);
    m.tick(4000, 6000, 250); // a seek forward is not watching
    m.tick(5800, 6000, 1800);
    m.tick(200, 6000, 400); // looped
    m.tick(1200, 6000, 1000);
    m.stop(1200);
    m.stop(1200); // nothing more watched: no second progress
    expect(out).toEqual([
      { type: "view", position_ms: 0 },
      { type: "complete", position_ms: 6000, watched_ms: 250 + 1800 + 400 },
      { type: "progress", position_ms: 1200, watched_ms: 1000 },
    ]);
  });
});

describe("inbox", () => {
  test("each seq is applied once and in order; replays are dropped; a skip asks for a resync", () => {
    const c = new InboxCursor(4);
    expect(c.accept({ type: "message", seq: 5 })).toBe("applied");
    expect(c.accept({ type: "message", seq: 5 })).toBe("duplicate");
    expect(c.accept({ type: "read", seq: 3 })).toBe("duplicate");
    expect(c.accept({ type: "message", seq: 7 })).toBe("gap");
    expect(c.seq).toBe(5);
    expect(c.accept({ type: "message", seq: 6 })).toBe("applied");
  });

  test("reconnect waits grow, jittered, capped; the socket URL carries since", () => {
    expect(backoff(0, () => 0)).toBe(250);
    expect(backoff(0, () => 1)).toBe(500);
    expect(backoff(3, () => 1)).toBe(4000);
    expect(backoff(20, () => 1)).toBe(15000);
    expect(socketURL({ protocol: "https:", host: "r.example" }, 42)).toBe("wss://r.example/api/v1/ws?since=42");
    expect(socketURL({ protocol: "http:", host: "127.0.0.1:8080" }, null)).toBe("ws://127.0.0.1:8080/api/v1/ws");
  });

  test("messages merge by seq, once each, replacing the optimistic copy", () => {
    type M = { id: string; seq: number; client_msg_id?: string };
    const mine: M = { id: "local-1", seq: 0, client_msg_id: "c1" };
    let list = mergeMessages<M>([{ id: "m1", seq: 1 }], [mine]);
    expect(list.map((m) => m.id)).toEqual(["m1", "local-1"]);
    list = mergeMessages<M>(list, [{ id: "m3", seq: 3 }, { id: "m2", seq: 2, client_msg_id: "c1" }, { id: "m1", seq: 1 }]);
    expect(list.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
  });
});
