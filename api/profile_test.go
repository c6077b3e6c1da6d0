package api_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/internal/mediatest"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/imaging"
	"github.com/reelmart/reelmart/platform/jobs"
)

// newProfileHarness is the media harness with avatars stored in its blob
// store and shown on videos' creators.
func newProfileHarness(t *testing.T, d *db.DB) *mediaHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	store := mediatest.LocalStore(t)
	accounts := account.NewService(d, account.Config{
		Hasher:     account.NewHasher(argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}),
		SessionTTL: time.Hour, Blobs: store, Images: imaging.New(imaging.Limits{MaxBytes: 256 << 10}),
		AvatarURLPrefix: "http://reelmart.test/api/v1",
	}, c.now)
	q, err := jobs.Open(t.Context(), d, slog.New(slog.DiscardHandler), jobs.Kind{
		Name: media.TranscodeKind, Handler: func(context.Context, jobs.Job) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	svc, err := media.NewService(media.Deps{
		DB: d, Blob: store, Jobs: q, Now: c.now, Transcoder: mediatest.Sandbox(t), AvatarURL: accounts.AvatarURL,
	}, media.Config{StagingDir: t.TempDir(), PublicURL: "http://reelmart.test"})
	if err != nil {
		t.Fatal(err)
	}
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	srv := api.New(api.Deps{Accounts: accounts, Media: svc, Checks: checks, MaxBodyBytes: 64 << 10})
	return &mediaHarness{harness: &harness{t: t, db: d, srv: srv, clock: c, checks: checks}, media: svc, queue: q, store: store}
}

type profileDoc struct {
	ID          string  `json:"id"`
	Email       string  `json:"email"`
	DisplayName string  `json:"display_name"`
	Bio         string  `json:"bio"`
	AvatarURL   *string `json:"avatar_url"`
}

func (h *mediaHarness) putAvatar(token string, data []byte) *response {
	h.t.Helper()
	body, ct := multipartImage(h.t, "image", "me.jpg", data)
	return h.do(req{method: "PUT", path: "/api/v1/me/avatar", token: token, body: body, header: map[string]string{"Content-Type": ct}})
}

func TestProfileEditingHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newProfileHarness(t, d)
		ana := h.register("ana")

		r := h.do(req{method: "PATCH", path: "/api/v1/me", token: ana.Token, body: map[string]string{"display_name": " Ana Lee ", "bio": "Street food <b>daily</b>\nLisbon"}})
		var me profileDoc
		r.json(&me)
		if r.StatusCode != 200 || me.DisplayName != "Ana Lee" || me.Bio != "Street food <b>daily</b>\nLisbon" || me.Email != "ana@example.com" || me.AvatarURL != nil {
			t.Fatalf("patch /me: %d %s", r.StatusCode, r.body)
		}
		var pub profileDoc
		h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID}).json(&pub)
		if pub.Bio != me.Bio || pub.DisplayName != "Ana Lee" || pub.Email != "" {
			t.Fatalf("public profile: %+v", pub)
		}

		r = h.do(req{method: "PATCH", path: "/api/v1/me", token: ana.Token, body: map[string]string{"display_name": "", "bio": strings.Repeat("b", 301)}})
		p := expectProblem(t, r, 422, "validation_failed")
		if len(p.Errors) != 2 || p.Errors[0].Field != "display_name" || p.Errors[1].Field != "bio" {
			t.Fatalf("field errors: %s", r.body)
		}
		expectProblem(t, h.do(req{method: "PATCH", path: "/api/v1/me", token: ana.Token, body: map[string]string{"handle": "taken"}}), 400, "unknown_field")
		expectProblem(t, h.do(req{method: "PATCH", path: "/api/v1/me", body: map[string]string{"bio": "x"}}), 401, "auth_required")
		h.do(req{method: "GET", path: "/api/v1/me", token: ana.Token}).json(&me)
		if me.DisplayName != "Ana Lee" || me.Bio != "Street food <b>daily</b>\nLisbon" {
			t.Fatalf("a refused patch changed the profile: %+v", me)
		}
	})
}

func TestAvatarHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newProfileHarness(t, d)
		ana := h.register("ana")

		r := h.putAvatar(ana.Token, catPNG(t, 300, 200))
		var me profileDoc
		r.json(&me)
		if r.StatusCode != 200 || me.AvatarURL == nil || !strings.HasPrefix(*me.AvatarURL, "http://reelmart.test/api/v1/users/"+ana.User.ID+"/avatars/") {
			t.Fatalf("put avatar: %d %s", r.StatusCode, r.body)
		}
		path := strings.TrimPrefix(*me.AvatarURL, "http://reelmart.test")
		img := h.do(req{method: "GET", path: path})
		if img.StatusCode != 200 || img.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(img.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("get avatar: %d %v", img.StatusCode, img.Header)
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(img.body)); err != nil || cfg.Width != 200 || cfg.Height != 200 {
			t.Fatalf("avatar is not the 200 px centre square: %+v %v", cfg, err)
		}
		orig := h.do(req{method: "GET", path: strings.TrimSuffix(path, "/display") + "/original"})
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(orig.body)); orig.StatusCode != 200 || err != nil || cfg.Width != 300 {
			t.Fatalf("original: %d %+v %v", orig.StatusCode, cfg, err)
		}

		// Sign-in answers and video creators carry the avatar.
		var login struct {
			User profileDoc `json:"user"`
		}
		h.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "ana@example.com", "password": "correct horse battery"}}).json(&login)
		if login.User.AvatarURL == nil || *login.User.AvatarURL != *me.AvatarURL {
			t.Fatalf("login user avatar: %+v", login.User)
		}
		id := h.uploadFile(ana.Token, mediatest.Fixture(t, "good.mp4"))
		var v struct {
			Creator struct {
				AvatarURL *string `json:"avatar_url"`
			} `json:"creator"`
		}
		r = h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: map[string]any{"upload_id": id}})
		r.json(&v)
		if r.StatusCode != 202 || v.Creator.AvatarURL == nil || *v.Creator.AvatarURL != *me.AvatarURL {
			t.Fatalf("video creator: %d %s", r.StatusCode, r.body)
		}

		// Refusals change nothing.
		expectProblem(t, h.putAvatar(ana.Token, []byte("GIF89a not really")), 422, "invalid_image")
		expectProblem(t, h.do(req{method: "PUT", path: "/api/v1/me/avatar", token: ana.Token, body: map[string]string{"image": "x"}}), 415, "unsupported_media_type")
		body, ct := multipartImage(t, "photo", "me.jpg", catPNG(t, 10, 10))
		expectProblem(t, h.do(req{method: "PUT", path: "/api/v1/me/avatar", token: ana.Token, body: body, header: map[string]string{"Content-Type": ct}}), 422, "validation_failed")
		expectProblem(t, h.putAvatar(ana.Token, catPNG(t, 600, 600)), 413, "image_too_large")
		expectProblem(t, h.putAvatar("", catPNG(t, 10, 10)), 401, "auth_required")
		var after profileDoc
		h.do(req{method: "GET", path: "/api/v1/me", token: ana.Token}).json(&after)
		if after.AvatarURL == nil || *after.AvatarURL != *me.AvatarURL {
			t.Fatalf("a refused upload changed the avatar: %+v", after)
		}

		// A new avatar has a new URL; the old one is gone.
		var next profileDoc
		h.putAvatar(ana.Token, catPNG(t, 50, 50)).json(&next)
		if next.AvatarURL == nil || *next.AvatarURL == *me.AvatarURL {
			t.Fatalf("second avatar: %+v", next)
		}
		expectProblem(t, h.do(req{method: "GET", path: path}), 404, "avatar_not_found")
		expectProblem(t, h.do(req{method: "GET", path: strings.TrimSuffix(path, "/display") + "/huge"}), 404, "avatar_not_found")

		r = h.do(req{method: "DELETE", path: "/api/v1/me/avatar", token: ana.Token})
		r.json(&me)
		if r.StatusCode != http.StatusOK || me.AvatarURL != nil {
			t.Fatalf("delete avatar: %d %s", r.StatusCode, r.body)
		}
	})
}
