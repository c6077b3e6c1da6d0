// The inbox: conversations by last activity, unread ones marked.
import { Avatar } from "../ui/Avatar";
import { Empty, Loading, Page } from "../ui/Page";
import { Link } from "../ui/router";
import type { Message } from "./live";
import { useInbox } from "./useInbox";

export function preview(m: Message | null): string {
  if (!m) return "No messages yet";
  if (m.kind === "text") return m.body ?? "";
  const c = m.card;
  if (!c) return "Card";
  return c.type === "product" ? `Product: ${c.title}` : c.type === "order" ? `Order: ${c.title}` : `Video: ${c.caption || "video"}`;
}

export function InboxPage() {
  const inbox = useInbox();
  const threads = [...inbox.threads.values()].sort((a, b) => b.last_activity_at.localeCompare(a.last_activity_at));
  return (
    <Page title="Inbox" actions={<span class="small muted" role="status">{inbox.connected ? "" : "Connecting…"}</span>}>
      {threads.length === 0 && !inbox.connected && <Loading />}
      {threads.length === 0 && inbox.connected && <Empty>No conversations yet. Ask a shop about a product, or a creator about their video.</Empty>}
      <ul class="list" aria-label="Conversations">
        {threads.map((t) => (
          <li key={t.id}>
            <Link class="list__item" href={"/inbox/" + t.id}>
              <Avatar name={t.peer.name} url={t.peer.avatar_url} size={44} />
              <div class="grow">
                <div class="row row--between">
                  <strong>{t.peer.name}</strong>
                  <time class="muted small" dateTime={t.last_activity_at}>{new Date(t.last_activity_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}</time>
                </div>
                <div class={"small clamp" + (t.unread_count ? "" : " muted")}>{preview(t.last_message)}</div>
              </div>
              {t.unread_count > 0 && (
                <span class="unread">
                  {t.unread_count}
                  <span class="visually-hidden"> unread</span>
                </span>
              )}
            </Link>
          </li>
        ))}
      </ul>
    </Page>
  );
}
