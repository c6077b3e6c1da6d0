package blobtest

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
)

// fetch GETs u, with a Range header if rng is not empty, and returns the
// response with its body read.
func fetch(t *testing.T, u, rng string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("URL %q does not parse: %v", u, err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", u, err)
	}
	return resp, body
}

func testURL(t *testing.T, s blob.Store) {
	data := payload(300_001, 9)
	put(t, s, "url/seg_001.m4s", data, "video/iso.segment")
	u, err := s.URL(t.Context(), "url/seg_001.m4s", 10*time.Minute)
	if err != nil {
		t.Fatalf("URL: %v", err)
	}
	resp, body := fetch(t, u, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: status %d, body %.200q", resp.StatusCode, body)
	}
	sameBytes(t, "GET", body, data)
	if ct := resp.Header.Get("Content-Type"); ct != "video/iso.segment" {
		t.Errorf("GET: Content-Type %q, want video/iso.segment", ct)
	}

	resp, body = fetch(t, u, "bytes=1000-1999")
	if resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("ranged GET: status %d, want 206", resp.StatusCode)
	}
	sameBytes(t, "ranged GET", body, data[1000:2000])
	if cr, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes 1000-1999/%d", len(data)); cr != want {
		t.Errorf("ranged GET: Content-Range %q, want %q", cr, want)
	}

	resp, body = fetch(t, u, fmt.Sprintf("bytes=%d-", len(data)-10))
	if resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("open-ended ranged GET: status %d, want 206", resp.StatusCode)
	}
	sameBytes(t, "open-ended ranged GET", body, data[len(data)-10:])

	// A URL does not outlive its object, and does not name another one.
	missing, err := s.URL(t.Context(), "url/missing", time.Minute)
	if err != nil {
		t.Fatalf("URL of a missing key: %v", err)
	}
	if resp, _ := fetch(t, missing, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET of a missing object: status %d, want 404", resp.StatusCode)
	}
	if err := s.Delete(t.Context(), "url/seg_001.m4s"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if resp, _ := fetch(t, u, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET after Delete: status %d, want 404", resp.StatusCode)
	}
}

func testURLTTL(t *testing.T, s blob.Store) {
	put(t, s, "ttl/x", []byte("x"), "")
	for _, ttl := range []time.Duration{0, -time.Second, blob.MaxURLTTL + time.Second} {
		if u, err := s.URL(t.Context(), "ttl/x", ttl); err == nil {
			t.Errorf("URL with ttl %s = %q, want an error", ttl, u)
		}
	}
	if _, err := s.URL(t.Context(), "ttl/x", time.Millisecond); err != nil {
		t.Errorf("URL with ttl 1ms: %v", err)
	}
	for _, ttl := range []time.Duration{90 * time.Second, blob.MaxURLTTL} {
		u, err := s.URL(t.Context(), "ttl/x", ttl)
		if err != nil {
			t.Fatalf("URL with ttl %s: %v", ttl, err)
		}
		if resp, body := fetch(t, u, ""); resp.StatusCode != http.StatusOK || string(body) != "x" {
			t.Errorf("GET of a URL with ttl %s: status %d, body %.200q", ttl, resp.StatusCode, body)
		}
	}
}
