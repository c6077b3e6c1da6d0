// A creator's page: who they are, follow, their videos and their showcase.
import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { message } from "../lib/problem";
import type { Params } from "../lib/route";
import { ProductCard } from "../shop/Browse";
import { Avatar } from "../ui/Avatar";
import { FormError } from "../ui/Field";
import { Empty, Loading, Page } from "../ui/Page";
import { Link, navigate } from "../ui/router";
import { useLoad } from "../ui/useLoad";
import { useSession } from "./session";
import { AskButton } from "../chat/AskButton";

export function UserPage({ params }: { params: Params }) {
  const id = params.id!;
  const { user } = useSession();
  const profile = useLoad(() => ok(api.GET("/api/v1/users/{id}", { params: { path: { id } } })), [id]);
  const videos = useLoad(() => ok(api.GET("/api/v1/users/{id}/videos", { params: { path: { id }, query: { limit: 30 } } })), [id]);
  const showcase = useLoad(() => ok(api.GET("/api/v1/users/{id}/showcase", { params: { path: { id }, query: { limit: 30 } } })), [id]);
  const [err, setErr] = useState<string>();

  async function toggleFollow() {
    if (!user) return navigate("/signin?next=" + encodeURIComponent(location.pathname));
    const p = profile.data!;
    try {
      profile.set(await ok(p.is_following ? api.DELETE("/api/v1/users/{id}/follow", { params: { path: { id } } }) : api.PUT("/api/v1/users/{id}/follow", { params: { path: { id } } })));
    } catch (e) {
      setErr(message(e));
    }
  }

  const p = profile.data;
  if (profile.error) return <Page title="Profile" back><FormError text={message(profile.error)} /></Page>;
  if (!p) return <Page title="Profile" back><Loading /></Page>;
  return (
    <Page title={p.display_name} back>
      <section class="profile-card">
        <Avatar name={p.display_name} url={p.avatar_url} size={72} />
        <div class="grow">
          <p class="muted">@{p.handle}</p>
          <p class="counts">
            <span><strong>{p.follower_count}</strong> followers</span>
            <span><strong>{p.following_count}</strong> following</span>
          </p>
          {p.bio && <p class="bio">{p.bio}</p>}
        </div>
      </section>
      {user?.id !== p.id && (
        <button type="button" class={"btn btn--block " + (p.is_following ? "" : "btn--primary")} aria-pressed={p.is_following} onClick={toggleFollow}>
          {p.is_following ? "Following" : "Follow"}
        </button>
      )}
      {user && user.id !== p.id && <AskButton peer={{ type: "user", id: p.id }} label={`Message ${p.display_name}`} />}
      <FormError text={err} />
      <section class="section">
        <h2>Videos</h2>
        {!videos.data && <Loading />}
        {videos.data?.items.length === 0 && <Empty>No videos yet.</Empty>}
        <ul class="grid" aria-label="Videos">
          {videos.data?.items.filter((v) => v.status === "ready").map((v) => (
            <li key={v.id}>
              <Link class="card" href={"/v/" + v.id}>
                <div class="card__img" style={{ aspectRatio: "9 / 16" }}>{v.poster_url && <img src={v.poster_url} alt="" loading="lazy" />}</div>
                <div class="card__body"><span class="card__title">{v.caption || "Video"}</span></div>
              </Link>
            </li>
          ))}
        </ul>
      </section>
      {showcase.data && showcase.data.items.length > 0 && (
        <section class="section">
          <h2>Showcase</h2>
          <ul class="grid" aria-label="Showcase">
            {showcase.data.items.map((s) => <li key={s.product.id}><ProductCard p={s.product} video={s.video_id} /></li>)}
          </ul>
        </section>
      )}
    </Page>
  );
}
