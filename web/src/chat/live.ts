// The signed-in user's inbox, kept live over the WebSocket. Every event
// carries the user's gapless inbox seq: each is applied once, in order;
// a dropped socket reconnects with ?since= the last one applied, after a
// growing, jittered wait, and the server replays what was missed. Threads
// and older messages come over HTTP; messages are sent over HTTP with a
// client_msg_id, so a retry never sends twice.
import { api, ok, type Schemas } from "../api/client";
import { backoff, InboxCursor, mergeMessages, socketURL } from "../lib/inbox";
import { withRetry } from "../lib/retry";

export type Thread = Schemas["Thread"];
export type Message = Schemas["Message"];
type Frame = Schemas["WsServerFrame"];

interface State {
  me: string | null;
  threads: Map<string, Thread>;
  messages: Map<string, Message[]>;
  open: string | null; // the thread on screen
  connected: boolean;
}

const state: State = { me: null, threads: new Map(), messages: new Map(), open: null, connected: false };
const listeners = new Set<() => void>();
let version = 0;
let cursor: InboxCursor | null = null;
let socket: WebSocket | null = null;
let attempt = 0;
let timer = 0;
let watchdog = 0;
let heartbeat = 30_000;

function changed() {
  version++;
  for (const l of listeners) l();
}

export function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => void listeners.delete(l);
}

export function snapshot() {
  return { version, ...state };
}

/** unreadTotal is the number for the Inbox tab's badge. */
export function unreadTotal(): number {
  let n = 0;
  for (const t of state.threads.values()) n += t.unread_count;
  return n;
}

/** start connects for user me (again after a sign-in); stop disconnects (sign-out). */
export function start(me: string) {
  if (state.me === me) return;
  stop();
  state.me = me;
  void loadThreads();
  connect();
  addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", onVisible);
}

export function stop() {
  state.me = null;
  state.threads.clear();
  state.messages.clear();
  cursor = null;
  clearTimeout(timer);
  clearTimeout(watchdog);
  const s = socket;
  socket = null;
  s?.close(1000);
  removeEventListener("online", reconnectNow);
  document.removeEventListener("visibilitychange", onVisible);
  changed();
}

function onVisible() {
  if (document.visibilityState === "visible" && !state.connected) reconnectNow();
}

function reconnectNow() {
  if (!state.me) return;
  clearTimeout(timer);
  attempt = 0;
  connect();
}

async function loadThreads() {
  try {
    const page = await ok(api.GET("/api/v1/threads", { params: { query: { limit: 100 } } }));
    for (const t of page.items) state.threads.set(t.id, t);
    changed();
  } catch {
    // the inbox screen shows its own error when it loads
  }
}

