package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// Every malformed request gets a 4xx problem with a stable code, and none of
// them changes stored data.
func TestBadInputIsRejectedAndChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		s := h.register("owner")
		before := map[string]int{"users": h.count("users"), "sessions": h.count("sessions"), "follows": h.count("follows")}
		valid := `{"email":"new@example.com","password":"0123456789","handle":"newbie","display_name":"N"}`
		huge := `{"email":"new@example.com","password":"` + strings.Repeat("x", 70<<10) + `","handle":"newbie","display_name":"N"}`
		cases := []struct {
			name   string
			r      req
			status int
			code   string
			field  string
		}{
			{"malformed json", req{method: "POST", path: "/api/v1/auth/register", body: `{"email":`}, 400, "malformed_json", ""},
			{"not json at all", req{method: "POST", path: "/api/v1/auth/register", body: `hello`}, 400, "malformed_json", ""},
			{"trailing data", req{method: "POST", path: "/api/v1/auth/register", body: valid + `{}`}, 400, "malformed_json", ""},
			{"empty body", req{method: "POST", path: "/api/v1/auth/register", body: ``}, 400, "empty_body", ""},
			{"array instead of object", req{method: "POST", path: "/api/v1/auth/register", body: `[1,2]`}, 400, "invalid_type", ""},
			{"wrong type", req{method: "POST", path: "/api/v1/auth/register", body: `{"email":42}`}, 400, "invalid_type", "email"},
			{"unknown field", req{method: "POST", path: "/api/v1/auth/register", body: strings.Replace(valid, `{`, `{"is_admin":true,`, 1)}, 400, "unknown_field", "is_admin"},
			{"oversized body", req{method: "POST", path: "/api/v1/auth/register", body: huge}, 413, "body_too_large", ""},
			{"wrong content type", req{method: "POST", path: "/api/v1/auth/register", body: valid, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", ""},
			{"form content type", req{method: "POST", path: "/api/v1/auth/login", body: "email=a&password=b", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", ""},
			{"missing auth", req{method: "PUT", path: "/api/v1/users/" + s.User.ID + "/follow"}, 401, "auth_required", ""},
			{"basic auth scheme", req{method: "GET", path: "/api/v1/me", header: map[string]string{"Authorization": "Basic YTpi"}}, 401, "invalid_token", ""},
			{"empty bearer", req{method: "GET", path: "/api/v1/me", header: map[string]string{"Authorization": "Bearer "}}, 401, "invalid_token", ""},
			{"forged token", req{method: "DELETE", path: "/api/v1/me", token: "rms_forged", body: `{"password":"correct horse battery"}`}, 401, "invalid_token", ""},
			{"delete with wrong password", req{method: "DELETE", path: "/api/v1/me", token: s.Token, body: `{"password":"nope"}`}, 401, "invalid_credentials", ""},
			{"delete without body", req{method: "DELETE", path: "/api/v1/me", token: s.Token}, 400, "empty_body", ""},
			{"follow missing user", req{method: "PUT", path: "/api/v1/users/missing/follow", token: s.Token}, 404, "user_not_found", ""},
			// Text PostgreSQL cannot hold (U+0000, invalid UTF-8) never reaches it.
			{"invalid UTF-8 id in the path", req{method: "GET", path: "/api/v1/users/%FF"}, 404, "route_not_found", ""},
			{"NUL id in the path", req{method: "PUT", path: "/api/v1/users/a%00b/follow", token: s.Token}, 404, "route_not_found", ""},
			{"invalid UTF-8 query", req{method: "GET", path: "/api/v1/search?q=%FF"}, 400, "invalid_query", ""},
			{"NUL in a body string", req{method: "POST", path: "/api/v1/auth/register", body: strings.Replace(valid, `"N"`, `"N\u0000"`, 1)}, 400, "malformed_json", ""},
			{"NUL in a login email", req{method: "POST", path: "/api/v1/auth/login", body: `{"email":"a\u0000@example.com","password":"0123456789"}`}, 400, "malformed_json", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := h.do(tc.r)
				if r.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", r.StatusCode, tc.status, r.body)
				}
				p := r.problem(t)
				if p.Code != tc.code {
					t.Fatalf("code %q, want %q: %s", p.Code, tc.code, r.body)
				}
				if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
					t.Fatalf("errors %+v, want one naming %q", p.Errors, tc.field)
				}
			})
		}
		for table, n := range before {
			if got := h.count(table); got != n {
				t.Errorf("%s: %d rows after bad requests, had %d", table, got, n)
			}
		}
	})
}

// A body with no Content-Length (chunked) is cut off at the limit while it is read.
func TestChunkedBodyOverLimit(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, db.SQLite))
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `{"email":"`+strings.Repeat("a", 200<<10)+`"}`)
		pw.Close()
	}()
	hr := httptest.NewRequest("POST", "/api/v1/auth/login", pr)
	hr.Header.Set("Content-Type", "application/json")
	hr.ContentLength = -1
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, hr)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), `"body_too_large"`) {
		t.Fatalf("chunked oversized body: %d %s", w.Code, w.Body)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, db.SQLite))
	r := h.send(req{method: "GET", path: "/api/v1/nowhere"})
	if r.StatusCode != 404 || r.problem(t).Code != "route_not_found" {
		t.Fatalf("unknown route: %d %s", r.StatusCode, r.body)
	}
	r = h.send(req{method: "PUT", path: "/api/v1/me"})
	if r.StatusCode != 405 || r.problem(t).Code != "method_not_allowed" {
		t.Fatalf("wrong method: %d %s", r.StatusCode, r.body)
	}
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") || !strings.Contains(allow, "DELETE") {
		t.Fatalf("405 Allow header = %q", allow)
	}
}

func TestRequestIDs(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, db.SQLite))
	r := h.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "trace-abc.123"}})
	if got := r.Header.Get("X-Request-Id"); got != "trace-abc.123" {
		t.Fatalf("kept request id = %q", got)
	}
	r = h.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id\n<script>"}})
	if got := r.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " <\n") {
		t.Fatalf("unsafe request id echoed: %q", got)
	}
}
