// Uploading a video, the way PeerTube does it: the bytes start moving as
// soon as a file is chosen (tus, in 5 MiB chunks, with pause and resume, and
// resume after a reload), while the creator writes the caption, hashtags and
// product pins; "Publish" hands the finished upload to the transcoder.
import { useEffect, useRef, useState } from "preact/hooks";
import * as tus from "tus-js-client";
import { api, csrfHeaders, ok } from "../api/client";
import { captionTags, parseHashtags } from "../lib/hashtags";
import { ApiError, fieldErrors, message, type Problem } from "../lib/problem";
import { Field, FormError } from "../ui/Field";
import { IconUpload } from "../ui/icons";
import { Page } from "../ui/Page";
import { navigate } from "../ui/router";
import { clearDraft, loadDraft, saveDraft, type Draft } from "./draft";
import { PinEditor, pinsForAPI } from "./PinEditor";

type State = "idle" | "uploading" | "paused" | "done" | "error";

const CHUNK = 5 * 1024 * 1024;

function problemOf(err: Error): string {
  const res = (err as tus.DetailedError).originalResponse;
  if (res) {
    try {
      const p = JSON.parse(res.getBody()) as Problem;
      if (p.detail) return p.detail;
    } catch {
      // not a problem document
    }
    if (res.getStatus() === 413) return "This file is too large to upload.";
  }
  return "The upload stopped: " + (err.message.split("\n")[0] ?? "network error") + ". Press Resume to continue.";
}