function connect() {
  if (!state.me) return;
  socket?.close();
  const ws = new WebSocket(socketURL(location, cursor ? cursor.seq : null));
  socket = ws;
  ws.onmessage = (e) => {
    if (socket !== ws) return;
    kick();
    try {
      onFrame(JSON.parse(String(e.data)) as Frame);
    } catch {
      // a frame we cannot read is skipped; the seq check catches anything lost
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    state.connected = false;
    changed();
    if (!state.me) return;
    clearTimeout(watchdog);
    timer = window.setTimeout(connect, backoff(attempt++));
  };
}

/** kick restarts the silence watchdog: no frame for two heartbeats means the socket is dead. */
function kick() {
  clearTimeout(watchdog);
  watchdog = window.setTimeout(() => {
    const s = socket;
    if (!s) return;
    s.send(JSON.stringify({ type: "ping", id: "hb" }));
    watchdog = window.setTimeout(() => s.close(), heartbeat);
  }, heartbeat * 2);
}

function onFrame(f: Frame) {
  switch (f.type) {
    case "hello":
      attempt = 0;
      heartbeat = f.heartbeat_ms || heartbeat;
      state.connected = true;
      if (!cursor || f.reset) {
        // The first hello starts the cursor at the server's seq: what
        // happened between the HTTP loads and this subscription came
        // before it, so it is read over HTTP again (merging drops repeats).
        cursor = new InboxCursor(f.inbox_seq);
        void refetch();
      }
      changed();
      return;
    case "message":
    case "read":
    case "thread": {
      if (!cursor) return;
      const verdict = cursor.accept(f);
      if (verdict === "duplicate") return;
      if (verdict === "gap") {
        socket?.close(); // reconnects with since = the last seq applied; the server replays
        return;
      }
      apply(f);
      changed();
      return;
    }
    default:
      return;
  }
}

async function refetch() {
  await loadThreads();
  for (const id of state.messages.keys()) void loadMessages(id);
}

function apply(f: Extract<Frame, { type: "message" | "read" | "thread" }>) {
  if (f.type === "thread") {
    state.threads.set(f.thread.id, f.thread);
    return;
  }
  const t = state.threads.get(f.thread_id);
  if (f.type === "message") {
    const list = state.messages.get(f.thread_id);
    if (list) state.messages.set(f.thread_id, mergeMessages(list, [f.message]));
    if (!t) {
      void loadThreads();
      return;
    }
    const mine = f.message.sender_id === state.me;
    const seen = mine || state.open === f.thread_id;
    state.threads.set(t.id, {
      ...t,
      last_message: f.message,
      last_seq: Math.max(t.last_seq, f.message.seq),
      last_activity_at: f.message.created_at,
      unread_count: seen ? t.unread_count : t.unread_count + 1,
    });
    if (state.open === f.thread_id && !mine) void markRead(f.thread_id, f.message.seq);
    return;
  }
  if (!t) return;
  if (f.user_id === state.me) state.threads.set(t.id, { ...t, read_seq: f.read_seq, unread_count: f.read_seq >= t.last_seq ? 0 : t.unread_count });
  else state.threads.set(t.id, { ...t, peer_read_seq: Math.max(t.peer_read_seq, f.read_seq) });
}

/** openThread marks a thread as the one on screen (its new messages count as read). */
export function openThread(id: string | null) {
  state.open = id;
}

/** loadMessages fetches the newest page of a thread, or the page before beforeSeq; it returns whether older ones exist. */
export async function loadMessages(threadId: string, beforeSeq?: number): Promise<boolean> {
  const page = await ok(api.GET("/api/v1/threads/{id}/messages", { params: { path: { id: threadId }, query: { limit: 50, before_seq: beforeSeq } } }));
  state.messages.set(threadId, mergeMessages(state.messages.get(threadId) ?? [], page.items));
  changed();
  return page.next_cursor !== null;
}

export async function loadThread(id: string): Promise<Thread> {
  const t = await ok(api.GET("/api/v1/threads/{id}", { params: { path: { id } } }));
  state.threads.set(id, t);
  changed();
  return t;
}

/** markRead moves the caller's read mark to seq. */
export async function markRead(threadId: string, seq: number) {
  const t = state.threads.get(threadId);
  if (t && t.read_seq >= seq) return;
  const r = await ok(api.POST("/api/v1/threads/{id}/read", { params: { path: { id: threadId } }, body: { seq } }));
  const cur = state.threads.get(threadId);
  if (cur) state.threads.set(threadId, { ...cur, read_seq: r.read_seq, unread_count: r.unread_count });
  changed();
}

/**
 * send shows the message at once, then stores it; retries keep the
 * client_msg_id, so the server keeps one copy whatever happens.
 */
export async function send(threadId: string, body: string): Promise<void> {
  const client_msg_id = crypto.randomUUID();
  const local: Message = { id: "local-" + client_msg_id, thread_id: threadId, seq: 0, sender_id: state.me ?? "", shop_id: null, kind: "text", body, card: null, client_msg_id, created_at: new Date().toISOString() };
  state.messages.set(threadId, mergeMessages(state.messages.get(threadId) ?? [], [local]));
  changed();
  try {
    const m = await withRetry(() => ok(api.POST("/api/v1/threads/{id}/messages", { params: { path: { id: threadId } }, body: { client_msg_id, body } })));
    state.messages.set(threadId, mergeMessages(state.messages.get(threadId) ?? [], [m]));
    changed();
  } catch (e) {
    state.messages.set(threadId, (state.messages.get(threadId) ?? []).filter((x) => x.client_msg_id !== client_msg_id));
    changed();
    throw e;
  }
}
