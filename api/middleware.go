package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reelmart/reelmart"
)

const requestIDKey = "reelmart.request_id"

// rejectBadText answers a request whose path or query is not text a
// resource could have — not UTF-8, or holding U+0000 — before any handler
// passes it to the database (PostgreSQL refuses such strings outright):
// 404 route_not_found for the path, 400 invalid_query for the query.
func rejectBadText(c *gin.Context) {
	bad := func(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }
	if bad(c.Request.URL.Path) {
		writeProblem(c, reelmart.Errorf(reelmart.KindNotFound, "route_not_found", "the path holds bytes no resource has (invalid UTF-8 or U+0000)"))
		c.Abort()
		return
	}
	for k, vs := range c.Request.URL.Query() {
		if bad(k) || slices.ContainsFunc(vs, bad) {
			writeProblem(c, reelmart.Errorf(reelmart.KindBadRequest, "invalid_query", "the query parameter %q holds bytes no value has (invalid UTF-8 or U+0000)", k))
			c.Abort()
			return
		}
	}
	c.Next()
}

// withRequestID takes a sane X-Request-Id from the client (so a trace can
// cross a proxy) or makes one, and echoes it on the response.
func withRequestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !saneRequestID(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// recoverPanics turns a panic in any handler into a logged 500 problem, so
// one bad request never takes the server down.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler { // the client went away; net/http handles this
			panic(v)
		}
		s.logPanic(c, v, debug.Stack())
		if !c.Writer.Written() {
			writeProblem(c, &reelmart.Error{Kind: reelmart.KindInternal, Code: "internal", Message: "something went wrong on our side; it has been logged"})
		} else {
			c.Abort()
		}
	}()
	c.Next()
}

// limitBody caps every request body at s.maxBody, answering 413 at once when
// the declared length is over it and failing the read when an undeclared one is.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.maxBody {
		writeProblem(c, errBodyTooLarge(s.maxBody))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody)
	c.Next()
}

func errBodyTooLarge(limit int64) *reelmart.Error {
	return reelmart.Errorf(reelmart.KindTooLarge, "body_too_large", "the request body is larger than the limit of %d bytes", limit)
}

// logRequests writes one structured line per request. Probes and scrapes log
// at debug level so they do not drown real traffic.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	level := slog.LevelInfo
	switch {
	case c.Writer.Status() >= 500:
		level = slog.LevelError
	case strings.HasPrefix(c.Request.URL.Path, "/healthz"), strings.HasPrefix(c.Request.URL.Path, "/readyz"), c.Request.URL.Path == "/metrics":
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Int("bytes", c.Writer.Size()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("ip", c.ClientIP()),
	}
	if u, ok := currentUser(c); ok {
		attrs = append(attrs, slog.String("user_id", u.ID))
	}
	s.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
}

// httpMetrics counts requests and observes latency per route template, so the
// label set stays bounded whatever paths clients send.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reelmart_http_requests_total",
			Help: "HTTP requests by method, route template and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reelmart_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *httpMetrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
}

func jsonRender(w http.ResponseWriter, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
