// A video element playing an HLS ladder: through hls.js wherever Media
// Source Extensions exist (the path most browsers take, and the one the
// tests drive), natively only where they do not (iOS Safari). A player that
// is not active keeps its source attached and buffered, so the next video
// starts at once; a player that goes away stops its downloads.
import Hls from "hls.js/light";
import { useEffect, useRef } from "preact/hooks";

interface Props {
  src: string;
  poster?: string;
  /** active plays; inactive pauses but keeps what was buffered. */
  active: boolean;
  /** load attaches the source; false for players far from the screen. */
  load: boolean;
  muted: boolean;
  label: string;
  onTime?: (ms: number, durationMs: number) => void;
  onPlaying?: () => void;
  onEnded?: () => void;
  onBlocked?: () => void;
  loop?: boolean;
  controls?: boolean;
}

export function Player({ src, poster, active, load, muted, label, onTime, onPlaying, onEnded, onBlocked, loop = true, controls }: Props) {
  const ref = useRef<HTMLVideoElement>(null);
  const hls = useRef<Hls | null>(null);

  useEffect(() => {
    const v = ref.current;
    if (!v || !load) return;
    if (Hls.isSupported()) {
      const h = new Hls({
        capLevelToPlayerSize: true,
        maxBufferLength: active ? 30 : 6, // a preloaded video buffers its opening only
        backBufferLength: 10,
        startFragPrefetch: true,
      });
      hls.current = h;
      h.loadSource(src);
      h.attachMedia(v);
      return () => {
        hls.current = null;
        h.destroy(); // aborts what it was downloading
        v.removeAttribute("src");
        v.load();
      };
    }
    if (v.canPlayType("application/vnd.apple.mpegurl")) {
      v.src = src;
      return () => {
        v.removeAttribute("src");
        v.load();
      };
    }
    return undefined;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [src, load]);

  useEffect(() => {
    const h = hls.current;
    if (h) h.config.maxBufferLength = active ? 30 : 6;
    const v = ref.current;
    if (!v) return;
    if (active && load) {
      v.play().catch((e: DOMException) => {
        if (e.name === "NotAllowedError") onBlocked?.();
      });
    } else {
      v.pause();
    }
  }, [active, load, onBlocked]);

  useEffect(() => {
    if (ref.current) ref.current.muted = muted;
  }, [muted]);

  return (
    <video
      ref={ref}
      class="reel__video"
      poster={poster}
      muted={muted}
      playsInline
      loop={loop}
      controls={controls}
      preload="auto"
      aria-label={label}
      onTimeUpdate={(e) => onTime?.(e.currentTarget.currentTime * 1000, (e.currentTarget.duration || 0) * 1000)}
      onPlaying={onPlaying}
      onEnded={onEnded}
    />
  );
}
