package blobhttp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"

	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/blobhttp"
)

const mib = 1 << 20

// payload returns n pseudo-random bytes, the same for the same seed.
func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

func put(t *testing.T, s blob.Store, key string, data []byte, contentType string) blob.Info {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
	info, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat %s: %v", key, err)
	}
	return info
}

// serve starts a server on 127.0.0.1 answering /o/{key} with Serve, the way
// an api handler would: errors before the response become problem+json.
func serve(t *testing.T, store blob.Store, opts blobhttp.Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/o/{key...}", func(w http.ResponseWriter, r *http.Request) {
		err := blobhttp.Serve(w, r, store, r.PathValue("key"), opts)
		switch {
		case err == nil:
		case errors.Is(err, blobhttp.ErrAborted):
			t.Logf("response aborted: %v", err)
		case errors.Is(err, blob.ErrNotFound), errors.Is(err, blob.ErrInvalidKey):
			problem(w, http.StatusNotFound, "not_found")
		case errors.Is(err, blobhttp.ErrMethodNotAllowed):
			w.Header().Set("Allow", "GET, HEAD")
			problem(w, http.StatusMethodNotAllowed, "method_not_allowed")
		default:
			t.Errorf("Serve: %v", err)
			problem(w, http.StatusInternalServerError, "internal")
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func problem(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":%d,"title":%q,"code":%q}`, status, http.StatusText(status), code)
}

// do sends method to url with the headers given as name, value pairs and
// returns the response with its body read.
func do(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, body
}

// want fails the test unless resp has the status and each header has the
// value given as name, value pairs ("" means absent).
func want(t *testing.T, resp *http.Response, status int, header ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if got := resp.Header.Get(header[i]); got != header[i+1] {
			t.Errorf("%s %s (%d): %s = %q, want %q", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, header[i], got, header[i+1])
		}
	}
}

func TestServe(t *testing.T) {
	forEachEngine(t, func(t *testing.T, store blob.Store) {
		data := payload(100_000, 1)
		info := put(t, store, "videos/v1/720p/seg_001.m4s", data, "video/iso.segment")
		put(t, store, "videos/v1/empty.m4s", nil, "video/iso.segment")
		srv := serve(t, store, blobhttp.Options{CacheControl: blobhttp.CacheImmutable})
		u := srv.URL + "/o/videos/v1/720p/seg_001.m4s"
		etag := `"` + info.ETag + `"`
		lastMod := info.ModTime.UTC().Format(http.TimeFormat)
		size := strconv.Itoa(len(data))

		t.Run("get", func(t *testing.T) {
			resp, body := do(t, "GET", u)
			want(t, resp, 200, "Content-Length", size, "Content-Type", "video/iso.segment",
				"Accept-Ranges", "bytes", "ETag", etag, "Last-Modified", lastMod,
				"Cache-Control", blobhttp.CacheImmutable, "Content-Range", "")
			if !bytes.Equal(body, data) {
				t.Errorf("GET body: %d bytes, differs from the %d stored", len(body), len(data))
			}
		})
		t.Run("head", func(t *testing.T) {
			resp, body := do(t, "HEAD", u)
			want(t, resp, 200, "Content-Length", size, "Content-Type", "video/iso.segment",
				"Accept-Ranges", "bytes", "ETag", etag, "Cache-Control", blobhttp.CacheImmutable)
			if len(body) != 0 {
				t.Errorf("HEAD returned %d body bytes", len(body))
			}
		})
		t.Run("ranges", func(t *testing.T) {
			for _, c := range []struct {
				rng        string
				start, end int // inclusive
			}{
				{"bytes=0-0", 0, 0},
				{"bytes=10-1033", 10, 1033},
				{"bytes=99000-", 99000, 99999},       // open-ended
				{"bytes=-500", 99500, 99999},         // suffix
				{"bytes=99990-200000", 99990, 99999}, // clipped to the end
				{"bytes=-200000", 0, 99999},          // suffix longer than the object
				{"bytes=0-", 0, 99999},               // what media elements send
			} {
				resp, body := do(t, "GET", u, "Range", c.rng)
				want(t, resp, 206, "Content-Range", fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, len(data)),
					"Content-Length", strconv.Itoa(c.end-c.start+1), "Content-Type", "video/iso.segment",
					"ETag", etag, "Cache-Control", blobhttp.CacheImmutable, "Accept-Ranges", "bytes")
				if !bytes.Equal(body, data[c.start:c.end+1]) {
					t.Errorf("Range %s: body differs from bytes %d-%d", c.rng, c.start, c.end)
				}
			}
		})
		t.Run("unsatisfiable", func(t *testing.T) {
			for _, rng := range []string{"bytes=100000-", "bytes=200000-300000"} {
				resp, _ := do(t, "GET", u, "Range", rng)
				want(t, resp, 416, "Content-Range", "bytes */"+size)
			}
			// Every range fits an empty object's "whole": 200, as ServeContent does.
			resp, body := do(t, "GET", srv.URL+"/o/videos/v1/empty.m4s", "Range", "bytes=0-10")
			want(t, resp, 200, "Content-Length", "0")
			if len(body) != 0 {
				t.Errorf("empty object: %d body bytes", len(body))
			}
		})
		t.Run("multiple ranges", func(t *testing.T) {
			resp, body := do(t, "GET", u, "Range", "bytes=0-9,20-29")
			want(t, resp, 200, "Content-Length", size, "Content-Type", "video/iso.segment", "Content-Range", "")
			if !bytes.Equal(body, data) {
				t.Errorf("multi-range GET: body is not the whole object")
			}
		})
		t.Run("conditional", func(t *testing.T) {
			resp, body := do(t, "GET", u, "If-None-Match", etag)
			want(t, resp, 304, "ETag", etag, "Cache-Control", blobhttp.CacheImmutable, "Content-Type", "")
			if len(body) != 0 {
				t.Errorf("304 with %d body bytes", len(body))
			}
			resp, _ = do(t, "GET", u, "If-None-Match", `"other", `+etag)
			want(t, resp, 304)
			resp, _ = do(t, "GET", u, "If-None-Match", `"other"`)
			want(t, resp, 200, "Content-Length", size)
			resp, _ = do(t, "HEAD", u, "If-None-Match", etag)
			want(t, resp, 304)
			resp, _ = do(t, "GET", u, "If-Modified-Since", lastMod)
			want(t, resp, 304)
			resp, _ = do(t, "GET", u, "If-Modified-Since", info.ModTime.Add(-time.Hour).UTC().Format(http.TimeFormat))
			want(t, resp, 200)
			// If-Range: the range holds only while the object is the one the client has.
			resp, _ = do(t, "GET", u, "Range", "bytes=0-99", "If-Range", etag)
			want(t, resp, 206, "Content-Range", "bytes 0-99/"+size)
			resp, body = do(t, "GET", u, "Range", "bytes=0-99", "If-Range", `"stale"`)
			want(t, resp, 200, "Content-Length", size)
			if !bytes.Equal(body, data) {
				t.Errorf("If-Range mismatch: body is not the whole object")
			}
		})
		t.Run("not found", func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+"/o/videos/v1/missing.m4s")
			want(t, resp, 404, "Content-Type", "application/problem+json", "ETag", "", "Cache-Control", "")
			if !bytes.Contains(body, []byte(`"code":"not_found"`)) {
				t.Errorf("404 body %s: want the caller's problem+json", body)
			}
			resp, _ = do(t, "DELETE", u)
			want(t, resp, 405, "Allow", "GET, HEAD", "Content-Type", "application/problem+json")
		})
	})
}

