// Short confirmations ("Added to cart") in one polite live region.
import { useEffect, useState } from "preact/hooks";

type Listener = (text: string) => void;
const listeners = new Set<Listener>();

/** toast shows text for a few seconds and reads it out to screen readers. */
export function toast(text: string) {
  for (const l of listeners) l(text);
}

export function Toasts() {
  const [text, setText] = useState("");
  useEffect(() => {
    let timer = 0;
    const l: Listener = (t) => {
      setText(t);
      clearTimeout(timer);
      timer = window.setTimeout(() => setText(""), 3500);
    };
    listeners.add(l);
    return () => {
      listeners.delete(l);
      clearTimeout(timer);
    };
  }, []);
  return (
    <div class={"toast" + (text ? " toast--on" : "")} role="status" aria-live="polite">
      {text}
    </div>
  );
}
