// Screens that need a signed-in user send everyone else to sign in, and back.
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { Loading, Page } from "../ui/Page";
import { navigate } from "../ui/router";
import { useSession } from "./session";

export function RequireUser({ children }: { children: ComponentChildren }) {
  const { user } = useSession();
  useEffect(() => {
    if (user === null) navigate("/signin?next=" + encodeURIComponent(location.pathname + location.search), { replace: true });
  }, [user]);
  if (!user) {
    return (
      <Page title="Reelmart">
        <Loading />
      </Page>
    );
  }
  return <>{children}</>;
}
