// The signed-in user, for every screen. The session itself is an HttpOnly
// cookie; the app asks GET /me only when the readable CSRF cookie says one
// exists, so an anonymous visit makes no request that must fail.
import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { api, hasSession, ok, type Profile } from "../api/client";
import { ApiError } from "../lib/problem";

export interface SessionState {
  /** user is null when signed out, undefined while the first check runs. */
  user: Profile | null | undefined;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const Ctx = createContext<SessionState>({ user: undefined, refresh: async () => {}, signOut: async () => {} });

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [user, setUser] = useState<Profile | null | undefined>(undefined);

  const refresh = useCallback(async () => {
    if (!hasSession()) {
      setUser(null);
      return;
    }
    try {
      setUser(await ok(api.GET("/api/v1/me")));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setUser(null);
      else throw e;
    }
  }, []);

  const signOut = useCallback(async () => {
    try {
      await ok(api.POST("/api/v1/auth/logout"));
    } finally {
      setUser(null);
    }
  }, []);

  useEffect(() => {
    refresh().catch(() => setUser(null));
  }, [refresh]);

  return <Ctx.Provider value={{ user, refresh, signOut }}>{children}</Ctx.Provider>;
}

export function useSession(): SessionState {
  return useContext(Ctx);
}
