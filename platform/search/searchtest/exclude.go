package searchtest

import (
	"fmt"

	"github.com/reelmart/reelmart/platform/search"
)

func not(f search.Filter) search.Filter { f.Not = true; return f }

func testExclusion(e *env) {
	name := e.withCatalog()
	// A document without the field is never excluded.
	e.expect(name, where(not(values("shop", "acme"))), "p3", "p4", "p5", "p6", "p7")
	e.expect(name, where(not(values("tags", "red", "green"))), "p2", "p4", "p6", "p7")
	e.expect(name, where(not(values("active", true))), "p2", "p5", "p6", "p7")
	e.expect(name, where(not(search.Filter{Field: "price", Min: 10, Max: 20})), "p1", "p5", "p6", "p7")
	e.expect(name, where(not(search.Filter{Field: "created", Max: hours(3)})), "p5", "p6", "p7")
	// Exclusions combine with filters, with each other and with text.
	e.expect(name, where(values("shop", "acme", "bolt"), not(values("tags", "red"))), "p2", "p4")
	e.expect(name, where(not(values("shop", "acme")), not(values("shop", "core"))), "p3", "p4", "p6")
	e.expect(name, search.Query{Text: "widget", Filters: []search.Filter{not(values("active", false))}, Sort: []search.Sort{{Field: "price"}}}, "p1", "p3", "p4", "p6", "p7")
	// Documents by id, kept or excluded.
	e.expect(name, where(values(search.DocID, "p5", "p2", "missing")), "p2", "p5")
	e.expect(name, where(not(values(search.DocID, "p1", "p2", "p3")), values("shop", "acme", "bolt", "core")), "p4", "p5", "p7")

	for why, f := range map[string]search.Filter{
		"a range on ids":       {Field: search.DocID, Min: "a"},
		"a number id":          {Field: search.DocID, Values: []any{1}},
		"Not without a value":  {Field: "shop", Not: true},
		"too many values":      {Field: search.DocID, Values: make([]any, 65537)},
		"Not on a text field":  {Field: "title", Values: []any{"widget"}, Not: true},
		"Not on a missing one": {Field: "nope", Values: []any{"x"}, Not: true},
	} {
		_, err := e.idx.Search(e.ctx, name, where(f))
		e.wantErr(err, search.ErrInvalid, "filter with "+why)
	}
}

// testExcludeThousands excludes what a viewer was already served: a few
// thousand ids in one filter.
func testExcludeThousands(e *env) {
	name := e.ensure(productSchema)
	const n = 3000
	docs := make([]search.Document, n)
	var seen, fresh []any
	var want []string
	for i := range docs {
		id := fmt.Sprintf("v%04d", i)
		docs[i] = doc(id, map[string]any{"title": "clip", "shop": fmt.Sprint(i % 7)})
		if i%300 == 7 {
			want = append(want, id)
		} else {
			seen = append(seen, id)
		}
		if i%2 == 0 {
			fresh = append(fresh, id)
		}
	}
	e.put(name, docs...)
	q := search.Query{Text: "clip", Filters: []search.Filter{not(values(search.DocID, seen...))}, Size: 100}
	e.expect(name, q, want...)
	q.Filters = append(q.Filters, values(search.DocID, fresh...))
	e.expect(name, q) // every wanted id is odd
	res := e.search(name, search.Query{Filters: []search.Filter{values(search.DocID, fresh...)}, Size: 1})
	if res.Total != n/2 {
		e.Errorf("filter by %d ids: Total = %d", len(fresh), res.Total)
	}
}
