package local

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
)

func status(t *testing.T, method, u string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestHandler(t *testing.T) {
	s, _ := newServed(t)
	ctx := t.Context()
	if err := s.Put(ctx, "v/a.m4s", strings.NewReader("segment-a"), 9, "video/iso.segment"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "v/b.m4s", strings.NewReader("segment-b"), 9, "video/iso.segment"); err != nil {
		t.Fatal(err)
	}
	good, err := s.URL(ctx, "v/a.m4s", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	resp := status(t, "GET", good)
	if resp.StatusCode != 200 {
		t.Fatalf("GET signed URL: %d", resp.StatusCode)
	}
	cc := resp.Header.Get("Cache-Control")
	age, err := strconv.Atoi(strings.TrimPrefix(cc, "private, max-age="))
	if err != nil || age <= 3590 || age > 3601 {
		t.Errorf("Cache-Control %q, want private, max-age≈3600", cc)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" {
		t.Errorf("missing validators: ETag %q, Last-Modified %q", etag, resp.Header.Get("Last-Modified"))
	}
	if r := status(t, "GET", good, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", r.StatusCode)
	}
	if r := status(t, "HEAD", good); r.StatusCode != 200 || r.ContentLength != 9 {
		t.Errorf("HEAD: %d, length %d", r.StatusCode, r.ContentLength)
	}
	if r := status(t, "POST", good); r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q; want 405 with Allow", r.StatusCode, r.Header.Get("Allow"))
	}

	far, _ := s.URL(ctx, "v/a.m4s", blob.MaxURLTTL)
	if r := status(t, "GET", far); r.Header.Get("Cache-Control") != "private, max-age=86400" {
		t.Errorf("a week-long URL: Cache-Control %q, want the one-day cap", r.Header.Get("Cache-Control"))
	}

	exp := s.now().Add(time.Hour).Unix()
	base := strings.Split(good, "/v/")[0]
	sig := s.sign("v/a.m4s", exp)
	forbidden := map[string]string{
		"other key":        base + "/v/b.m4s?exp=" + strconv.FormatInt(exp, 10) + "&sig=" + sig,
		"later expiry":     base + "/v/a.m4s?exp=" + strconv.FormatInt(exp+3600, 10) + "&sig=" + sig,
		"flipped sig":      base + "/v/a.m4s?exp=" + strconv.FormatInt(exp, 10) + "&sig=" + flip(sig),
		"no sig":           base + "/v/a.m4s?exp=" + strconv.FormatInt(exp, 10),
		"no exp":           base + "/v/a.m4s?sig=" + sig,
		"no query":         base + "/v/a.m4s",
		"expired":          base + "/v/a.m4s?exp=" + strconv.FormatInt(s.now().Unix()-1, 10) + "&sig=" + s.sign("v/a.m4s", s.now().Unix()-1),
		"expires this sec": base + "/v/a.m4s?exp=" + strconv.FormatInt(s.now().Unix(), 10) + "&sig=" + s.sign("v/a.m4s", s.now().Unix()),
	}
	for name, u := range forbidden {
		if r := status(t, "GET", u); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, r.StatusCode)
		}
	}

	missing, _ := s.URL(ctx, "v/none.m4s", time.Hour)
	if r := status(t, "GET", missing); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing object: %d, want 404", r.StatusCode)
	}
}

func flip(sig string) string {
	b := []byte(sig)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// TestURLSurvivesRestart checks that a URL signed before a restart with the
// same secret file is served after it.
func TestURLSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	secret, err := LoadOrCreateSecret(filepath.Join(dir, "secret", "blob.key"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := New(filepath.Join(dir, "data"), Options{BaseURL: "http://example.test/blob", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	first.Put(t.Context(), "k", strings.NewReader("kept"), 4, "")
	u, _ := first.URL(t.Context(), "k", time.Hour)
	first.Close()

	secret2, err := LoadOrCreateSecret(filepath.Join(dir, "secret", "blob.key"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(filepath.Join(dir, "data"), Options{BaseURL: "http://example.test/blob", Secret: secret2})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", strings.TrimPrefix(u, "http://example.test/blob"), nil)
	second.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "kept" {
		t.Fatalf("after restart: %d %q", rec.Code, rec.Body.String())
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s", "key")
	a, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || string(a) != string(b) {
		t.Fatalf("secrets %x and %x, want the same 32 bytes", a, b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, %v; want 0600", fi.Mode(), err)
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadOrCreateSecret(path); err == nil || strings.Contains(err.Error(), "short") {
		t.Fatalf("bad secret file: %v, want an error that does not echo it", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	for name, o := range map[string]Options{
		"short secret":    {BaseURL: "http://x/blob", Secret: []byte("short")},
		"no secret":       {BaseURL: "http://x/blob"},
		"relative base":   {BaseURL: "/blob", Secret: make([]byte, 32)},
		"base with query": {BaseURL: "http://x/blob?a=1", Secret: make([]byte, 32)},
	} {
		if _, err := New(dir, o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	s, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.URL(t.Context(), "k", time.Minute); err == nil {
		t.Error("URL without BaseURL succeeded")
	}
}
