package browsertest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPlayHLS plays Ladder from a plain file server: the helper's own check,
// independent of the blob stores.
func TestPlayHLS(t *testing.T) {
	dir := Ladder(t)
	mux := http.NewServeMux()
	mux.Handle("/hls/", http.StripPrefix("/hls/", http.FileServer(http.Dir(dir))))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(VideoPage("/hls/master.m3u8")))
	})
	mux.HandleFunc("/novideo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><p>nothing to play</p>"))
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(VideoPage("/hls/missing.m3u8")))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := New(t)

	pb, err := PlayHLS(ctx, srv.URL+"/")
	if err != nil {
		t.Fatalf("PlayHLS: %v (%+v)", err, pb)
	}
	if !pb.NativeHLS {
		t.Errorf("canPlayType(application/vnd.apple.mpegurl) is empty, yet the stream played")
	}
	if pb.VideoWidth == 0 || pb.VideoHeight == 0 || pb.ErrorCode != 0 {
		t.Errorf("playback %+v: want a frame size and no error", pb)
	}
	if !fetched(pb.Resources, "/hls/master.m3u8") || !fetched(pb.Resources, ".m4s") {
		t.Errorf("resources %q: want the master playlist and segments", pb.Resources)
	}
	t.Logf("played %.2fs → %.2fs at %dx%d", pb.Start, pb.CurrentTime, pb.VideoWidth, pb.VideoHeight)

	if pb, err := PlayHLS(ctx, srv.URL+"/broken"); err == nil || pb.ErrorCode == 0 {
		t.Errorf("PlayHLS of a missing playlist = %+v, %v; want a media error", pb, err)
	} else {
		t.Logf("missing playlist: %v", err)
	}
	if _, err := PlayHLS(ctx, srv.URL+"/novideo"); err == nil || !strings.Contains(err.Error(), "no <video>") {
		t.Errorf("PlayHLS of a page without video: %v, want a no <video> error", err)
	}
}

func fetched(resources []string, suffix string) bool {
	for _, r := range resources {
		if strings.HasSuffix(r, suffix) {
			return true
		}
	}
	return false
}
