package searchtest

import (
	"context"
	"slices"

	"github.com/reelmart/reelmart/platform/search"
)

func testMultiSearch(e *env) {
	products := e.withCatalog()
	other := e.ensure(search.Schema{Fields: []search.Field{{Name: "sku", Type: search.Keyword}}})
	e.put(other, doc("k1", map[string]any{"sku": "x"}), doc("k2", map[string]any{"sku": "y"}))
	reqs := []search.Request{
		{Index: products, Query: where(values("shop", "bolt"))},
		{Index: other, Query: search.Query{Filters: []search.Filter{not(values("sku", "x"))}}},
		{Index: e.newName(), Query: search.Query{}},
		{Index: products, Query: by(search.Sort{Field: "title"})},
		{Index: "Not A Name", Query: search.Query{}},
		{Index: products, Query: search.Query{Boosts: []search.Boost{{Field: "price", Weight: 1}}, Size: 2}},
	}
	res, err := e.idx.MultiSearch(e.ctx, reqs)
	if err != nil {
		e.Fatalf("MultiSearch: %v", err)
	}
	if len(res) != len(reqs) {
		e.Fatalf("MultiSearch gave %d responses to %d requests", len(res), len(reqs))
	}
	check := func(i int, want ...string) {
		e.Helper()
		if res[i].Err != nil || !slices.Equal(ids(res[i].Result), want) {
			e.Errorf("response %d = %q, %v; want %q", i, ids(res[i].Result), res[i].Err, want)
		}
	}
	check(0, "p3", "p4")
	check(1, "k2")
	e.wantErr(res[2].Err, search.ErrNotFound, "response to a missing index")
	e.wantErr(res[3].Err, search.ErrInvalid, "response to a sort on text")
	e.wantErr(res[4].Err, search.ErrInvalid, "response to a bad index name")
	check(5, "p6", "p5")
	if res[5].Result.Total != 7 || res[5].Result.Hits[0].Score != 31 {
		e.Errorf("response 5 = %+v, want Total 7 and p6 scoring 31", res[5].Result)
	}

	if res, err := e.idx.MultiSearch(e.ctx, nil); err != nil || len(res) != 0 {
		e.Errorf("MultiSearch of nothing = %v, %v", res, err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err = e.idx.MultiSearch(ctx, reqs[:1])
	e.wantErr(err, context.Canceled, "MultiSearch with a cancelled context")
}
