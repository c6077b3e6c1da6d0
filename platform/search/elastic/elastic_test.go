package elastic

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
	"github.com/reelmart/reelmart/platform/search/searchtest"
	"github.com/reelmart/reelmart/platform/testenv"
)

// testURL returns the cluster URL with a prefix unique to this run, and
// deletes at cleanup any index left under that prefix, failing the test if
// there was one (every index the tests make should be dropped by them).
func testURL(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testenv.Elastic(t))
	if err != nil {
		t.Fatalf("REELMART_TEST_ELASTIC: %v", err)
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	prefix := q.Get("prefix") + "reelmart-test-" + hex.EncodeToString(b) + "-"
	q.Set("prefix", prefix)
	u.RawQuery = q.Encode()
	t.Cleanup(func() { dropLeftovers(t, u.String(), prefix) })
	return u.String()
}

func dropLeftovers(t *testing.T, rawURL, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x, err := Open(ctx, rawURL)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	defer x.Close()
	raw, err := x.call(ctx, esapi.CatIndicesRequest{Index: []string{prefix + "*"}, Format: "json", H: []string{"index"}})
	if err != nil {
		t.Errorf("cleanup: list %s*: %v", prefix, err)
		return
	}
	var rows []struct{ Index string }
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	for _, r := range rows {
		t.Errorf("index %s was left behind", r.Index)
		if _, err := x.call(ctx, esapi.IndicesDeleteRequest{Index: []string{r.Index}}); err != nil {
			t.Errorf("cleanup: delete %s: %v", r.Index, err)
		}
	}
}

