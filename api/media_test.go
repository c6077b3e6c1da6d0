package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/internal/mediatest"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/s3/s3test"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/jobs"
)

func TestMain(m *testing.M) { mediatest.Main(m) }

// mediaHarness is the harness with a real media service, job queue and blob store.
type mediaHarness struct {
	*harness
	media   *media.Service
	queue   *jobs.Queue
	store   blob.Store
	staging string
}

func newMediaHarness(t *testing.T, d *db.DB, store blob.Store, cfg media.Config) *mediaHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	accounts := testAccounts(d, c.now)
	var svc *media.Service
	q, err := jobs.Open(t.Context(), d, slog.New(slog.DiscardHandler), jobs.Kind{
		Name: media.TranscodeKind, MaxAttempts: 2, Timeout: 5 * time.Minute,
		Handler: func(ctx context.Context, j jobs.Job) error { return svc.TranscodeJob(ctx, j) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	cfg.StagingDir = t.TempDir()
	cfg.PublicURL = "http://reelmart.test"
	if cfg.Rungs == nil {
		cfg.Rungs = []int{240, 144}
	}
	svc, err = media.NewService(media.Deps{
		DB: d, Blob: store, Jobs: q, Now: c.now,
		Transcoder: mediatest.Sandbox(t),
	}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	srv := api.New(api.Deps{Accounts: accounts, Media: svc, Checks: checks, MaxBodyBytes: 64 << 10})
	return &mediaHarness{harness: &harness{t: t, db: d, srv: srv, clock: c, checks: checks}, media: svc, queue: q, store: store, staging: cfg.StagingDir}
}

func tusHeader(extra ...string) map[string]string {
	h := map[string]string{"Tus-Resumable": "1.0.0", "Content-Type": ""}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// createUpload starts a tus upload of size bytes and returns the response.
func (h *mediaHarness) createUpload(token string, size int, filename string) *response {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/api/v1/uploads/", token: token, header: tusHeader(
		"Upload-Length", strconv.Itoa(size),
		"Upload-Metadata", "filename "+base64.StdEncoding.EncodeToString([]byte(filename)))})
}

func (h *mediaHarness) patch(token, id string, offset int, chunk []byte) *response {
	h.t.Helper()
	return h.do(req{method: "PATCH", path: "/api/v1/uploads/" + id, token: token, body: chunk,
		header: tusHeader("Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.Itoa(offset))})
}

// uploadFile sends file in chunks and returns the upload id.
func (h *mediaHarness) uploadFile(token, file string) string {
	h.t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		h.t.Fatal(err)
	}
	r := h.createUpload(token, len(data), filepath.Base(file))
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("create upload: %d %s", r.StatusCode, r.body)
	}
	id := path.Base(r.Header.Get("Location"))
	const chunk = 100 << 10 // over the 64 KiB JSON limit of the harness on purpose
	for off := 0; off < len(data); off += chunk {
		if r := h.patch(token, id, off, data[off:min(off+chunk, len(data))]); r.StatusCode != http.StatusNoContent {
			h.t.Fatalf("patch at %d: %d %s", off, r.StatusCode, r.body)
		}
	}
	return id
}

// stream is send with a body that is read as it arrives, which send cannot do.
func (h *mediaHarness) stream(method, path, token string, body io.Reader, header map[string]string) *response {
	hr := httptest.NewRequestWithContext(context.Background(), method, path, body)
	hr.RemoteAddr = "192.0.2.10:1234"
	hr.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		if v != "" {
			hr.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, hr)
	res := w.Result()
	res.Request = hr
	raw, _ := io.ReadAll(res.Body)
	return &response{Response: res, body: raw}
}

// failingBody yields data and then fails, like a connection that drops mid-request.
type failingBody struct{ r io.Reader }

func (b *failingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("connection reset by peer")
	}
	return n, err
}

func TestTusUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newMediaHarness(t, d, mediatest.LocalStore(t), media.Config{MaxUploadBytes: 1 << 20, UploadQuotaBytes: 3 << 18})
		ana, bob := h.register("ana"), h.register("bob")
		data := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640,000 bytes

		r := h.do(req{method: "OPTIONS", path: "/api/v1/uploads/"})
		if r.StatusCode != 200 || r.Header.Get("Tus-Max-Size") != strconv.Itoa(1<<20) || !strings.Contains(r.Header.Get("Tus-Extension"), "termination") {
			t.Fatalf("OPTIONS: %d %v", r.StatusCode, r.Header)
		}
		if r := h.createUpload("", len(data), "a.mp4"); r.StatusCode != 401 || r.problem(t).Code != "auth_required" {
			t.Fatalf("anonymous create: %d %s", r.StatusCode, r.body)
		}
		if r := h.createUpload(ana.Token, 1<<20+1, "big.mp4"); r.StatusCode != 413 || r.problem(t).Code != "upload_too_large" {
			t.Fatalf("too large: %d %s", r.StatusCode, r.body)
		}

		r = h.createUpload(ana.Token, len(data), "clip.mp4")
		if r.StatusCode != 201 || r.Header.Get("Tus-Resumable") != "1.0.0" {
			t.Fatalf("create: %d %s", r.StatusCode, r.body)
		}
		id := path.Base(r.Header.Get("Location"))
		if r.Header.Get("Location") != "http://reelmart.test/api/v1/uploads/"+id {
			t.Fatalf("Location %q is not under the public URL", r.Header.Get("Location"))
		}
		if r := h.patch(ana.Token, id, 0, data[:200000]); r.StatusCode != 204 || r.Header.Get("Upload-Offset") != "200000" {
			t.Fatalf("first chunk: %d %v %s", r.StatusCode, r.Header, r.body)
		}
		// The connection drops in the middle of the second chunk.
		dropped := h.stream("PATCH", "/api/v1/uploads/"+id, ana.Token, &failingBody{bytes.NewReader(data[200000:350000])},
			tusHeader("Content-Type", "application/offset+octet-stream", "Upload-Offset", "200000"))
		if dropped.StatusCode < 400 || dropped.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("dropped chunk: %d %s", dropped.StatusCode, dropped.body)
		}
		r = h.do(req{method: "HEAD", path: "/api/v1/uploads/" + id, token: ana.Token, header: tusHeader()})
		offset, _ := strconv.Atoi(r.Header.Get("Upload-Offset"))
		if r.StatusCode != 200 || offset != 350000 || r.Header.Get("Upload-Length") != strconv.Itoa(len(data)) ||
			!strings.Contains(r.Header.Get("Upload-Metadata"), base64.StdEncoding.EncodeToString([]byte("clip.mp4"))) {
			t.Fatalf("HEAD after the drop: %d %v", r.StatusCode, r.Header)
		}
		if r := h.patch(ana.Token, id, 0, data[:10]); r.StatusCode != 409 || r.problem(t).Code != "mismatched_offset" {
			t.Fatalf("wrong offset: %d %s", r.StatusCode, r.body)
		}
		for _, other := range []req{
			{method: "HEAD", path: "/api/v1/uploads/" + id, token: bob.Token, header: tusHeader()},
			{method: "PATCH", path: "/api/v1/uploads/" + id, token: bob.Token, body: data[offset:],
				header: tusHeader("Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.Itoa(offset))},
			{method: "DELETE", path: "/api/v1/uploads/" + id, token: bob.Token, header: tusHeader()},
		} {
			r := h.do(other)
			if r.StatusCode != 404 || (other.method != "HEAD" && r.problem(t).Code != "upload_not_found") {
				t.Fatalf("bob %s: %d %s", other.method, r.StatusCode, r.body)
			}
		}
		if r := h.patch(ana.Token, id, offset, data[offset:]); r.StatusCode != 204 || r.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
			t.Fatalf("resume: %d %s", r.StatusCode, r.body)
		}
		staged := 0
		if err := h.db.QueryRow(`SELECT COUNT(*) FROM uploads WHERE id = $1 AND finished_at IS NOT NULL`, id).Scan(&staged); err != nil || staged != 1 {
			t.Fatalf("finished upload row: %d %v", staged, err)
		}

		// 640,000 of 786,432 bytes of quota are taken: 200,000 more do not fit.
		if r := h.createUpload(ana.Token, 200000, "more.mp4"); r.StatusCode != 413 || r.problem(t).Code != "upload_quota_exceeded" {
			t.Fatalf("over quota: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "DELETE", path: "/api/v1/uploads/" + id, token: ana.Token, header: tusHeader()}); r.StatusCode != 204 {
			t.Fatalf("terminate: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "HEAD", path: "/api/v1/uploads/" + id, token: ana.Token, header: tusHeader()}); r.StatusCode != 404 {
			t.Fatalf("HEAD after termination: %d", r.StatusCode)
		}
		if r := h.createUpload(ana.Token, 200000, "more.mp4"); r.StatusCode != 201 {
			t.Fatalf("termination freed no quota: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "POST", path: "/api/v1/uploads/", token: ana.Token, header: map[string]string{"Upload-Length": "10"}}); r.StatusCode != 412 || r.problem(t).Code != "unsupported_version" {
			t.Fatalf("no Tus-Resumable: %d %s", r.StatusCode, r.body)
		}
	})
}

type videoDoc struct {
	ID         string           `json:"id"`
	Status     string           `json:"status"`
	Progress   float64          `json:"progress"`
	Error      string           `json:"error"`
	ErrorCode  string           `json:"error_code"`
	Hashtags   []string         `json:"hashtags"`
	Renditions []map[string]any `json:"renditions"`
	HLSURL     string           `json:"hls_url"`
	PosterURL  string           `json:"poster_url"`
	Creator    struct {
		ID     string `json:"id"`
		Handle string `json:"handle"`
	} `json:"creator"`
}

func TestVideoValidation(t *testing.T) {
	h := newMediaHarness(t, dbtest.Open(t, db.SQLite), mediatest.LocalStore(t), media.Config{})
	ana, bob := h.register("ana"), h.register("bob")
	for _, c := range []struct {
		body  string
		field string
	}{
		{`{"caption": "hi"}`, "upload_id"},
		{`{"upload_id": "x", "caption": "` + strings.Repeat("a", 2201) + `"}`, "caption"},
		{`{"upload_id": "x", "hashtags": ["#ok", "not ok"]}`, "hashtags[1]"},
		{`{"upload_id": "x", "products": [{"product_id": "p", "start_ms": 5, "end_ms": 1}]}`, "products[0].end_ms"},
	} {
		r := h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: c.body})
		p := r.problem(t)
		if r.StatusCode != 422 || p.Code != "validation_failed" || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s: %d %s", c.body[:min(len(c.body), 40)], r.StatusCode, r.body)
		}
	}
	r := h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: `{"upload_id": "x", "products": [{"product_id": "p", "start_ms": 0, "end_ms": 1000}]}`})
	if r.StatusCode != 422 || r.problem(t).Code != "products_unavailable" {
		t.Errorf("products without catalog: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "POST", path: "/api/v1/videos", body: `{"upload_id": "x"}`}); r.StatusCode != 401 {
		t.Errorf("anonymous: %d", r.StatusCode)
	}
	if r := h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: `{"upload_id": "nope"}`}); r.StatusCode != 404 || r.problem(t).Code != "upload_not_found" {
		t.Errorf("missing upload: %d %s", r.StatusCode, r.body)
	}
	half := path.Base(h.createUpload(ana.Token, 100, "half.mp4").Header.Get("Location"))
	if r := h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: map[string]string{"upload_id": half}}); r.StatusCode != 409 || r.problem(t).Code != "upload_incomplete" {
		t.Errorf("unfinished upload: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "POST", path: "/api/v1/videos", token: bob.Token, body: map[string]string{"upload_id": half}}); r.StatusCode != 404 || r.problem(t).Code != "upload_not_found" {
		t.Errorf("bob uses ana's upload: %d %s", r.StatusCode, r.body)
	}

	png := h.uploadFile(ana.Token, mediatest.Fixture(t, "png.mp4"))
	r = h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: map[string]any{"upload_id": png, "caption": "not a video"}})
	var v videoDoc
	r.json(&v)
	if r.StatusCode != 202 || v.Status != "failed" || v.ErrorCode != "not_a_video" || v.Error == "" {
		t.Fatalf("PNG renamed .mp4: %d %s", r.StatusCode, r.body)
	}
	if k := mediatest.Keys(t, h.store, ""); len(k) != 0 {
		t.Fatalf("a rejected file left objects: %v", k)
	}
	if r := h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: map[string]any{"upload_id": png}}); r.StatusCode != 409 || r.problem(t).Code != "upload_already_used" {
		t.Fatalf("reuse: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/videos/" + v.ID, token: bob.Token}); r.StatusCode != 404 || r.problem(t).Code != "video_not_found" {
		t.Fatalf("bob sees ana's failed video: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "DELETE", path: "/api/v1/videos/" + v.ID, token: bob.Token}); r.StatusCode != 404 {
		t.Fatalf("bob deletes ana's failed video: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/videos/" + v.ID + "/poster.jpg", token: ana.Token}); r.StatusCode != 404 {
		t.Fatalf("poster of a failed video: %d", r.StatusCode)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/videos?limit=0"}); r.StatusCode != 422 || r.problem(t).Errors[0].Field != "limit" {
		t.Fatalf("limit 0: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/users/nobody/videos"}); r.StatusCode != 404 || r.problem(t).Code != "user_not_found" {
		t.Fatalf("videos of nobody: %d %s", r.StatusCode, r.body)
	}
}

