package blobhttp_test

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelmart/reelmart/internal/browsertest"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/blobhttp"
)

// TestChromiumPlaysLadder stores a two-rung fMP4 HLS ladder in each engine,
// serves it through Serve and checks that headless Chromium plays the master
// playlist: the playhead advances, no media error, a rung's frame shows.
func TestChromiumPlaysLadder(t *testing.T) {
	dir := browsertest.Ladder(t)
	forEachEngine(t, func(t *testing.T, store blob.Store) {
		const prefix = "videos/01JPLAYTEST/hls/"
		n := 0
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			// No stored type: the extension must give the right one.
			put(t, store, prefix+filepath.ToSlash(rel), data, "")
			n++
			return nil
		})
		if err != nil || n < 10 {
			t.Fatalf("store the ladder: %d files, %v", n, err)
		}

		served := &requestLog{} // "path range status", as the browser got them
		mux := http.NewServeMux()
		mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(browsertest.VideoPage("/" + prefix + "master.m3u8")))
		})
		mux.HandleFunc("/videos/{key...}", func(w http.ResponseWriter, r *http.Request) {
			key := "videos/" + r.PathValue("key")
			opts := blobhttp.Options{CacheControl: blobhttp.CacheImmutable}
			if strings.HasSuffix(key, ".m3u8") {
				opts.CacheControl = blobhttp.CachePlaylist
			}
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			err := blobhttp.Serve(sw, r, store, key, opts)
			switch {
			case errors.Is(err, blob.ErrNotFound):
				http.Error(sw, "not found", http.StatusNotFound)
			case err != nil:
				t.Errorf("Serve %s: %v", key, err)
			}
			served.add(r.URL.Path + " " + r.Header.Get("Range") + " " + http.StatusText(sw.status))
		})
		srv := httptest.NewServer(mux) // listens on 127.0.0.1
		defer srv.Close()

		pb, err := browsertest.PlayHLS(browsertest.New(t), srv.URL+"/")
		log := served.list()
		if err != nil {
			t.Fatalf("PlayHLS: %v\nplayback: %+v\nserved:\n%s", err, pb, strings.Join(log, "\n"))
		}
		rung := false
		for _, r := range browsertest.LadderRungs {
			rung = rung || pb.VideoWidth == r[0] && pb.VideoHeight == r[1]
		}
		if !rung || pb.ErrorCode != 0 || pb.Advanced() < 1 {
			t.Errorf("playback %+v: want ≥1 s played at a rung's size without error", pb)
		}
		segments := 0
		for _, line := range log {
			if !strings.HasSuffix(line, " OK") && !strings.HasSuffix(line, " Partial Content") {
				t.Errorf("served %s", line)
			}
			if strings.Contains(line, ".m4s ") {
				segments++
			}
		}
		if segments == 0 || !strings.HasPrefix(log[0], "/"+prefix+"master.m3u8") {
			t.Errorf("served:\n%s\nwant the master playlist first and some segments", strings.Join(log, "\n"))
		}
		t.Logf("played %.2fs → %.2fs at %dx%d; %d requests, %d segments:\n%s",
			pb.Start, pb.CurrentTime, pb.VideoWidth, pb.VideoHeight, len(log), segments, strings.Join(log, "\n"))
	})
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
