// Which product pins show while a video plays.

export interface PinLike {
  product_id: string;
  start_ms: number | null;
  end_ms: number | null;
}

/** activePins are the pins whose span holds positionMs; a pin without a span shows throughout. */
export function activePins<P extends PinLike>(pins: readonly P[], positionMs: number): P[] {
  return pins.filter((p) => p.start_ms === null || p.end_ms === null || (positionMs >= p.start_ms && positionMs < p.end_ms));
}

/** formatTime writes milliseconds as m:ss. */
export function formatTime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
