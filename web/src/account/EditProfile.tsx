// Profile editing: display name and bio (PATCH /me), and the avatar, which
// is uploaded as soon as it is picked (PUT /me/avatar) and shown at once.
// The server strips the picture's metadata and crops it square.
import { useState } from "preact/hooks";
import { api, csrfHeaders, ok, type Profile } from "../api/client";
import { ApiError, fieldErrors, message, type Problem } from "../lib/problem";
import { Avatar } from "../ui/Avatar";
import { Field, FormError } from "../ui/Field";
import { Page } from "../ui/Page";
import { navigate } from "../ui/router";
import { toast } from "../ui/toast";
import { useSession } from "./session";

/** putAvatar sends an image as multipart, which openapi-fetch (JSON only) does not. */
async function putAvatar(file: File): Promise<Profile> {
  const body = new FormData();
  body.append("image", file);
  const r = await fetch("/api/v1/me/avatar", { method: "PUT", body, headers: csrfHeaders(), credentials: "same-origin" });
  if (!r.ok) {
    const p = ((await r.json().catch(() => null)) ?? {}) as Partial<Problem>;
    throw new ApiError({ type: p.type ?? "about:blank", title: p.title ?? r.statusText, status: r.status, code: p.code ?? "http_" + r.status, detail: p.detail, errors: p.errors });
  }
  return (await r.json()) as Profile;
}

export function EditProfile() {
  const { user, refresh } = useSession();
  const [form, setForm] = useState({ display_name: user?.display_name ?? "", bio: user?.bio ?? "" });
  const [err, setErr] = useState<ApiError>();
  const [avatarErr, setAvatarErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [uploading, setUploading] = useState(false);
  if (!user) return null;
  const fields = fieldErrors(err?.problem);
  const other = err && !fields.display_name && !fields.bio ? message(err) : undefined;

  const pick = async (file: File | undefined) => {
    if (!file) return;
    setAvatarErr(undefined);
    setUploading(true);
    try {
      await putAvatar(file);
      await refresh();
      toast("Picture updated");
    } catch (e) {
      setAvatarErr(message(e));
    } finally {
      setUploading(false);
    }
  };
  const remove = async () => {
    setAvatarErr(undefined);
    try {
      await ok(api.DELETE("/api/v1/me/avatar"));
      await refresh();
    } catch (e) {
      setAvatarErr(message(e));
    }
  };

  return (
    <Page title="Edit profile" back>
      <section class="profile-card">
        <Avatar name={user.display_name} url={user.avatar_url} size={72} />
        <div class="stack">
          <label class="btn btn--ghost" aria-busy={uploading}>
            {uploading ? "Uploading…" : "Change picture"}
            <input class="visually-hidden" type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => {
                const input = e.currentTarget;
                void pick(input.files?.[0]);
                // Picking the same file again, after an error, uploads it again.
                input.value = "";
              }}
            />
          </label>
          {user.avatar_url && (
            <button type="button" class="btn btn--ghost" onClick={remove}>
              Remove picture
            </button>
          )}
        </div>
      </section>
      <FormError text={avatarErr} />
      <form
        class="form"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setErr(undefined);
          try {
            await ok(api.PATCH("/api/v1/me", { body: { display_name: form.display_name, bio: form.bio } }));
            await refresh();
            toast("Profile saved");
            navigate("/me");
          } catch (e) {
            if (e instanceof ApiError) setErr(e);
            else throw e;
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Display name" name="display_name" autoComplete="name" maxLength={50} value={form.display_name}
          onValue={(v) => setForm({ ...form, display_name: v })} error={fields.display_name} />
        <Field label="Bio" name="bio" multiline maxLength={300} value={form.bio} onValue={(v) => setForm({ ...form, bio: v })}
          error={fields.bio} hint="Up to 300 characters. Shown on your profile." />
        <FormError text={other} />
        <button class="btn btn--primary btn--block" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
      </form>
    </Page>
  );
}
