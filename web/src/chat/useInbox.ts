import { useEffect, useState } from "preact/hooks";
import { snapshot, subscribe } from "./live";

/** useInbox re-renders on every inbox change and returns the current state. */
export function useInbox() {
  const [, set] = useState(0);
  useEffect(() => subscribe(() => set((n) => n + 1)), []);
  return snapshot();
}
