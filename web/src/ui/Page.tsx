// The frame of every screen but the feed: a header with a back button and
// the screen's title (its h1), then the content.
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { IconBack } from "./icons";

interface Props {
  title: string;
  back?: boolean;
  actions?: ComponentChildren;
  children: ComponentChildren;
}

export function Page({ title, back, actions, children }: Props) {
  useEffect(() => {
    document.title = `${title} · Reelmart`;
  }, [title]);
  return (
    <div class="page">
      <header class="page__head">
        {back && (
          <button type="button" class="icon-btn" aria-label="Back" onClick={() => (history.length > 1 ? history.back() : (location.href = "/"))}>
            <IconBack />
          </button>
        )}
        <h1>{title}</h1>
        <div class="page__actions">{actions}</div>
      </header>
      <main class="page__main" id="main">
        {children}
      </main>
    </div>
  );
}

/** Loading is the placeholder while a screen's data arrives. */
export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

/** Empty says there is nothing here yet, and what to do about it. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}