func open(t *testing.T, rawURL string) *Index {
	t.Helper()
	x, err := Open(t.Context(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func TestContract(t *testing.T) {
	u := testURL(t)
	searchtest.Run(t, func(t *testing.T) search.Index {
		x, err := Open(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		return x
	})
}

func TestOpenUnreachable(t *testing.T) {
	start := time.Now()
	_, err := Open(t.Context(), "http://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Open of a closed port: err = %v, want one naming the address and saying it is unreachable", err)
	}
	if d := time.Since(start); d > pingTimeout+time.Second {
		t.Errorf("Open of a closed port took %v", d)
	}
}

func TestOpenInvalidURL(t *testing.T) {
	for _, u := range []string{
		"", "127.0.0.1:9200", "ftp://127.0.0.1:9200", "http://", "http://%zz",
		"http://127.0.0.1:9200?prefix=Upper", "http://127.0.0.1:9200?prefix=_x", "http://127.0.0.1:9200?shards=2",
	} {
		if _, err := Open(t.Context(), u); err == nil || strings.Contains(err.Error(), "unreachable") {
			t.Errorf("Open(%q): err = %v, want a URL error", u, err)
		}
	}
	for _, u := range []string{"http://elastic:s3cret@127.0.0.1:1", "http://elastic:s3cret@127.0.0.1:1/%zz"} {
		if _, err := Open(t.Context(), u); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open with a password: err = %v, want an error without the password", err)
		}
	}
}

// TestSchemaFromAnotherProcess checks that an Index that did not create an
// index learns its schema, boosts included, from the cluster.
func TestSchemaFromAnotherProcess(t *testing.T) {
	u := testURL(t)
	a, b := open(t, u), open(t, u)
	ctx := t.Context()
	s := search.Schema{Fields: []search.Field{
		{Name: "title", Type: search.Text},
		{Name: "tagline", Type: search.Text, Boost: 5},
		{Name: "shop", Type: search.Keyword},
	}}
	if err := a.Ensure(ctx, "shared", s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Drop(context.Background(), "shared") })
	err := b.Upsert(ctx, "shared",
		search.Document{ID: "1", Fields: map[string]any{"title": "fast bike", "shop": "x"}},
		search.Document{ID: "2", Fields: map[string]any{"tagline": "bike", "shop": "y"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Refresh(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	res, err := b.Search(ctx, "shared", search.Query{Text: "bike"})
	if err != nil || len(res.Hits) != 2 || res.Hits[0].ID != "2" {
		t.Errorf("Search by the other Index = %+v, %v; want 2 (boosted) first", res, err)
	}
	_, err = b.Search(ctx, "shared", search.Query{Sort: []search.Sort{{Field: "title"}}})
	if !errors.Is(err, search.ErrInvalid) {
		t.Errorf("sort on text by the other Index: err = %v, want ErrInvalid", err)
	}
	// Dropped by a; b's cached schema must not hide that.
	if err := a.Drop(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Search(ctx, "shared", search.Query{}); !errors.Is(err, search.ErrNotFound) {
		t.Errorf("Search after Drop by the other Index: err = %v, want ErrNotFound", err)
	}
}

// TestStrictMapping checks the mapping Ensure writes.
func TestStrictMapping(t *testing.T) {
	x := open(t, testURL(t))
	ctx := t.Context()
	s := search.Schema{Fields: []search.Field{
		{Name: "t", Type: search.Text, Boost: 2}, {Name: "k", Type: search.Keyword},
		{Name: "n", Type: search.Number}, {Name: "b", Type: search.Bool}, {Name: "d", Type: search.Time},
	}}
	if err := x.Ensure(ctx, "mapping", s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Drop(context.Background(), "mapping") })
	raw, err := x.call(ctx, esapi.IndicesGetMappingRequest{Index: []string{x.index("mapping")}})
	if err != nil {
		t.Fatal(err)
	}
	var resp map[string]struct {
		Mappings struct {
			Dynamic    string              `json:"dynamic"`
			Properties map[string]property `json:"properties"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	m := resp[x.index("mapping")+".1"].Mappings
	no := false
	want := map[string]property{
		idField: {Type: "keyword"}, deletedField: {Type: "boolean"}, "t": {Type: "text", Index: &no}, "k": {Type: "keyword"},
		// The date format is Elasticsearch's default, so the mapping it returns omits it.
		"n": {Type: "double"}, "b": {Type: "boolean"}, "d": {Type: "date"},
		termsField: {Properties: map[string]property{"t": {Type: "text", Analyzer: "whitespace"}}},
	}
	if m.Dynamic != "strict" || !reflect.DeepEqual(m.Properties, want) {
		t.Errorf("mapping = %+v,\nwant strict with %+v", m, want)
	}
}

// TestStaleSchema checks that a document the cluster refuses fails Upsert
// with ErrInvalid: here an Index still holds the schema of an index that
// another one dropped and made again with another type for a field.
func TestStaleSchema(t *testing.T) {
	u := testURL(t)
	a, b := open(t, u), open(t, u)
	ctx := t.Context()
	field := func(typ search.FieldType) search.Schema {
		return search.Schema{Fields: []search.Field{{Name: "flag", Type: typ}}}
	}
	if err := a.Ensure(ctx, "stale", field(search.Bool)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Drop(context.Background(), "stale") })
	if _, err := b.Search(ctx, "stale", search.Query{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Drop(ctx, "stale"); err != nil {
		t.Fatal(err)
	}
	if err := a.Ensure(ctx, "stale", field(search.Time)); err != nil {
		t.Fatal(err)
	}
	err := b.Upsert(ctx, "stale", search.Document{ID: "1", Fields: map[string]any{"flag": true}})
	if !errors.Is(err, search.ErrInvalid) || !strings.Contains(err.Error(), `document "1"`) {
		t.Errorf("Upsert refused by the cluster: err = %v, want ErrInvalid naming the document", err)
	}
}

// TestTombstoneOutlivesGCDeletes checks that a tombstone keeps blocking an
// older write after Elasticsearch has forgotten its own record of a delete
// (index.gc_deletes, 60 s by default, set to 0 here): a native versioned
// delete is then overwritten by an older version, the package's tombstone
// is not.
func TestTombstoneOutlivesGCDeletes(t *testing.T) {
	x := open(t, testURL(t))
	ctx := t.Context()
	s := search.Schema{Fields: []search.Field{{Name: "title", Type: search.Text}}}
	if err := x.Ensure(ctx, "gc", s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Drop(context.Background(), "gc") })
	concrete := x.index("gc") + ".1"
	if _, err := x.call(ctx, esapi.IndicesPutSettingsRequest{Index: []string{concrete}, Body: strings.NewReader(`{"index":{"gc_deletes":"0s"}}`)}); err != nil {
		t.Fatal(err)
	}
	put := func(id string, version int64) {
		t.Helper()
		if err := x.Upsert(ctx, "gc", search.Document{ID: id, Version: version, Fields: map[string]any{"title": "v"}}); err != nil {
			t.Fatal(err)
		}
	}
	put("native", 5)
	put("ours", 5)
	v := int64(6)
	if _, err := x.call(ctx, esapi.DeleteRequest{Index: concrete, DocumentID: "native", Version: &[]int{int(v)}[0], VersionType: "external"}); err != nil {
		t.Fatal(err)
	}
	if err := x.Upsert(ctx, "gc", search.Document{ID: "ours", Version: v, Deleted: true}); err != nil {
		t.Fatal(err)
	}
	// Refreshes prune expired delete records from the version map.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := x.Refresh(ctx, "gc"); err != nil {
			t.Fatal(err)
		}
		put("native", 2)
		put("ours", 2)
		if err := x.Refresh(ctx, "gc"); err != nil {
			t.Fatal(err)
		}
		res, err := x.Search(ctx, "gc", search.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) > 0 {
			if res.Hits[0].ID != "native" || res.Total != 1 {
				t.Fatalf("after the delete records expired: %+v, want only the natively deleted document back", res)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Elasticsearch never forgot its delete record; the test proves nothing")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestLegacyIndex checks an index made under the bare name before indexes
// were aliases: Ensure keeps it and adds the tombstone field, and a Rebuild
// replaces it with an aliased generation.
func TestLegacyIndex(t *testing.T) {
	x := open(t, testURL(t))
	ctx := t.Context()
	s := search.Schema{Fields: []search.Field{{Name: "title", Type: search.Text}}}
	c, err := schema.New(s)
	if err != nil {
		t.Fatal(err)
	}
	m := newMapping(c)
	delete(m.Properties, deletedField)
	body, _ := json.Marshal(createIndex{Settings: indexSettings{Shards: 1}, Mappings: m})
	if _, err := x.call(ctx, esapi.IndicesCreateRequest{Index: x.index("legacy"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Drop(context.Background(), "legacy") })
	if err := x.Ensure(ctx, "legacy", s); err != nil {
		t.Fatal(err)
	}
	err = x.Upsert(ctx, "legacy",
		search.Document{ID: "a", Version: 1, Fields: map[string]any{"title": "kept"}},
		search.Document{ID: "b", Version: 1, Deleted: true})
	if err != nil {
		t.Fatalf("Upsert with a tombstone into the legacy index: %v", err)
	}
	b, err := x.Rebuild(ctx, "legacy", s)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Upsert(ctx, search.Document{ID: "a", Version: 1, Fields: map[string]any{"title": "kept"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatalf("Commit over the legacy index: %v", err)
	}
	res, err := x.Search(ctx, "legacy", search.Query{Text: "kept"})
	if err != nil || res.Total != 1 {
		t.Fatalf("Search after the Commit = %+v, %v", res, err)
	}
	all, err := x.generations(ctx, "legacy")
	if err != nil || !reflect.DeepEqual(all, []string{x.index("legacy") + ".1"}) {
		t.Errorf("generations after the Commit = %q, %v; want only generation 1", all, err)
	}
}