// TestVideoJourney publishes a real clip through the API, runs the queue,
// plays the result back from both blob engines and deletes it.
func TestVideoJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, engine := range []string{"local", "s3"} {
			t.Run(engine, func(t *testing.T) {
				store := mediatest.LocalStore(t)
				if engine == "s3" {
					store = s3test.NewStore(t, "api-media")
				}
				h := newMediaHarness(t, d, store, media.Config{})
				ana, bob := h.register("ana_"+engine), h.register("bob_"+engine)
				id := h.uploadFile(ana.Token, mediatest.Fixture(t, "good.mp4"))
				r := h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token,
					body: map[string]any{"upload_id": id, "caption": "First clip", "hashtags": []string{"#Sneakers", "OOTD"}}})
				var v videoDoc
				r.json(&v)
				if r.StatusCode != 202 || v.Status != "processing" || v.Progress != 0 || v.Creator.ID != ana.User.ID ||
					strings.Join(v.Hashtags, ",") != "sneakers,ootd" || r.Header.Get("Location") != "/api/v1/videos/"+v.ID {
					t.Fatalf("publish: %d %s", r.StatusCode, r.body)
				}
				if r := h.do(req{method: "GET", path: "/api/v1/videos/" + v.ID}); r.StatusCode != 404 {
					t.Fatalf("processing video visible anonymously: %d", r.StatusCode)
				}
				var page struct {
					Items      []videoDoc `json:"items"`
					NextCursor *string    `json:"next_cursor"`
				}
				h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/videos", token: ana.Token}).json(&page)
				if len(page.Items) != 1 || page.NextCursor != nil {
					t.Fatalf("ana's own listing while processing: %+v", page)
				}
				h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/videos"}).json(&page)
				if len(page.Items) != 0 {
					t.Fatalf("anonymous listing shows a processing video: %+v", page)
				}

				wctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- h.queue.Work(wctx, jobs.Workers{Long: 1}) }()
				deadline := time.Now().Add(2 * time.Minute)
				for v.Status == "processing" && time.Now().Before(deadline) {
					time.Sleep(200 * time.Millisecond)
					h.do(req{method: "GET", path: "/api/v1/videos/" + v.ID, token: ana.Token}).json(&v)
				}
				cancel()
				<-done
				if v.Status != "ready" || v.Progress != 1 || len(v.Renditions) != 2 {
					t.Fatalf("after the job: %+v", v)
				}

				r = h.do(req{method: "GET", path: "/api/v1/videos/" + v.ID, token: bob.Token})
				r.json(&v)
				if v.HLSURL != "http://reelmart.test/api/v1/videos/"+v.ID+"/hls/master.m3u8" || v.PosterURL != "http://reelmart.test/api/v1/videos/"+v.ID+"/poster.jpg" {
					t.Fatalf("urls: %s", r.body)
				}
				master := h.do(req{method: "GET", path: strings.TrimPrefix(v.HLSURL, "http://reelmart.test")})
				if master.StatusCode != 200 || master.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" ||
					!strings.HasPrefix(string(master.body), "#EXTM3U") || !strings.Contains(master.Header.Get("Cache-Control"), "max-age=60") {
					t.Fatalf("master playlist: %d %v %s", master.StatusCode, master.Header, master.body)
				}
				var variant string
				for _, line := range strings.Split(string(master.body), "\n") {
					if line != "" && !strings.HasPrefix(line, "#") {
						variant = line
						break
					}
				}
				base := "/api/v1/videos/" + v.ID + "/hls/"
				r = h.send(req{method: "GET", path: base + variant})
				if r.StatusCode != 200 || !strings.Contains(string(r.body), "#EXT-X-MAP") {
					t.Fatalf("variant playlist %s: %d %s", variant, r.StatusCode, r.body)
				}
				var segment string
				for _, line := range strings.Split(string(r.body), "\n") {
					if strings.HasSuffix(line, ".m4s") {
						segment = path.Join(path.Dir(variant), line)
						break
					}
				}
				r = h.send(req{method: "GET", path: base + segment, header: map[string]string{"Range": "bytes=0-99"}})
				if r.StatusCode != 206 || len(r.body) != 100 || r.Header.Get("Content-Type") != "video/iso.segment" ||
					!strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
					t.Fatalf("segment %s range: %d %v", segment, r.StatusCode, r.Header)
				}
				poster := h.do(req{method: "GET", path: strings.TrimPrefix(v.PosterURL, "http://reelmart.test")})
				if poster.StatusCode != 200 || poster.Header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(poster.body, []byte{0xff, 0xd8}) {
					t.Fatalf("poster: %d %v", poster.StatusCode, poster.Header)
				}
				if r := h.send(req{method: "GET", path: base + "nothing/here.m4s"}); r.StatusCode != 404 {
					t.Fatalf("missing file: %d", r.StatusCode)
				}

				h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/videos"}).json(&page)
				if len(page.Items) != 1 || page.Items[0].ID != v.ID {
					t.Fatalf("anonymous listing once ready: %+v", page)
				}
				if r := h.do(req{method: "DELETE", path: "/api/v1/videos/" + v.ID, token: bob.Token}); r.StatusCode != 403 || r.problem(t).Code != "not_video_owner" {
					t.Fatalf("bob deletes: %d %s", r.StatusCode, r.body)
				}
				if r := h.do(req{method: "DELETE", path: "/api/v1/videos/" + v.ID, token: ana.Token}); r.StatusCode != 204 {
					t.Fatalf("ana deletes: %d %s", r.StatusCode, r.body)
				}
				if k := mediatest.Keys(t, store, ""); len(k) != 0 {
					t.Fatalf("objects after delete: %v", k)
				}
				if r := h.do(req{method: "GET", path: "/api/v1/videos/" + v.ID, token: ana.Token}); r.StatusCode != 404 {
					t.Fatalf("deleted video: %d", r.StatusCode)
				}
				if r := h.send(req{method: "GET", path: base + segment}); r.StatusCode != 404 {
					t.Fatalf("segment of a deleted video: %d", r.StatusCode)
				}
			})
		}
	})
}

