// The app: one route table, the tab bar, and the session around them.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { RequireUser } from "./account/RequireUser";
import { SessionProvider, useSession } from "./account/session";
import { SignIn } from "./account/SignIn";
import { SignUp } from "./account/SignUp";
import { Feed } from "./feed/Feed";
import { match, type Params } from "./lib/route";
import { IconBag, IconChat, IconHome, IconPlusSquare, IconUser } from "./ui/icons";
import { Loading, Page } from "./ui/Page";
import { Link, useLocation } from "./ui/router";
import { Toasts } from "./ui/toast";
import { start, stop, unreadTotal } from "./chat/live";
import { useInbox } from "./chat/useInbox";

type Screen = ComponentType<{ params: Params }>;

interface Route {
  pattern: string;
  /** load brings the screen's code; screens a first visit does not need are split off. */
  load: () => Promise<Screen>;
  auth?: boolean;
  /** bare screens (the feed) draw their own full-bleed frame. */
  bare?: boolean;
}

const eager = (s: Screen) => () => Promise.resolve(s);

const routes: Route[] = [
  { pattern: "/", load: eager(Feed as Screen), bare: true },
  { pattern: "/signin", load: eager(SignIn as Screen) },
  { pattern: "/signup", load: eager(SignUp as Screen) },
  { pattern: "/shop", load: () => import("./shop/Browse").then((m) => m.Browse) },
  { pattern: "/me", load: () => import("./account/Me").then((m) => m.Me as Screen), auth: true },
  { pattern: "/me/edit", load: () => import("./account/EditProfile").then((m) => m.EditProfile as Screen), auth: true },
  { pattern: "/inbox", load: () => import("./chat/InboxPage").then((m) => m.InboxPage as Screen), auth: true },
  { pattern: "/inbox/new", load: () => import("./chat/NewThread").then((m) => m.NewThread as Screen), auth: true },
  { pattern: "/inbox/:id", load: () => import("./chat/ThreadPage").then((m) => m.ThreadPage), auth: true },
  { pattern: "/u/:id", load: () => import("./account/UserPage").then((m) => m.UserPage) },
  { pattern: "/v/:id", load: () => import("./watch/WatchPage").then((m) => m.WatchPage) },
  { pattern: "/p/:id", load: () => import("./product/ProductPage").then((m) => m.ProductPage) },
  { pattern: "/cart", load: () => import("./orders/CartPage").then((m) => m.CartPage as Screen), auth: true },
  { pattern: "/orders", load: () => import("./orders/OrdersPage").then((m) => m.OrdersPage as Screen), auth: true },
  { pattern: "/orders/:id", load: () => import("./orders/OrderPage").then((m) => m.OrderPage), auth: true },
  { pattern: "/wallet", load: () => import("./orders/WalletPage").then((m) => m.WalletPage as Screen), auth: true },
  { pattern: "/studio", load: () => import("./studio/Studio").then((m) => m.Studio as Screen), auth: true },
  { pattern: "/studio/upload", load: () => import("./studio/Upload").then((m) => m.Upload as Screen), auth: true },
  { pattern: "/studio/videos/:id", load: () => import("./studio/StudioVideo").then((m) => m.StudioVideo), auth: true },
  { pattern: "/studio/earnings", load: () => import("./studio/Earnings").then((m) => m.Earnings as Screen), auth: true },
  { pattern: "/merchant", load: () => import("./merchant/Merchant").then((m) => m.Merchant as Screen), auth: true },
  { pattern: "/merchant/shops/:id", load: () => import("./merchant/ShopPage").then((m) => m.ShopPage), auth: true },
  { pattern: "/merchant/shops/:shop/products/new", load: () => import("./merchant/ProductEditor").then((m) => m.NewProduct), auth: true },
  { pattern: "/merchant/products/:id", load: () => import("./merchant/ProductEditor").then((m) => m.EditProduct), auth: true },
];

function findRoute(path: string): [Route, Params] | null {
  for (const r of routes) {
    const p = match(r.pattern, path);
    if (p) return [r, p];
  }
  return null;
}

const loaded = new Map<Route, Screen>();

function Router() {
  const { path } = useLocation();
  const found = findRoute(path);
  const [, rerender] = useState(0);
  const route = found?.[0];
  const screen = route ? loaded.get(route) : undefined;

  useEffect(() => {
    if (route && !loaded.has(route)) {
      void route.load().then((s) => {
        loaded.set(route, s);
        rerender((n) => n + 1);
      });
    }
  }, [route]);

  if (!found) return <NotFound />;
  const [r, params] = found;
  if (!screen) return <Page title="Reelmart"><Loading /></Page>;
  const S = screen;
  const el = <S params={params} />;
  return r.auth ? <RequireUser>{el}</RequireUser> : el;
}

function NotFound() {
  return (
    <Page title="Not found" back>
      <p>There is nothing at this address.</p>
      <Link class="btn btn--primary" href="/">Go to the feed</Link>
    </Page>
  );
}

const tabs = [
  { href: "/", label: "Feed", icon: IconHome, match: (p: string) => p === "/" || p.startsWith("/v/") },
  { href: "/shop", label: "Shop", icon: IconBag, match: (p: string) => /^\/(shop|cart|checkout|orders|p\/)/.test(p) },
  { href: "/inbox", label: "Inbox", icon: IconChat, match: (p: string) => p.startsWith("/inbox") },
  { href: "/studio", label: "Studio", icon: IconPlusSquare, match: (p: string) => p.startsWith("/studio") || p.startsWith("/merchant") },
  { href: "/me", label: "Me", icon: IconUser, match: (p: string) => /^\/(me|wallet|signin|signup)/.test(p) },
];

function TabBar() {
  const { path } = useLocation();
  const { user } = useSession();
  useInbox();
  const unread = user ? unreadTotal() : 0;
  useEffect(() => {
    if (user) start(user.id);
    else if (user === null) stop();
  }, [user?.id, user === null]);
  return (
    <nav class="tabbar" aria-label="Main">
      {tabs.map((t) => {
        const current = t.match(path);
        const href = t.href === "/me" && user === null ? "/signin" : t.href;
        return (
          <Link key={t.href} href={href} class={"tabbar__tab" + (current ? " tabbar__tab--on" : "")} aria-current={current ? "page" : undefined}>
            <t.icon />
            <span>{t.href === "/me" && user === null ? "Sign in" : t.label}</span>
            {t.href === "/inbox" && unread > 0 && (
              <span class="tabbar__badge" aria-label={`${unread} unread`}>{unread}</span>
            )}
          </Link>
        );
      })}
    </nav>
  );
}

export function App() {
  return (
    <SessionProvider>
      <a class="skip" href="#main">Skip to content</a>
      <div class="shell">
        <TabBar />
        <div class="shell__screen">
          <Router />
        </div>
      </div>
      <Toasts />
    </SessionProvider>
  );
}
