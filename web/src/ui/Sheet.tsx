// A bottom sheet on phones, a centred panel on wide screens: a modal
// <dialog>, so the browser traps focus, makes the page behind inert and
// closes it on Escape.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { IconClose } from "./icons";

interface Props {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}

export function Sheet({ open, title, onClose, children, wide }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={"sheet" + (wide ? " sheet--wide" : "")}
      aria-label={title}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) onClose(); // a click on the backdrop
      }}
    >
      {open && (
        <div class="sheet__body">
          <header class="sheet__head">
            <h2>{title}</h2>
            <button type="button" class="icon-btn" aria-label="Close" onClick={onClose}>
              <IconClose />
            </button>
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}
