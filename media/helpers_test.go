package media_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/blob/s3"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/testenv"
)

// childEnv makes the test binary act as `reelmart transcode …` when the
// sandbox starts it, so the tests run the real sandboxed transcoder.
const childEnv = "REELMART_MEDIA_TEST_TRANSCODE_CHILD"

var fixtures string // directory of the generated media files

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		args := os.Args[1:]
		for len(args) > 0 && args[0] != "transcode" {
			args = args[1:]
		}
		if len(args) > 0 {
			args = args[1:]
		}
		os.Exit(transcode.ChildMain(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "media-fixtures-")
	if err != nil {
		panic(err)
	}
	fixtures = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Sandbox is the real transcode sandbox, re-executing this test binary.
func Sandbox(t testing.TB) transcode.Sandbox {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return transcode.Sandbox{Exe: exe, Env: []string{childEnv + "=1"}, Timeout: 3 * time.Minute}
}

var fixtureMu sync.Mutex

// Fixture returns the path of a generated input: "good.mp4" (2 s 320x240
// H.264 + AAC), "noaudio.mp4", "audio.mp4" (audio only), "png.mp4" (a PNG
// renamed), "empty.mp4" (zero bytes), "truncated.mp4" (good.mp4 cut short).
func Fixture(t testing.TB, name string) string {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	p := filepath.Join(fixtures, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	ff := func(args ...string) {
		t.Helper()
		cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
		}
	}
	switch name {
	case "good.mp4":
		ff("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
			"-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", p)
	case "long.mp4":
		ff("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
			"-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", p)
	case "noaudio.mp4":
		ff("-f", "lavfi", "-i", "testsrc2=size=240x320:rate=25", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p)
	case "audio.mp4":
		ff("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "2", "-c:a", "aac", p)
	case "png.mp4":
		png := filepath.Join(fixtures, "frame.png")
		ff("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", png)
		if err := os.Rename(png, p); err != nil {
			t.Fatal(err)
		}
	case "empty.mp4":
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	case "truncated.mp4":
		fixtureMu.Unlock()
		good, err := os.ReadFile(Fixture(t, "good.mp4"))
		fixtureMu.Lock()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, good[:len(good)/3], 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("no fixture %q", name)
	}
	return p
}

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
	svc, err = media.NewService(media.Deps{DB: d, Blob: store, Transcoder: Sandbox(t), Jobs: q, Now: e.clock.now}, cfg)
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

// keys lists every object key in the store under prefix.
func keys(t testing.TB, store blob.Store, prefix string) []string {
	t.Helper()
	var out []string
	for info, err := range store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		out = append(out, info.Key)
	}
	return out
}

// stores runs fn once per blob engine: local disk and the real MinIO.
func stores(t *testing.T, fn func(t *testing.T, store blob.Store)) {
	t.Run("local", func(t *testing.T) { fn(t, localStore(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, S3Store(t)) })
}

func localStore(t testing.TB) blob.Store {
	st, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// S3Store opens a store on a new bucket of the test MinIO, removed with its objects when t ends.
func S3Store(t testing.TB) blob.Store {
	t.Helper()
	u, err := url.Parse(testenv.S3(t))
	if err != nil {
		t.Fatal("REELMART_TEST_S3 does not parse")
	}
	var b [5]byte
	_, _ = rand.Read(b[:])
	bucket := "media-test-" + hex.EncodeToString(b[:])
	u.Path = "/" + bucket
	st, err := s3.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("open s3: %v", err)
	}
	t.Cleanup(func() {
		secret, _ := u.User.Password()
		c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(u.User.Username(), secret, ""), Secure: false})
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = c.RemoveBucketWithOptions(ctx, bucket, minio.RemoveBucketOptions{ForceDelete: true})
		}
		if err != nil {
			t.Errorf("remove bucket %s: %v", bucket, err)
		}
	})
	return st
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