export function Upload() {
  const saved = useRef(loadDraft());
  const [draft, setDraftState] = useState<Draft | null>(saved.current);
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<State>("idle");
  const [sent, setSent] = useState(0);
  const [uploadErr, setUploadErr] = useState<string>();
  const [err, setErr] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);
  const [preview, setPreview] = useState<string>();
  const [duration, setDuration] = useState(0);
  const upload = useRef<tus.Upload | null>(null);
  const previewRef = useRef<HTMLVideoElement>(null);

  const setDraft = (d: Draft) => {
    setDraftState(d);
    saveDraft(d);
  };

  useEffect(() => () => void upload.current?.abort(), []);
  useEffect(() => () => { if (preview) URL.revokeObjectURL(preview); }, [preview]);

  async function choose(f: File) {
    void upload.current?.abort();
    setUploadErr(undefined);
    setFile(f);
    setSent(0);
    setPreview(URL.createObjectURL(f));
    const resuming = draft && draft.fileName === f.name && draft.fileSize === f.size;
    const d: Draft = resuming ? draft : { fileName: f.name, fileSize: f.size, caption: "", hashtags: "", pins: [] };
    setDraft(d);
    const u = new tus.Upload(f, {
      endpoint: "/api/v1/uploads/",
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      metadata: { filename: f.name, filetype: f.type || "video/mp4" },
      headers: csrfHeaders(),
      onProgress: (bytes) => setSent(bytes),
      onSuccess: () => {
        setSent(f.size);
        setState("done");
      },
      onError: (e) => {
        setUploadErr(problemOf(e));
        setState("error");
      },
      onShouldRetry: (e) => {
        const s = e.originalResponse?.getStatus() ?? 0;
        return s === 0 || s === 409 || s === 423 || s >= 500; // not on 4xx the server means
      },
    });
    upload.current = u;
    const previous = await u.findPreviousUploads();
    if (previous[0]) u.resumeFromPreviousUpload(previous[0]);
    u.start();
    setState("uploading");
  }

  function pause() {
    void upload.current?.abort();
    setState("paused");
  }

  function resume() {
    setUploadErr(undefined);
    upload.current?.start();
    setState("uploading");
  }

  async function cancel() {
    const u = upload.current;
    upload.current = null;
    if (u) await u.abort(u.url !== null).catch(() => undefined); // frees the server's copy and the quota
    clearDraft();
    setDraftState(null);
    setFile(null);
    setState("idle");
    setSent(0);
  }

  async function publish(e: Event) {
    e.preventDefault();
    const u = upload.current;
    if (!u?.url || !draft) return;
    setBusy(true);
    setErr(undefined);
    try {
      const hashtags = parseHashtags(draft.hashtags + " " + captionTags(draft.caption).join(" "));
      const v = await ok(
        api.POST("/api/v1/videos", {
          body: { upload_id: u.url.split("/").pop()!, caption: draft.caption.trim(), hashtags, products: pinsForAPI(draft.pins) },
        }),
      );
      clearDraft();
      navigate("/studio/videos/" + v.id, { replace: true });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      setErr(e);
    } finally {
      setBusy(false);
    }
  }

  const fields = fieldErrors(err?.problem);
  const total = file?.size ?? draft?.fileSize ?? 0;
  const pct = total ? Math.round((sent / total) * 100) : 0;

  return (
    <Page title="New video" back>
      {!file && (
        <>
          {draft && (
            <p class="notice" role="status">
              You were uploading <strong>{draft.fileName}</strong>. Choose the same file to resume where it stopped.
            </p>
          )}
          <label
            class={"drop" + (over ? " drop--over" : "")}
            onDragOver={(e) => { e.preventDefault(); setOver(true); }}
            onDragLeave={() => setOver(false)}
            onDrop={(e) => {
              e.preventDefault();
              setOver(false);
              const f = e.dataTransfer?.files[0];
              if (f) void choose(f);
            }}
          >
            <IconUpload />
            <strong>Choose a video or drop it here</strong>
            <span class="small">MP4, MOV or WebM, up to 10 minutes</span>
            <input type="file" accept="video/*" class="visually-hidden" aria-label="Choose a video file" onChange={(e) => { const f = e.currentTarget.files?.[0]; if (f) void choose(f); }} />
          </label>
        </>
      )}
      {file && draft && (
        <form class="form" onSubmit={publish} noValidate>
          <section class="stack" aria-label="Upload">
            <div class="row row--between">
              <span class="small">{file.name}</span>
              <span class="small" aria-hidden="true">{pct}%</span>
            </div>
            <div class="progress" role="progressbar" aria-label="Upload progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
              <span style={{ width: pct + "%" }} />
            </div>
            <p class="muted small" role="status">
              {state === "uploading" && "Uploading…"}
              {state === "paused" && "Paused. Your progress is kept."}
              {state === "done" && "Uploaded. Add the details and publish."}
            </p>
            <div class="row">
              {state === "uploading" && <button type="button" class="btn btn--small" onClick={pause}>Pause</button>}
              {(state === "paused" || state === "error") && <button type="button" class="btn btn--small" onClick={resume}>Resume</button>}
              <button type="button" class="btn btn--small btn--ghost" onClick={cancel}>Cancel upload</button>
            </div>
            <FormError text={uploadErr} />
          </section>
          {preview && (
            <video ref={previewRef} class="scrubber-video" src={preview} muted playsInline controls aria-label="Preview"
              onLoadedMetadata={(e) => setDuration(Math.round(e.currentTarget.duration * 1000) || 0)} />
          )}
          <Field label="Caption" multiline maxLength={2200} value={draft.caption} onValue={(v) => setDraft({ ...draft, caption: v })} error={fields.caption} />
          <Field label="Hashtags" value={draft.hashtags} onValue={(v) => setDraft({ ...draft, hashtags: v })} error={fields.hashtags} hint="Separate with spaces, e.g. #summer #style" />
          <PinEditor pins={draft.pins} onChange={(pins) => setDraft({ ...draft, pins })} durationMs={duration} errors={fields}
            seek={(ms) => { if (previewRef.current) previewRef.current.currentTime = ms / 1000; }} />
          <FormError text={err && Object.keys(fields).length === 0 ? message(err) : undefined} />
          <button class="btn btn--primary btn--block" disabled={busy || state !== "done"}>
            {busy ? "Publishing…" : state === "done" ? "Publish" : "Publish (when the upload finishes)"}
          </button>
        </form>
      )}
    </Page>
  );
}
