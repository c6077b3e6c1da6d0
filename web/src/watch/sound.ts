// Sound is one choice for the whole feed: muted until the viewer taps to
// unmute (browsers only autoplay muted), then on for every video after.
import { useEffect, useState } from "preact/hooks";

let muted = true;
const listeners = new Set<(m: boolean) => void>();

export function setMuted(m: boolean) {
  muted = m;
  for (const l of listeners) l(m);
}

export function useMuted(): boolean {
  const [m, set] = useState(muted);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return m;
}
