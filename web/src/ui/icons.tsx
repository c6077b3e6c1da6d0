// Icons are decoration: the control that holds one carries the accessible name.
import type { JSX } from "preact";

function Svg(props: { children: JSX.Element | JSX.Element[]; size?: number }) {
  const s = props.size ?? 24;
  return (
    <svg width={s} height={s} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      {props.children}
    </svg>
  );
}

export const IconHome = () => <Svg><path d="M3 11l9-8 9 8" /><path d="M5 10v10h14V10" /></Svg>;
export const IconBag = () => <Svg><path d="M6 7h12l1 14H5L6 7z" /><path d="M9 7a3 3 0 016 0" /></Svg>;
export const IconChat = () => <Svg><path d="M21 12a8 8 0 01-11.6 7.1L4 20l1-4.6A8 8 0 1121 12z" /></Svg>;
export const IconPlusSquare = () => <Svg><rect x="3" y="3" width="18" height="18" rx="4" /><path d="M12 8v8M8 12h8" /></Svg>;
export const IconUser = () => <Svg><circle cx="12" cy="8" r="4" /><path d="M4 21a8 8 0 0116 0" /></Svg>;
export const IconClose = () => <Svg><path d="M6 6l12 12M18 6L6 18" /></Svg>;
export const IconBack = () => <Svg><path d="M15 18l-6-6 6-6" /></Svg>;
export const IconHeart = () => <Svg><path d="M12 21s-8-5.3-8-11a4.5 4.5 0 018-2.8A4.5 4.5 0 0120 10c0 5.7-8 11-8 11z" /></Svg>;
export const IconComment = () => <Svg><path d="M4 5h16v11H8l-4 4V5z" /></Svg>;
export const IconShare = () => <Svg><path d="M4 12v8h16v-8" /><path d="M12 3v13M7 8l5-5 5 5" /></Svg>;
export const IconSound = () => <Svg><path d="M4 9h4l5-4v14l-5-4H4z" /><path d="M17 9a4 4 0 010 6" /></Svg>;
export const IconMuted = () => <Svg><path d="M4 9h4l5-4v14l-5-4H4z" /><path d="M17 9l4 6M21 9l-4 6" /></Svg>;
export const IconCart = () => <Svg><circle cx="9" cy="20" r="1.5" /><circle cx="18" cy="20" r="1.5" /><path d="M2 3h3l3 12h11l2-8H6" /></Svg>;
export const IconPause = () => <Svg><path d="M8 5v14M16 5v14" /></Svg>;
export const IconPlay = () => <Svg><path d="M7 4l13 8-13 8z" /></Svg>;
export const IconUpload = () => <Svg><path d="M12 16V4M7 9l5-5 5 5" /><path d="M4 20h16" /></Svg>;
export const IconStore = () => <Svg><path d="M4 10v10h16V10" /><path d="M3 4h18l-1 6H4z" /></Svg>;
