package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func newWebHarness(t *testing.T) *harness {
	t.Helper()
	d := dbtest.Open(t, db.SQLite)
	h := newHarness(t, d)
	js := "console.log(" + strings.Repeat(`"reelmart",`, 200) + ")"
	dist := fstest.MapFS{
		"index.html":             {Data: []byte(`<!doctype html><title>Reelmart</title><script type="module" src="/assets/index-abc123.js"></script>`)},
		"assets/index-abc123.js": {Data: []byte(js)},
		"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	}
	h.srv = api.New(api.Deps{Accounts: testAccounts(d, h.clock.now), Checks: h.checks, Web: dist, PublicURL: "http://media.example:8080"})
	return h
}

func TestWebAppServing(t *testing.T) {
	h := newWebHarness(t)

	for _, path := range []string{"/", "/orders/abc", "/studio/upload", "/p/some%20id"} {
		r := h.send(req{method: "GET", path: path})
		if r.StatusCode != 200 || !strings.Contains(string(r.body), "<title>Reelmart</title>") {
			t.Fatalf("GET %s: %d %s", path, r.StatusCode, r.body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("GET %s: Content-Type %q", path, ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Fatalf("GET %s: index.html must revalidate, Cache-Control %q", path, cc)
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "media-src 'self' blob: http://media.example:8080"} {
			if !strings.Contains(csp, want) {
				t.Fatalf("GET %s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Fatalf("CSP allows inline code: %q", csp)
		}
	}

	r := h.send(req{method: "GET", path: "/assets/index-abc123.js", header: map[string]string{"Accept-Encoding": "br, gzip;q=0.8"}})
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("hashed asset: %d %v", r.StatusCode, r.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !strings.HasPrefix(string(plain), "console.log(") || !strings.Contains(r.Header.Get("Content-Type"), "javascript") {
		t.Fatalf("gzip body %q, type %q", plain[:20], r.Header.Get("Content-Type"))
	}
	etag := r.Header.Get("ETag")
	if r := h.send(req{method: "GET", path: "/assets/index-abc123.js", header: map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}}); r.StatusCode != 304 || len(r.body) != 0 {
		t.Fatalf("revalidation: %d", r.StatusCode)
	}
	if r := h.send(req{method: "GET", path: "/assets/index-abc123.js", header: map[string]string{"Accept-Encoding": "gzip;q=0"}}); r.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(string(r.body), "console.log(") {
		t.Fatalf("gzip;q=0 still compressed: %v", r.Header)
	}
	if r := h.send(req{method: "HEAD", path: "/"}); r.StatusCode != 200 || len(r.body) != 0 || r.Header.Get("Content-Length") == "" {
		t.Fatalf("HEAD /: %d %q", r.StatusCode, r.body)
	}

	// Missing files, API paths and other methods are problems, never the app's HTML.
	for _, c := range []req{
		{method: "GET", path: "/assets/missing-123.js"},
		{method: "GET", path: "/robots.txt"},
		{method: "GET", path: "/api/v1/nothing"},
		{method: "POST", path: "/orders/abc"},
	} {
		r := h.send(c)
		if r.StatusCode != 404 || r.problem(t).Code != "route_not_found" {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.StatusCode, r.body)
		}
	}
	// The API is still the API.
	if r := h.do(req{method: "GET", path: "/healthz"}); r.StatusCode != 200 {
		t.Fatalf("/healthz: %d", r.StatusCode)
	}
}

// With the default public URL, a page opened under another name for the
// host (localhost for 127.0.0.1) is sent to the public URL, where the media
// URLs in API answers are same-origin; the API itself is never redirected.
func TestWebAppRedirectsToThePublicHost(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	h := newHarness(t, d)
	dist := fstest.MapFS{"index.html": {Data: []byte(`<!doctype html><title>Reelmart</title>`)}}
	srv := api.New(api.Deps{Accounts: testAccounts(d, h.clock.now), Checks: h.checks, Web: dist,
		PublicURL: "http://127.0.0.1:8080", RedirectToPublicURL: true})
	get := func(host, target string) *http.Response {
		r := httptest.NewRequest("GET", target, nil)
		r.Host = host
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Result()
	}
	if r := get("localhost:8080", "/v/abc?t=3"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "http://127.0.0.1:8080/v/abc?t=3" {
		t.Fatalf("localhost page: %d, Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := get("127.0.0.1:8080", "/v/abc"); r.StatusCode != http.StatusOK {
		t.Fatalf("public host page: %d", r.StatusCode)
	}
	if r := get("localhost:8080", "/api/v1/healthz"); r.StatusCode == http.StatusFound {
		t.Fatalf("an API path was redirected")
	}
	// Without the setting (an operator's own PUBLIC_URL, perhaps behind a
	// proxy that rewrites Host) nothing is redirected.
	srv = api.New(api.Deps{Accounts: testAccounts(d, h.clock.now), Checks: h.checks, Web: dist, PublicURL: "http://127.0.0.1:8080"})
	if r := get("localhost:8080", "/"); r.StatusCode != http.StatusOK {
		t.Fatalf("without the setting: %d", r.StatusCode)
	}
}
