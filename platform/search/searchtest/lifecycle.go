package searchtest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/reelmart/reelmart/platform/search"
)

func testPing(e *env) {
	if err := e.idx.Ping(e.ctx); err != nil {
		e.Errorf("Ping: %v", err)
	}
}

func testEnsure(e *env) {
	name := e.ensure(productSchema)
	if err := e.idx.Ensure(e.ctx, name, productSchema); err != nil {
		e.Fatalf("second Ensure: %v", err)
	}
	e.put(name, doc("1", map[string]any{"title": "kept"}))
	// Ensure with another schema neither wipes the index nor migrates it.
	other := search.Schema{Fields: append([]search.Field{{Name: "extra", Type: search.Keyword}}, productSchema.Fields...)}
	if err := e.idx.Ensure(e.ctx, name, other); err != nil {
		e.Fatalf("Ensure with another schema: %v", err)
	}
	e.expect(name, search.Query{Text: "kept"}, "1")
	err := e.idx.Upsert(e.ctx, name, doc("2", map[string]any{"extra": "x"}))
	e.wantErr(err, search.ErrInvalid, "Upsert of a field only the second schema has")
}

func testEnsureInvalid(e *env) {
	for _, name := range []string{"", "Upper", "a/b", "a.b", "_lead", "-lead", "a b", strings.Repeat("a", 101)} {
		e.wantErr(e.idx.Ensure(e.ctx, name, productSchema), search.ErrInvalid, fmt.Sprintf("Ensure(%q)", name))
	}
	e.ensure(search.Schema{Fields: []search.Field{{Name: "a", Type: search.Text}}})
	bad := map[string][]search.Field{
		"duplicate":      {{Name: "a", Type: search.Text}, {Name: "a", Type: search.Keyword}},
		"unknown type":   {{Name: "a", Type: 99}},
		"negative boost": {{Name: "a", Type: search.Text, Boost: -1}},
		"dotted name":    {{Name: "a.b", Type: search.Keyword}},
		"leading _":      {{Name: "_id", Type: search.Keyword}},
		"empty name":     {{Name: "", Type: search.Keyword}},
	}
	for why, fields := range bad {
		err := e.idx.Ensure(e.ctx, e.newName(), search.Schema{Fields: fields})
		e.wantErr(err, search.ErrInvalid, "Ensure with "+why)
	}
}

func testDelete(e *env) {
	name := e.ensure(productSchema)
	e.put(name, doc("1", map[string]any{"title": "one"}), doc("2", map[string]any{"title": "two"}), doc("3", map[string]any{"title": "three"}))
	if err := e.idx.Delete(e.ctx, name, "2", "missing"); err != nil {
		e.Fatalf("Delete: %v", err)
	}
	if err := e.idx.Delete(e.ctx, name); err != nil {
		e.Fatalf("Delete with no ids: %v", err)
	}
	e.refresh(name)
	e.expect(name, search.Query{}, "1", "3")
	e.expect(name, search.Query{Text: "two"})
}

func testNotFound(e *env) {
	name := e.newName()
	_, err := e.idx.Search(e.ctx, name, search.Query{})
	e.wantErr(err, search.ErrNotFound, "Search")
	e.wantErr(e.idx.Upsert(e.ctx, name, doc("1", nil)), search.ErrNotFound, "Upsert")
	e.wantErr(e.idx.Delete(e.ctx, name, "1"), search.ErrNotFound, "Delete")
	e.wantErr(e.idx.Refresh(e.ctx, name), search.ErrNotFound, "Refresh")
	if err := e.idx.Drop(e.ctx, name); err != nil {
		e.Errorf("Drop of a missing index: %v", err)
	}
	_, err = e.idx.Search(e.ctx, name, search.Query{})
	e.wantErr(err, search.ErrNotFound, "Search after Drop of a missing index")
}

func testDrop(e *env) {
	name := e.ensure(productSchema)
	e.put(name, doc("1", map[string]any{"title": "gone"}))
	if err := e.idx.Drop(e.ctx, name); err != nil {
		e.Fatalf("Drop: %v", err)
	}
	_, err := e.idx.Search(e.ctx, name, search.Query{})
	e.wantErr(err, search.ErrNotFound, "Search after Drop")
	if err := e.idx.Drop(e.ctx, name); err != nil {
		e.Errorf("second Drop: %v", err)
	}
	// Ensure after Drop starts empty, with the new schema.
	if err := e.idx.Ensure(e.ctx, name, search.Schema{Fields: []search.Field{{Name: "sku", Type: search.Keyword}}}); err != nil {
		e.Fatalf("Ensure after Drop: %v", err)
	}
	e.put(name, doc("2", map[string]any{"sku": "x"}))
	e.expect(name, search.Query{}, "2")
}

func testConcurrent(e *env) {
	name := e.ensure(productSchema)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				d := doc(fmt.Sprintf("w%d-%02d", w, i), map[string]any{"title": "concurrent", "price": float64(i)})
				if err := e.idx.Upsert(e.ctx, name, d); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			if _, err := e.idx.Search(e.ctx, name, search.Query{Text: "concurrent"}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.Errorf("concurrent call: %v", err)
	}
	e.refresh(name)
	if res := e.search(name, search.Query{Text: "concurrent"}); res.Total != writers*each {
		e.Errorf("Total = %d, want %d", res.Total, writers*each)
	}
}

func testBulk(e *env) {
	name := e.ensure(productSchema)
	docs := make([]search.Document, 1000)
	for i := range docs {
		docs[i] = doc(fmt.Sprintf("b%04d", i), map[string]any{"title": "bulk item", "price": float64(i), "tags": []string{"t", fmt.Sprint(i % 10)}})
	}
	e.put(name, docs...)
	if res := e.search(name, search.Query{Text: "item"}); res.Total != 1000 {
		e.Errorf("Total = %d, want 1000", res.Total)
	}
	if res := e.search(name, where(search.Filter{Field: "price", Max: 99})); res.Total != 100 {
		e.Errorf("price <= 99: Total = %d, want 100", res.Total)
	}
	if res := e.search(name, where(values("tags", "7"))); res.Total != 100 {
		e.Errorf("tag 7: Total = %d, want 100", res.Total)
	}
	e.put(name, doc("extra", map[string]any{"title": "bulk item"}))
	res := e.search(name, search.Query{Size: 5000, Sort: []search.Sort{{Field: "price", Desc: true}}})
	if res.Total != 1001 || len(res.Hits) != 1000 {
		e.Errorf("Size 5000: %d hits of %d, want 1000 (the cap) of 1001", len(res.Hits), res.Total)
	}
	if len(res.Hits) > 0 && res.Hits[0].ID != "b0999" {
		e.Errorf("first hit = %s, want b0999", res.Hits[0].ID)
	}
}

func testCancelled(e *env) {
	name := e.ensure(productSchema)
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err := e.idx.Search(ctx, name, search.Query{})
	e.wantErr(err, context.Canceled, "Search with a cancelled context")
	e.wantErr(e.idx.Upsert(ctx, name, doc("1", nil)), context.Canceled, "Upsert with a cancelled context")
}
