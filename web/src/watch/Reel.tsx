// One video of the feed, full height: the player, who made it, the caption
// and hashtags, the product pins while their moment plays, and the rail of
// actions. Text from users is rendered as text, never as HTML.
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { Video } from "../api/client";
import { formatMoney } from "../lib/money";
import { activePins } from "../lib/pins";
import { Avatar } from "../ui/Avatar";
import { IconMuted, IconShare, IconSound } from "../ui/icons";
import { Link } from "../ui/router";
import { toast } from "../ui/toast";
import { Player } from "./Player";
import { setMuted, useMuted } from "./sound";

interface Props {
  video: Video;
  active: boolean;
  load: boolean;
  onOpenProduct: (productId: string) => void;
  onTime?: (ms: number, durationMs: number) => void;
  onPlaying?: () => void;
  /** rail holds more actions (like, comments) before share. */
  rail?: ComponentChildren;
  /** creatorExtra sits beside the creator's name (follow). */
  creatorExtra?: ComponentChildren;
  onShare?: () => void;
}

export function Reel({ video, active, load, onOpenProduct, onTime, onPlaying, rail, creatorExtra, onShare }: Props) {
  const muted = useMuted();
  const [pos, setPos] = useState(0);
  const [dur, setDur] = useState(video.duration_ms ?? 0);
  const pins = useMemo(() => activePins(video.products, pos), [video.products, pos]);
  const label = `Video by ${video.creator.display_name}` + (video.caption ? `: ${video.caption.slice(0, 80)}` : "");

  async function share() {
    const url = location.origin + "/v/" + encodeURIComponent(video.id);
    try {
      await navigator.clipboard.writeText(url);
      toast("Link copied");
      onShare?.();
    } catch {
      toast(url);
    }
  }

  return (
    <article class="reel" aria-label={label} data-video-id={video.id}>
      {video.hls_url ? (
        <Player
          src={video.hls_url}
          poster={video.poster_url}
          active={active}
          load={load}
          muted={muted}
          label={label}
          onTime={(ms, d) => {
            setPos(ms);
            if (d) setDur(d);
            onTime?.(ms, d);
          }}
          onPlaying={onPlaying}
        />
      ) : (
        <div class="reel__state">This video is not ready yet.</div>
      )}
      <button type="button" class="reel__tap" aria-label={muted ? "Unmute" : "Mute"} tabIndex={-1} onClick={() => setMuted(!muted)} />
      <div class="reel__sound">
        <button type="button" class="btn btn--small" aria-pressed={!muted} onClick={() => setMuted(!muted)}>
          {muted ? <IconMuted /> : <IconSound />}
          <span>{muted ? "Tap to unmute" : "Sound on"}</span>
        </button>
      </div>
      <div class="reel__overlay">
        {pins.map((p) => (
          <button type="button" class="pin" key={p.product_id} onClick={() => onOpenProduct(p.product_id)} aria-label={`Shop ${p.title}, ${formatMoney(p.price)}`}>
            {p.image_url ? <img src={p.image_url} alt="" /> : <span class="pin__ph" aria-hidden="true" />}
            <span class="grow" style={{ minWidth: 0 }}>
              <span class="pin__title">{p.title}</span>
              <span class="pin__price">{formatMoney(p.price)}</span>
              {p.stock_available === 0 && <span class="small"> · sold out</span>}
            </span>
          </button>
        ))}
        <div class="row">
          <Link class="reel__creator" href={"/u/" + encodeURIComponent(video.creator.id)}>
            <Avatar name={video.creator.display_name} url={(video.creator as { avatar_url?: string | null }).avatar_url} size={36} />
            <span>@{video.creator.handle}</span>
          </Link>
          {creatorExtra}
        </div>
        {video.caption && <p class="reel__caption">{video.caption}</p>}
        {video.hashtags.length > 0 && (
          <p class="reel__tags">
            {video.hashtags.map((t) => (
              <span key={t}>#{t}</span>
            ))}
          </p>
        )}
      </div>
      <div class="reel__rail">
        {rail}
        <button type="button" class="rail-btn" onClick={share} aria-label="Share: copy link">
          <span><IconShare /></span>
          <span aria-hidden="true">Share</span>
        </button>
      </div>
      {dur > 0 && (
        <div class="reel__progress" aria-hidden="true">
          <span style={{ width: `${Math.min(100, (pos / dur) * 100)}%` }} />
        </div>
      )}
    </article>
  );
}