// recorder is a ResponseWriter that notes whether anything was written.
type recorder struct {
	header http.Header
	wrote  bool
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(int)             { r.wrote = true }
func (r *recorder) Write(p []byte) (int, error) { r.wrote = true; return len(p), nil }

// TestServeErrorsBeforeWriting checks that the errors a caller maps to
// problem+json come back before Serve has written or even set a header.
func TestServeErrorsBeforeWriting(t *testing.T) {
	forEachEngine(t, func(t *testing.T, store blob.Store) {
		put(t, store, "videos/v1/master.m3u8", []byte("#EXTM3U\n"), "")
		for _, c := range []struct {
			method, key string
			want        error
		}{
			{"GET", "videos/v1/missing.m3u8", blob.ErrNotFound},
			{"HEAD", "videos/v1/missing.m3u8", blob.ErrNotFound},
			{"GET", "videos/../etc/passwd", blob.ErrInvalidKey},
			{"GET", "", blob.ErrInvalidKey},
			{"POST", "videos/v1/master.m3u8", blobhttp.ErrMethodNotAllowed},
		} {
			w := &recorder{header: http.Header{}}
			r := httptest.NewRequestWithContext(t.Context(), c.method, "/o/x", nil)
			err := blobhttp.Serve(w, r, store, c.key, blobhttp.Options{})
			if !errors.Is(err, c.want) || errors.Is(err, blobhttp.ErrAborted) {
				t.Errorf("Serve %s %q = %v, want %v", c.method, c.key, err, c.want)
			}
			if w.wrote || len(w.header) != 0 {
				t.Errorf("Serve %s %q wrote before failing (headers %v)", c.method, c.key, w.header)
			}
		}
	})
}

func TestContentTypesAndCaching(t *testing.T) {
	forEachEngine(t, func(t *testing.T, store blob.Store) {
		for _, c := range []struct{ key, stored, want string }{
			{"v/master.m3u8", "", "application/vnd.apple.mpegurl"},
			{"v/720p/index.m3u8", blob.DefaultContentType, "application/vnd.apple.mpegurl"},
			{"v/720p/seg_000.m4s", "", "video/iso.segment"},
			{"v/720p/init.mp4", "", "video/mp4"},
			{"v/source.mp4", "", "video/mp4"},
			{"v/poster.jpg", "", "image/jpeg"},
			{"v/POSTER.JPG", "", "image/jpeg"},
			{"v/unknown.bin", "", blob.DefaultContentType},
			{"v/noext", "", blob.DefaultContentType},
			{"v/stored.bin", "image/png", "image/png"},          // the stored type wins
			{"v/stored.m3u8", "audio/mpegurl", "audio/mpegurl"}, // even over the extension
		} {
			put(t, store, c.key, []byte("x"), c.stored)
		}
		playlists := serve(t, store, blobhttp.Options{CacheControl: blobhttp.CachePlaylist})
		plain := serve(t, store, blobhttp.Options{})
		for _, c := range []struct{ key, want string }{
			{"v/master.m3u8", "application/vnd.apple.mpegurl"},
			{"v/720p/index.m3u8", "application/vnd.apple.mpegurl"},
			{"v/720p/seg_000.m4s", "video/iso.segment"},
			{"v/720p/init.mp4", "video/mp4"},
			{"v/source.mp4", "video/mp4"},
			{"v/poster.jpg", "image/jpeg"},
			{"v/POSTER.JPG", "image/jpeg"},
			{"v/unknown.bin", blob.DefaultContentType},
			{"v/noext", blob.DefaultContentType},
			{"v/stored.bin", "image/png"},
			{"v/stored.m3u8", "audio/mpegurl"},
		} {
			resp, _ := do(t, "GET", playlists.URL+"/o/"+c.key)
			want(t, resp, 200, "Content-Type", c.want, "Cache-Control", blobhttp.CachePlaylist, "X-Content-Type-Options", "nosniff")
		}
		resp, _ := do(t, "GET", plain.URL+"/o/v/master.m3u8")
		want(t, resp, 200, "Cache-Control", blobhttp.CacheRevalidate)
	})
}

// TestNoFullRead checks that Serve reads from the store only the bytes it
// sends: a 1 KiB range of a 50 MiB object reads 1 KiB with one sized Get,
// HEAD and 304 read nothing, and a whole GET streams without holding the
// object in memory.
func TestNoFullRead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, store blob.Store) {
		data := payload(50*mib, 2)
		info := put(t, store, "videos/v1/source.mp4", data, "video/mp4")
		c := &counting{Store: store}
		srv := serve(t, c, blobhttp.Options{CacheControl: blobhttp.CacheImmutable})
		u := srv.URL + "/o/videos/v1/source.mp4"

		const off = 25 * mib
		resp, body := do(t, "GET", u, "Range", fmt.Sprintf("bytes=%d-%d", off, off+1023))
		want(t, resp, 206, "Content-Length", "1024")
		if !bytes.Equal(body, data[off:off+1024]) {
			t.Errorf("range body differs from the stored bytes")
		}
		if n := c.read.Load(); n != 1024 {
			t.Errorf("a 1 KiB range read %d bytes from the store", n)
		}
		if g := c.Gets(); len(g) != 1 || g[0] != (blob.Range{Offset: off, Length: 1024}) {
			t.Errorf("a 1 KiB range asked the store for %+v, want one Get of {%d 1024}", g, off)
		}

		c.read.Store(0)
		do(t, "GET", u, "Range", fmt.Sprintf("bytes=-%d", 4096))
		if n := c.read.Load(); n != 4096 {
			t.Errorf("a 4 KiB suffix range read %d bytes from the store", n)
		}

		c.read.Store(0)
		do(t, "HEAD", u)
		do(t, "GET", u, "If-None-Match", `"`+info.ETag+`"`)
		do(t, "GET", u, "Range", "bytes=60000000-")
		if n := c.read.Load(); n != 0 {
			t.Errorf("HEAD, 304 and 416 read %d bytes from the store", n)
		}

		// A whole GET streams: the process allocates far less than the object.
		c.read.Store(0)
		req, _ := http.NewRequestWithContext(t.Context(), "GET", u, nil)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		runtime.ReadMemStats(&after)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("whole GET: %d bytes, %v", n, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*mib {
			t.Errorf("serving a 50 MiB object allocated %d MiB", alloc/mib)
		} else {
			t.Logf("serving a 50 MiB object allocated %.1f MiB", float64(alloc)/mib)
		}
		if n := c.read.Load(); n != int64(len(data)) {
			t.Errorf("a whole GET read %d bytes from the store, want %d", n, len(data))
		}
	})
}

// replacing is a real store that replaces the object right after Serve
// stats it, as a concurrent Put could.
type replacing struct {
	blob.Store
	t *testing.T
}

func (r replacing) Stat(ctx context.Context, key string) (blob.Info, error) {
	info, err := r.Store.Stat(ctx, key)
	put(r.t, r.Store, key, payload(5000, 9), "")
	return info, err
}

// TestObjectChanged checks that a response whose object is replaced between
// Stat and Get is cut short, never a mix of two versions, and that Serve
// reports it as aborted.
func TestObjectChanged(t *testing.T) {
	forEachEngine(t, func(t *testing.T, store blob.Store) {
		put(t, store, "v/seg.m4s", payload(4000, 3), "")
		w := httptest.NewRecorder()
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/o/v/seg.m4s", nil)
		err := blobhttp.Serve(w, r, replacing{store, t}, "v/seg.m4s", blobhttp.Options{})
		if !errors.Is(err, blobhttp.ErrAborted) {
			t.Fatalf("Serve of a replaced object = %v, want ErrAborted", err)
		}
		if w.Body.Len() != 0 {
			t.Errorf("Serve sent %d bytes of the new version under the old headers", w.Body.Len())
		}
		t.Logf("Serve: %v", err)
	})
}
