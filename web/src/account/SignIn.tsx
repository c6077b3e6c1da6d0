import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { fieldErrors, message, ApiError } from "../lib/problem";
import { safeNext } from "../lib/route";
import { Field, FormError } from "../ui/Field";
import { Page } from "../ui/Page";
import { Link, navigate, useLocation } from "../ui/router";
import { useSession } from "./session";

export function SignIn() {
  const { query } = useLocation();
  const { refresh } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | undefined>();
  const next = safeNext(query.get("next"));
  const fields = fieldErrors(err?.problem);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr(undefined);
    try {
      await ok(api.POST("/api/v1/auth/login", { body: { email, password } }));
      await refresh();
      navigate(next, { replace: true });
    } catch (e) {
      setErr(e instanceof ApiError ? e : undefined);
      if (!(e instanceof ApiError)) throw e;
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Sign in" back>
      <form class="form narrow" onSubmit={submit} noValidate>
        <Field label="Email" type="email" name="email" autoComplete="username" required value={email} onValue={setEmail} error={fields.email} />
        <Field label="Password" type="password" name="password" autoComplete="current-password" required value={password} onValue={setPassword} error={fields.password} />
        <FormError text={err && !fields.email && !fields.password ? message(err) : undefined} />
        <button class="btn btn--primary btn--block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="muted center">
          New to Reelmart? <Link href={"/signup" + (next !== "/" ? "?next=" + encodeURIComponent(next) : "")}>Create an account</Link>
        </p>
      </form>
    </Page>
  );
}
