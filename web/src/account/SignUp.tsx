import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { fieldErrors, message, unclaimed, ApiError } from "../lib/problem";
import { safeNext } from "../lib/route";
import { Field, FormError } from "../ui/Field";
import { Page } from "../ui/Page";
import { Link, navigate, useLocation } from "../ui/router";
import { useSession } from "./session";

const FIELDS = ["email", "password", "handle", "display_name"] as const;

/** conflictField places a 409 on the field it is about. */
function conflictField(code: string): string | undefined {
  if (code === "email_taken") return "email";
  if (code === "handle_taken") return "handle";
  return undefined;
}

export function SignUp() {
  const { query } = useLocation();
  const { refresh } = useSession();
  const [form, setForm] = useState({ email: "", password: "", handle: "", display_name: "" });
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | undefined>();
  const next = safeNext(query.get("next"));

  const fields = fieldErrors(err?.problem);
  const onField = err ? conflictField(err.code) : undefined;
  if (err && onField) fields[onField] = message(err);
  const claimed = (err?.problem.errors ?? []).length > unclaimed(err?.problem, FIELDS).length;
  const rest = err && !onField && !claimed ? message(err) : undefined;

  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr(undefined);
    try {
      await ok(api.POST("/api/v1/auth/register", { body: form }));
      await refresh();
      navigate(next, { replace: true });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Create your account" back>
      <form class="form narrow" onSubmit={submit} noValidate>
        <Field label="Display name" name="display_name" autoComplete="name" value={form.display_name} onValue={set("display_name")} error={fields.display_name} maxLength={50} />
        <Field label="Handle" name="handle" autoComplete="username" value={form.handle} onValue={set("handle")} error={fields.handle}
          hint="3–30 lowercase letters, digits, _ or ." autoCapitalize="none" spellcheck={false} />
        <Field label="Email" type="email" name="email" autoComplete="email" value={form.email} onValue={set("email")} error={fields.email} />
        <Field label="Password" type="password" name="password" autoComplete="new-password" value={form.password} onValue={set("password")} error={fields.password} hint="At least 10 characters." />
        <FormError text={rest} />
        <button class="btn btn--primary btn--block" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
        <p class="muted center">
          Already have one? <Link href={"/signin" + (next !== "/" ? "?next=" + encodeURIComponent(next) : "")}>Sign in</Link>
        </p>
      </form>
    </Page>
  );
}