// TestVideoListingPages pages through a creator's videos with the cursor.
func TestVideoListingPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newMediaHarness(t, d, mediatest.LocalStore(t), media.Config{})
		ana := h.register("ana")
		var ids []string
		for i := 0; i < 5; i++ {
			id := h.uploadFile(ana.Token, mediatest.Fixture(t, "empty.mp4"))
			var v videoDoc
			h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token, body: map[string]string{"upload_id": id}}).json(&v)
			ids = append(ids, v.ID)
			h.clock.add(time.Second)
		}
		var got []string
		cursor := ""
		for pages := 0; pages < 5; pages++ {
			var page struct {
				Items      []videoDoc `json:"items"`
				NextCursor *string    `json:"next_cursor"`
			}
			h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/videos?limit=2&cursor=" + url.QueryEscape(cursor), token: ana.Token}).json(&page)
			for _, v := range page.Items {
				got = append(got, v.ID)
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("pages = %v, want %v", got, want)
		}
		if r := h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/videos?cursor=zzz", token: ana.Token}); r.StatusCode != 422 {
			t.Fatalf("bad cursor: %d %s", r.StatusCode, r.body)
		}
	})
}

// TestTusOverRealConnection uploads over TCP, drops the connection in the
// middle of a PATCH, and resumes from the offset HEAD reports.
func TestTusOverRealConnection(t *testing.T) {
	h := newMediaHarness(t, dbtest.Open(t, db.SQLite), mediatest.LocalStore(t), media.Config{})
	ana := h.register("ana")
	srv := httptest.NewServer(h.srv)
	defer srv.Close()
	data := make([]byte, 3<<20)
	_, _ = rand.Read(data)
	call := func(method, path string, body io.Reader, header map[string]string) (*http.Response, error) {
		r, err := http.NewRequest(method, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+ana.Token)
		r.Header.Set("Tus-Resumable", "1.0.0")
		for k, v := range header {
			r.Header.Set(k, v)
		}
		if n, ok := header["Content-Length"]; ok {
			r.ContentLength, _ = strconv.ParseInt(n, 10, 64)
		}
		res, err := srv.Client().Do(r)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return res, err
	}
	res, err := call("POST", "/api/v1/uploads/", nil, map[string]string{"Upload-Length": strconv.Itoa(len(data))})
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create: %v %v", err, res)
	}
	up := "/api/v1/uploads/" + path.Base(res.Header.Get("Location"))

	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(data[:1<<20])
		time.Sleep(300 * time.Millisecond)
		pw.CloseWithError(errors.New("network gone"))
	}()
	if res, err := call("PATCH", up, pr, map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0",
		"Content-Length": strconv.Itoa(len(data))}); err == nil {
		t.Fatalf("the dropped PATCH answered %d", res.StatusCode)
	}
	var offset int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := call("HEAD", up, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		offset, _ = strconv.Atoi(res.Header.Get("Upload-Offset"))
		if res.StatusCode == 200 && offset > 0 || time.Now().After(deadline) {
			break
		}
	}
	if offset <= 0 || offset > 1<<20 {
		t.Fatalf("offset after the drop = %d", offset)
	}
	res, err = call("PATCH", up, bytes.NewReader(data[offset:]), map[string]string{"Content-Type": "application/offset+octet-stream",
		"Upload-Offset": strconv.Itoa(offset)})
	if err != nil || res.StatusCode != 204 || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("resume from %d: %v %v", offset, err, res)
	}
	if got, err := os.ReadFile(filepath.Join(h.staging, path.Base(up))); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("staged bytes differ from the upload (%d of %d bytes, %v)", len(got), len(data), err)
	}
}
