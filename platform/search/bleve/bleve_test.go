package bleve

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/searchtest"
)

func TestContract(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		x, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return x
	})
}

func TestReopenKeepsDocumentsAndSchema(t *testing.T) {
	ctx, dir := t.Context(), t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := search.Schema{Fields: []search.Field{
		{Name: "title", Type: search.Text, Boost: 2},
		{Name: "shop", Type: search.Keyword},
		{Name: "price", Type: search.Number},
	}}
	if err := x.Ensure(ctx, "products", s); err != nil {
		t.Fatal(err)
	}
	err = x.Upsert(ctx, "products",
		search.Document{ID: "1", Fields: map[string]any{"title": "Running shoes", "shop": "a", "price": 20.0}},
		search.Document{ID: "2", Fields: map[string]any{"title": "Hiking boots", "shop": "b", "price": 10.0}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Ping(ctx); err == nil {
		t.Error("Ping after Close = nil, want an error")
	}

	y, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	res, err := y.Search(ctx, "products", search.Query{Text: "shoe", Filters: []search.Filter{{Field: "shop", Values: []any{"a"}}}})
	if err != nil || res.Total != 1 || res.Hits[0].Fields["price"] != 20.0 {
		t.Fatalf("Search after reopen = %+v, %v; want doc 1 with price 20", res, err)
	}
	res, err = y.Search(ctx, "products", search.Query{Sort: []search.Sort{{Field: "price"}}})
	if err != nil || len(res.Hits) != 2 || res.Hits[0].ID != "2" {
		t.Fatalf("sort by price after reopen = %+v, %v; want 2 first", res, err)
	}
	_, err = y.Search(ctx, "products", search.Query{Sort: []search.Sort{{Field: "title"}}})
	if !errors.Is(err, search.ErrInvalid) {
		t.Errorf("sort on text after reopen: err = %v, want ErrInvalid", err)
	}
	// Ensure on the reopened index keeps it, with its schema.
	if err := y.Ensure(ctx, "products", search.Schema{}); err != nil {
		t.Fatal(err)
	}
	if res, err := y.Search(ctx, "products", search.Query{}); err != nil || res.Total != 2 {
		t.Errorf("after Ensure on reopen: %+v, %v; want 2 docs", res, err)
	}
}

func TestSecondProcessFails(t *testing.T) {
	ctx, dir := t.Context(), t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Ensure(ctx, "held", search.Schema{}); err != nil {
		t.Fatal(err)
	}
	// A second Index on the same directory stands in for a second process:
	// the lock is per open file, not per process.
	y, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	start := time.Now()
	_, err = y.Search(ctx, "held", search.Query{})
	if err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("Search of an index held elsewhere: err = %v, want one naming another process", err)
	}
	if d := time.Since(start); d > lockTimeout+2*time.Second {
		t.Errorf("took %v", d)
	}
}

func BenchmarkCandidates(b *testing.B) {
	x, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { x.Close() })
	searchtest.Bench(b, x, 20_000)
}
