// A round avatar: the picture when there is one, else initials on a colour
// picked from the name, so people are told apart at a glance.
import { fingerprint } from "../lib/idempotency";

interface Props {
  name: string;
  url?: string | null;
  size?: number;
}

export function Avatar({ name, url, size = 40 }: Props) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
  const hue = parseInt(fingerprint(name).slice(0, 4), 36) % 360;
  const style = { width: size + "px", height: size + "px", fontSize: Math.round(size * 0.4) + "px", background: `hsl(${hue} 50% 28%)` };
  return url ? (
    <img class="avatar" src={url} alt="" width={size} height={size} style={style} />
  ) : (
    <span class="avatar" style={style} aria-hidden="true">
      {initials || "?"}
    </span>
  );
}
