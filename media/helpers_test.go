package media_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/internal/mediatest"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/s3/s3test"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/jobs"
)

func TestMain(m *testing.M) { mediatest.Main(m) }

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is a media service on a real database, blob store, job queue and sandbox.
type env struct {
	t        *testing.T
	db       *db.DB
	store    blob.Store
	svc      *media.Service
	queue    *jobs.Queue
	accounts *account.Service
	clock    *clock
	staging  string
}

func newEnv(t *testing.T, d *db.DB, store blob.Store, cfg media.Config) *env {
	t.Helper()
	e := &env{t: t, db: d, store: store, clock: &clock{t: time.Now().UTC()}, staging: t.TempDir()}
	e.accounts = account.NewService(d, account.Config{Hasher: account.NewHasher(argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})}, e.clock.now)
	var svc *media.Service // the queue needs the handler before the service exists
	q, err := jobs.Open(t.Context(), d, slog.New(slog.DiscardHandler), jobs.Kind{
		Name: media.TranscodeKind, MaxAttempts: 3, Timeout: 5 * time.Minute,
		Handler: func(ctx context.Context, j jobs.Job) error { return svc.TranscodeJob(ctx, j) },
	})
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	cfg.StagingDir = e.staging
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://reelmart.test"
	}
	svc, err = media.NewService(media.Deps{DB: d, Blob: store, Transcoder: mediatest.Sandbox(t), Jobs: q, Now: e.clock.now}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, e.queue = svc, q
	return e
}

func (e *env) user(handle string) string {
	e.t.Helper()
	u, _, err := e.accounts.Register(context.Background(), account.Registration{
		Email: handle + "@example.com", Password: "correct horse battery", Handle: handle, DisplayName: "User " + handle,
	}, account.Client{})
	if err != nil {
		e.t.Fatalf("register %s: %v", handle, err)
	}
	return u.ID
}

// tus sends one tus request through ServeTus and returns the recorder and the refusal.
func (e *env) tus(method, userID, id string, header map[string]string, body []byte) (*httptest.ResponseRecorder, error) {
	r := httptest.NewRequest(method, "/api/v1/uploads/"+id, bytes.NewReader(body))
	r.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	return w, e.svc.ServeTus(w, r, userID, id)
}

// createUpload starts an upload of size bytes and returns its id.
func (e *env) createUpload(userID string, size int64, filename string) (string, error) {
	w, err := e.tus("POST", userID, "", map[string]string{
		"Upload-Length":   strconv.FormatInt(size, 10),
		"Upload-Metadata": "filename " + base64.StdEncoding.EncodeToString([]byte(filename)),
	}, nil)
	if err != nil {
		return "", err
	}
	if w.Code != http.StatusCreated {
		e.t.Fatalf("create upload: %d %s", w.Code, w.Body)
	}
	return path.Base(w.Header().Get("Location")), nil
}

// upload sends the whole file at path in chunks of chunk bytes and returns the upload id.
func (e *env) upload(userID, file string, chunk int) string {
	e.t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		e.t.Fatal(err)
	}
	id, err := e.createUpload(userID, int64(len(data)), filepath.Base(file))
	if err != nil {
		e.t.Fatalf("create upload: %v", err)
	}
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		w, err := e.tus("PATCH", userID, id, map[string]string{
			"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.Itoa(off),
		}, data[off:end])
		if err != nil || w.Code != http.StatusNoContent {
			e.t.Fatalf("patch at %d: %v %d %s", off, err, w.Code, w.Body)
		}
	}
	return id
}

// publish uploads file and publishes it.
func (e *env) publish(userID, file string) (media.Video, error) {
	e.t.Helper()
	return e.svc.Publish(context.Background(), userID, media.NewVideo{UploadID: e.upload(userID, file, 64<<10), Caption: "clip"})
}

// stores runs fn once per blob engine: local disk and the real MinIO.
func stores(t *testing.T, fn func(t *testing.T, store blob.Store)) {
	t.Run("local", func(t *testing.T) { fn(t, mediatest.LocalStore(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, s3test.NewStore(t, "media-test")) })
}

func code(err error) string {
	if e := reelmart.AsError(err); e != nil {
		return e.Code
	}
	return fmt.Sprint(err)
}

func fields(err error) string {
	e := reelmart.AsError(err)
	if e == nil {
		return ""
	}
	var f []string
	for _, fe := range e.Fields {
		f = append(f, fe.Field)
	}
	return strings.Join(f, ",")
}
