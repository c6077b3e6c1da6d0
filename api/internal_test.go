package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
)

func TestPanicBecomesLogged500(t *testing.T) {
	var logs bytes.Buffer
	s := New(Deps{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	s.engine.GET("/api/v1/boom", func(*gin.Context) { panic("kaboom") })
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/boom", nil))
	if w.Code != 500 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic answered %d %s", w.Code, w.Body)
	}
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code != "internal" || strings.Contains(w.Body.String(), "kaboom") {
		t.Fatalf("panic problem = %s", w.Body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), p.RequestID) {
		t.Fatalf("panic not logged with its request id: %s", logs.String())
	}
	// The server still serves after a panic.
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 {
		t.Fatalf("after a panic /healthz = %d", w.Code)
	}
}

type registerBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Age      int    `json:"age"`
	Tags     []string
}

// FuzzDecodeJSON feeds arbitrary bytes to the request decoder: it must never
// panic, and every failure must be a client error with a stable code.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@b.co","password":"0123456789","age":3}`, `{"email":`, ``, `null`, `[]`, `{"x":1}`,
		`{"age":1e400}`, `{"age":"3"}`, `{} {}`, "\xff\xfe", `{"Tags":[1]}`, `{"email":"\ud800"}`, strings.Repeat("[", 5000),
	} {
		f.Add([]byte(seed), "application/json")
	}
	f.Add([]byte(`{}`), "text/plain")
	f.Add([]byte(`{}`), "application/merge-patch+json; charset=utf-8")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		var dst registerBody
		err := decodeJSON(r, &dst)
		if err == nil {
			return
		}
		e := reelmart.AsError(err)
		if e == nil {
			t.Fatalf("decode error is not a *reelmart.Error: %v", err)
		}
		if st := statusOf(e.Kind); st < 400 || st >= 500 || e.Code == "" {
			t.Fatalf("decode error maps to %d code %q", st, e.Code)
		}
	})
}
