// The comment sheet of a video: newest first, post one, delete your own.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { useSession } from "../account/session";
import { message } from "../lib/problem";
import { Avatar } from "../ui/Avatar";
import { FormError } from "../ui/Field";
import { Loading } from "../ui/Page";
import { Link } from "../ui/router";
import { Sheet } from "../ui/Sheet";
import { useLoad } from "../ui/useLoad";

type Comment = Schemas["Comment"];

export function Comments({ videoId, onClose, onCount }: { videoId: string | null; onClose: () => void; onCount: (delta: number) => void }) {
  const { user } = useSession();
  const list = useLoad(
    (signal) => (videoId ? ok(api.GET("/api/v1/videos/{id}/comments", { params: { path: { id: videoId }, query: { limit: 50 } }, signal })) : Promise.resolve(undefined)),
    [videoId],
  );
  const [body, setBody] = useState("");
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function post(e: Event) {
    e.preventDefault();
    if (!videoId || !body.trim()) return;
    setBusy(true);
    setErr(undefined);
    try {
      const c = await ok(api.POST("/api/v1/videos/{id}/comments", { params: { path: { id: videoId } }, body: { body: body.trim() } }));
      list.set({ items: [c, ...(list.data?.items ?? [])], next_cursor: list.data?.next_cursor ?? null });
      setBody("");
      onCount(1);
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove(c: Comment) {
    try {
      await ok(api.DELETE("/api/v1/comments/{id}", { params: { path: { id: c.id } } }));
      list.set({ items: (list.data?.items ?? []).filter((x) => x.id !== c.id), next_cursor: list.data?.next_cursor ?? null });
      onCount(-1);
    } catch (e) {
      setErr(message(e));
    }
  }

  return (
    <Sheet open={videoId !== null} title="Comments" onClose={onClose}>
      {!list.data && !list.error && <Loading />}
      {list.error !== undefined && <FormError text={message(list.error)} />}
      {list.data?.items.length === 0 && <p class="muted">No comments yet. Say something nice.</p>}
      <ul class="list" aria-label="Comments">
        {list.data?.items.map((c) => (
          <li key={c.id} class="comment">
            <Avatar name={c.author.display_name} url={c.author.avatar_url} size={32} />
            <div class="grow">
              <Link href={"/u/" + c.author.id} class="small"><strong>{c.author.display_name}</strong></Link>
              <p class="comment__body">{c.body}</p>
            </div>
            {c.can_delete && (
              <button type="button" class="btn btn--small btn--ghost" onClick={() => remove(c)} aria-label={`Delete comment by ${c.author.display_name}`}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      {user ? (
        <form class="thread__compose" onSubmit={post}>
          <label class="visually-hidden" for="comment-body">Add a comment</label>
          <input id="comment-body" value={body} maxLength={1000} placeholder="Add a comment…" onInput={(e) => setBody(e.currentTarget.value)} />
          <button class="btn btn--primary" disabled={busy || !body.trim()}>Post</button>
        </form>
      ) : (
        <p><Link href={"/signin?next=" + encodeURIComponent(location.pathname)}>Sign in</Link> to comment.</p>
      )}
      <FormError text={err} />
    </Sheet>
  );
}
