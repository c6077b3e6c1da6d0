package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// BenchmarkRequestOverhead measures what Reelmart's middleware (request id,
// log line, metrics, panic recovery, body limit, auth lookup) costs per
// request. The baseline is a bare gin engine answering the same JSON in the
// same run, so the ratio holds on a noisy machine.
func BenchmarkRequestOverhead(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	bare := gin.New()
	bare.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	b.Run("baseline=bare-gin", func(b *testing.B) { benchGet(b, bare, "/healthz", "") })

	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		d := dbtest.Open(b, dialect)
		h := newHarness(b, d)
		s := registerForBench(b, h)
		b.Run("reelmart-healthz/"+string(dialect), func(b *testing.B) { benchGet(b, h.srv, "/healthz", "") })
		b.Run("reelmart-authenticated-me/"+string(dialect), func(b *testing.B) { benchGet(b, h.srv, "/api/v1/me", s.Token) })
	}
}

func registerForBench(b *testing.B, h *harness) session {
	r := h.send(req{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": "bench@example.com", "password": "correct horse battery", "handle": "bench", "display_name": "Bench",
	}})
	if r.StatusCode != http.StatusCreated {
		b.Fatalf("register: %d %s", r.StatusCode, r.body)
	}
	var s session
	r.json(&s)
	return s
}

func benchGet(b *testing.B, h http.Handler, path, token string) {
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
	}
}
