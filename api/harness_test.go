package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/search/bleve"
)

// specValidator is built once: parsing the spec is the slow part.
var specValidator = sync.OnceValues(func() (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return v, nil
})

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// testAccounts is the account service the API tests share: cheap argon2id
// settings (the tests check behaviour, not hashing cost), one-hour sessions,
// and throttle limits low enough to reach in a test.
func testAccounts(d *db.DB, now func() time.Time, erasers ...account.Eraser) *account.Service {
	return account.NewService(d, account.Config{
		Hasher:     account.NewHasher(argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}),
		SessionTTL: time.Hour, MaxFailuresPerEmail: 5, MaxFailuresPerIP: 50, Erasers: erasers,
	}, now)
}

// testEngagement is the engagement service of the API tests, on the harness clock.
func testEngagement(t testing.TB, d *db.DB, now func() time.Time, cfg engagement.Config) *engagement.Service {
	t.Helper()
	eng, err := engagement.NewService(engagement.Deps{DB: d, Now: now}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// localEngines opens the embedded engines in t's temporary directories:
// blobs on local disk and a Bleve index, closed when t ends.
func localEngines(t *testing.T) (*local.Store, *bleve.Index) {
	t.Helper()
	blobs, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	ix, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return blobs, ix
}

// harness runs the real API on a real database and checks every response
// against api/openapi.yaml, so the spec cannot drift from the code.
type harness struct {
	t      testing.TB
	db     *db.DB
	srv    *api.Server
	clock  *clock
	checks []api.Check
}

func newHarness(t testing.TB, d *db.DB, checks ...api.Check) *harness {
	t.Helper()
	return newHarnessWith(t, d, nil, checks...)
}

// newHarnessWith is newHarness with the API's Deps adjusted by with.
func newHarnessWith(t testing.TB, d *db.DB, with func(*api.Deps), checks ...api.Check) *harness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	eng := testEngagement(t, d, c.now, engagement.Config{})
	accounts := testAccounts(d, c.now, eng.EraseUser)
	if checks == nil {
		checks = []api.Check{{Name: "database", Ping: d.PingContext}}
	}
	deps := api.Deps{Accounts: accounts, Engagement: eng, Checks: checks, MaxBodyBytes: 64 << 10}
	if with != nil {
		with(&deps)
	}
	srv := api.New(deps)
	return &harness{t: t, db: d, srv: srv, clock: c, checks: checks}
}

type response struct {
	*http.Response
	body []byte
}

func (r *response) json(v any) {
	if err := json.Unmarshal(r.body, v); err != nil {
		panic("response is not JSON: " + string(r.body))
	}
}

// problem decodes a problem+json body and checks its shape.
func (r *response) problem(t *testing.T) problemDoc {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s: Content-Type %q, want application/problem+json; body %s", r.Request.URL, ct, r.body)
	}
	var p problemDoc
	r.json(&p)
	if p.Status != r.StatusCode || p.Code == "" || p.Title == "" || p.RequestID == "" {
		t.Fatalf("malformed problem: %s", r.body)
	}
	return p
}

type problemDoc struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

type req struct {
	method, path string
	body         any // string/[]byte sent raw, anything else JSON-encoded
	token        string
	header       map[string]string
}

// do sends r through the router and validates the answer against the spec.
func (h *harness) do(r req) *response {
	h.t.Helper()
	resp := h.send(r)
	v, err := specValidator()
	if err != nil {
		h.t.Fatalf("openapi.yaml does not load: %v", err)
	}
	resp.Response.Body = io.NopCloser(bytes.NewReader(resp.body))
	if ok, errs := v.ValidateHttpResponse(resp.Request, resp.Response); !ok {
		for _, e := range errs {
			h.t.Errorf("%s %s → %d breaks the spec: %s (%s)", r.method, r.path, resp.StatusCode, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				h.t.Errorf("  at %s: %s", se.FieldPath, se.Reason)
			}
		}
		h.t.FailNow()
	}
	return resp
}

// send is do without the spec check, for paths the spec rightly lacks.
func (h *harness) send(r req) *response {
	h.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	hr := httptest.NewRequestWithContext(context.Background(), r.method, r.path, body)
	hr.RemoteAddr = "192.0.2.10:1234"
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, hr)
	res := w.Result()
	res.Request = hr
	raw, _ := io.ReadAll(res.Body)
	return &response{Response: res, body: raw}
}

type session struct {
	User struct {
		ID     string `json:"id"`
		Email  string `json:"email"`
		Handle string `json:"handle"`
	} `json:"user"`
	Token string `json:"token"`
}

func (h *harness) register(handle string) session {
	h.t.Helper()
	r := h.do(req{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": handle + "@example.com", "password": "correct horse battery", "handle": handle, "display_name": "User " + handle,
	}})
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("register %s: %d %s", handle, r.StatusCode, r.body)
	}
	var s session
	r.json(&s)
	return s
}

// count returns the rows in table, to prove a rejected request changed nothing.
// reserved is the quantity all SKUs hold for unpaid orders.
func (h *harness) reserved() int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(`SELECT COALESCE(SUM(reserved), 0) FROM skus`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}
