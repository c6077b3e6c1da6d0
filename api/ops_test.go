package api_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestHealthAndReadiness(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	h := newHarness(t, d)
	if r := h.do(req{method: "GET", path: "/healthz"}); r.StatusCode != 200 {
		t.Fatalf("healthz: %d", r.StatusCode)
	}
	r := h.do(req{method: "GET", path: "/readyz"})
	if r.StatusCode != 200 || !strings.Contains(string(r.body), `"database":{"status":"ok"`) {
		t.Fatalf("readyz: %d %s", r.StatusCode, r.body)
	}

	down := newHarness(t, d,
		api.Check{Name: "database", Ping: d.PingContext},
		api.Check{Name: "search", Ping: func(context.Context) error { return errors.New("connection refused") }})
	r = down.do(req{method: "GET", path: "/readyz"})
	if r.StatusCode != 503 || r.problem(t).Code != "not_ready" || !strings.Contains(string(r.body), `"search":{"status":"down","error":"connection refused"`) {
		t.Fatalf("readyz with a backend down: %d %s", r.StatusCode, r.body)
	}

	// Search is optional: the node still serves (the feed from the
	// database), so it stays in the load balancer, reported degraded.
	degraded := newHarness(t, d,
		api.Check{Name: "database", Ping: d.PingContext},
		api.Check{Name: "search", Optional: true, Ping: func(context.Context) error { return errors.New("connection refused") }})
	r = degraded.do(req{method: "GET", path: "/readyz"})
	if r.StatusCode != 200 || !strings.Contains(string(r.body), `"status":"degraded"`) ||
		!strings.Contains(string(r.body), `"search":{"status":"degraded","error":"connection refused"`) ||
		!strings.Contains(string(r.body), `"database":{"status":"ok"`) {
		t.Fatalf("readyz with an optional backend down: %d %s", r.StatusCode, r.body)
	}
	// An optional backend does not hide a required one that is down.
	both := newHarness(t, d,
		api.Check{Name: "database", Ping: func(context.Context) error { return errors.New("no database") }},
		api.Check{Name: "search", Optional: true, Ping: func(context.Context) error { return errors.New("connection refused") }})
	if r = both.do(req{method: "GET", path: "/readyz"}); r.StatusCode != 503 || r.problem(t).Code != "not_ready" {
		t.Fatalf("readyz with the database and search down: %d %s", r.StatusCode, r.body)
	}
}

func TestMetricsCountRoutes(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, db.SQLite))
	h.register("metered")
	h.send(req{method: "GET", path: "/api/v1/users/abc"})
	h.send(req{method: "GET", path: "/no/such/path/" + strings.Repeat("x", 10)})
	r := h.do(req{method: "GET", path: "/metrics"})
	body := string(r.body)
	for _, want := range []string{
		`reelmart_http_requests_total{code="201",method="POST",route="/api/v1/auth/register"} 1`,
		`reelmart_http_requests_total{code="404",method="GET",route="/api/v1/users/:id"} 1`,
		`reelmart_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`reelmart_http_request_duration_seconds_bucket{method="POST",route="/api/v1/auth/register",le="+Inf"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOpenAPIServedAndValid(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, db.SQLite))
	r := h.do(req{method: "GET", path: "/api/openapi.yaml"})
	if r.StatusCode != 200 || !strings.HasPrefix(string(r.body), "openapi: 3.1") {
		t.Fatalf("openapi.yaml: %d", r.StatusCode)
	}
	v, err := specValidator()
	if err != nil {
		t.Fatal(err)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("spec is not valid OpenAPI 3.1: %s: %s", e.Message, e.Reason)
		}
	}
}

// Every route the router serves is in the spec, and every operation in the
// spec is served: neither can grow without the other.
func TestSpecAndRouterAgree(t *testing.T) {
	srv := api.New(api.Deps{Blob: noBlob{}})
	param := regexp.MustCompile(`[:*]([a-z_]+)`)
	routed := map[string]bool{}
	for _, rt := range srv.Routes() {
		routed[rt.Method+" "+param.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]bool{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			inSpec[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range routed {
		if !inSpec[k] {
			missing = append(missing, k)
		}
	}
	for k := range inSpec {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not in openapi.yaml: %v\nspec operations with no route: %v", missing, extra)
	}
	if len(routed) < 10 {
		t.Fatalf("only %d routes found; the comparison is not seeing the router", len(routed))
	}
}

type noBlob struct{}

func (noBlob) ServeHTTP(http.ResponseWriter, *http.Request) {}
