import { api, ok } from "../api/client";
import { formatMoney } from "../lib/money";
import { Page } from "../ui/Page";
import { Link, navigate } from "../ui/router";
import { toast } from "../ui/toast";
import { useLoad } from "../ui/useLoad";
import { Avatar } from "../ui/Avatar";
import { useSession } from "./session";

export function Me() {
  const { user, signOut } = useSession();
  const wallet = useLoad(() => ok(api.GET("/api/v1/wallet")), []);
  if (!user) return null;
  return (
    <Page title="Me">
      <section class="profile-card">
        <Avatar name={user.display_name} url={user.avatar_url} size={72} />
        <div>
          <h2 class="profile-card__name">{user.display_name}</h2>
          <p class="muted">@{user.handle}</p>
          {user.bio && <p class="bio">{user.bio}</p>}
          <p class="counts">
            <span><strong>{user.follower_count}</strong> followers</span>
            <span><strong>{user.following_count}</strong> following</span>
          </p>
        </div>
      </section>
      <Link class="btn btn--ghost btn--block" href="/me/edit">Edit profile</Link>
      <nav class="menu" aria-label="Your account">
        <Link class="menu__item" href="/wallet">
          <span>Wallet</span>
          <span class="muted">{wallet.data ? formatMoney(wallet.data.balance) : ""}</span>
        </Link>
        <Link class="menu__item" href="/orders">Orders</Link>
        <Link class="menu__item" href="/cart">Cart</Link>
        <Link class="menu__item" href="/studio">Creator studio</Link>
        <Link class="menu__item" href="/merchant">Merchant dashboard</Link>
      </nav>
      <button
        type="button"
        class="btn btn--ghost btn--block"
        onClick={async () => {
          await signOut();
          toast("Signed out");
          navigate("/", { replace: true });
        }}
      >
        Sign out
      </button>
    </Page>
  );
}
