// One conversation: messages as they arrive, cards that open what they
// show, read receipts, and a composer. Message text is rendered as text.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "../api/client";
import { useSession } from "../account/session";
import { formatMoney } from "../lib/money";
import { message as explain } from "../lib/problem";
import type { Params } from "../lib/route";
import { ProductSheet } from "../product/ProductSheet";
import { FormError } from "../ui/Field";
import { Loading, Page } from "../ui/Page";
import { navigate } from "../ui/router";
import { loadMessages, loadThread, markRead, openThread, send, type Message } from "./live";
import { useInbox } from "./useInbox";

type Card = Schemas["Card"];

function CardView({ card, onProduct }: { card: Card; onProduct: (id: string) => void }) {
  if (card.type === "product") {
    return (
      <button type="button" class="msg-card" onClick={() => onProduct(card.id)}>
        {card.image_url ? <img class="thumb" src={card.image_url} alt="" /> : <span class="thumb" aria-hidden="true" />}
        <span class="grow">
          <strong><span class="visually-hidden">Product: </span>{card.title}</strong>
          <span class="small muted" style={{ display: "block" }}>{card.shop_name} · {formatMoney(card.price_min)}</span>
        </span>
      </button>
    );
  }
  if (card.type === "order") {
    return (
      <button type="button" class="msg-card" onClick={() => navigate("/orders/" + card.id)}>
        <span class="grow">
          <strong>Order · {card.title}</strong>
          <span class="small muted" style={{ display: "block" }}>{card.item_count} items · {formatMoney(card.total)}</span>
        </span>
      </button>
    );
  }
  return (
    <button type="button" class="msg-card" onClick={() => navigate("/v/" + card.id)}>
      {card.poster_url ? <img class="thumb thumb--tall" src={card.poster_url} alt="" /> : <span class="thumb" aria-hidden="true" />}
      <span class="grow"><strong><span class="visually-hidden">Video: </span>{card.caption || "Video"}</strong></span>
    </button>
  );
}

export function ThreadPage({ params }: { params: Params }) {
  const id = params.id!;
  const { user } = useSession();
  const inbox = useInbox();
  const [err, setErr] = useState<string>();
  const [older, setOlder] = useState(false);
  const [text, setText] = useState("");
  const [product, setProduct] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const thread = inbox.threads.get(id);
  const messages: Message[] = inbox.messages.get(id) ?? [];
  const lastSeq = messages.reduce((n, m) => Math.max(n, m.seq), 0);

  useEffect(() => {
    openThread(id);
    loadThread(id).catch((e) => setErr(explain(e)));
    loadMessages(id).then(setOlder).catch((e) => setErr(explain(e)));
    return () => openThread(null);
  }, [id]);

  // Everything on screen is read.
  useEffect(() => {
    if (thread && lastSeq > thread.read_seq) void markRead(id, lastSeq).catch(() => undefined);
    list.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [id, lastSeq, thread?.read_seq]);

  async function submit(e: Event) {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText("");
    setErr(undefined);
    try {
      await send(id, body);
    } catch (e) {
      setText(body);
      setErr(explain(e));
    }
  }

  const mine = (m: Message) => m.sender_id === user?.id;
  const lastMine = [...messages].reverse().find((m) => mine(m) && m.seq > 0);

  return (
    <Page title={thread?.peer.name ?? "Conversation"} back>
      <div class="thread">
        {!thread && !err && <Loading />}
        {older && (
          <button type="button" class="btn btn--small btn--ghost" onClick={() => loadMessages(id, messages.find((m) => m.seq > 0)?.seq).then(setOlder)}>
            Show earlier messages
          </button>
        )}
        <ol class="thread__msgs" ref={list} aria-label="Messages" aria-live="polite">
          {messages.map((m) => (
            <li key={m.client_msg_id || m.id} class={"msg" + (mine(m) ? " msg--mine" : "") + (m.kind === "card" ? " msg--card" : "")}>
              {m.kind === "card" && m.card ? <CardView card={m.card} onProduct={setProduct} /> : m.body}
              <span class="msg__meta">
                {m.seq === 0 ? "Sending…" : new Date(m.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}
                {m === lastMine && thread && thread.peer_read_seq >= m.seq && " · Seen"}
              </span>
            </li>
          ))}
        </ol>
        <FormError text={err} />
        <form class="thread__compose" onSubmit={submit}>
          <label class="visually-hidden" for="msg-text">Message</label>
          <input id="msg-text" value={text} maxLength={4000} placeholder="Message…" autoComplete="off" onInput={(e) => setText(e.currentTarget.value)} />
          <button class="btn btn--primary" disabled={!text.trim()}>Send</button>
        </form>
      </div>
      <ProductSheet productId={product} onClose={() => setProduct(null)} />
    </Page>
  );
}
