package searchtest

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/reelmart/reelmart/platform/search"
)

func by(keys ...search.Sort) search.Query { return search.Query{Sort: keys} }

func testSort(e *env) {
	name := e.withCatalog()
	asc := func(f string) search.Sort { return search.Sort{Field: f} }
	desc := func(f string) search.Sort { return search.Sort{Field: f, Desc: true} }
	// Documents without the field come last in both directions.
	e.expect(name, by(asc("price")), "p1", "p2", "p3", "p4", "p5", "p6", "p7")
	e.expect(name, by(desc("price")), "p6", "p5", "p4", "p3", "p2", "p1", "p7")
	e.expect(name, by(desc("created")), "p6", "p5", "p4", "p3", "p2", "p1", "p7")
	e.expect(name, by(asc("created")), "p1", "p2", "p3", "p4", "p5", "p6", "p7")
	// Keywords sort by bytes ("A" < "a"); ties fall back to the id.
	e.expect(name, by(asc("shop")), "p6", "p1", "p2", "p3", "p4", "p5", "p7")
	e.expect(name, by(asc("shop"), desc("price")), "p6", "p2", "p1", "p4", "p3", "p5", "p7")
	e.expect(name, by(desc("shop"), asc("created")), "p5", "p7", "p3", "p4", "p1", "p2", "p6")
	// A multi-valued keyword sorts by its smallest value ascending, its largest descending.
	e.expect(name, by(asc("tags")), "p2", "p5", "p1", "p3", "p4", "p6", "p7")
	e.expect(name, by(desc("tags")), "p1", "p5", "p3", "p2", "p4", "p6", "p7")
	// Sorting composes with filters.
	e.expect(name, search.Query{Filters: []search.Filter{values("active", true)}, Sort: []search.Sort{desc("price")}}, "p4", "p3", "p1")
}

func testSortOverridesRelevance(e *env) {
	name := e.ensure(productSchema)
	e.put(name,
		doc("a", map[string]any{"title": "lamp lamp lamp", "price": 30.0}),
		doc("b", map[string]any{"title": "lamp lamp desk", "price": 10.0}),
		doc("c", map[string]any{"title": "lamp desk shade", "price": 20.0}),
		doc("d", map[string]any{"title": "chair desk shade", "price": 1.0}),
	)
	e.expect(name, search.Query{Text: "lamp"}, "a", "b", "c")
	e.expect(name, search.Query{Text: "lamp", Sort: []search.Sort{{Field: "price"}}}, "b", "c", "a")
}

// pagedDocs are 25 documents whose prices repeat, so that order depends on
// the id tie-break; want is their order by price then id.
func pagedDocs() (docs []search.Document, want []string) {
	type row struct {
		id    string
		price float64
	}
	var rows []row
	for i := range 25 {
		r := row{id: fmt.Sprintf("d%02d", (i*7)%25), price: float64(i % 4)}
		rows = append(rows, r)
		docs = append(docs, doc(r.id, map[string]any{"title": "same words here", "price": r.price}))
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.price, b.price), cmp.Compare(a.id, b.id)) })
	for _, r := range rows {
		want = append(want, r.id)
	}
	return docs, want
}

// pages reads q page by page and checks that every page reports the full Total.
func (e *env) pages(name string, q search.Query, size, total int) []string {
	e.Helper()
	var got []string
	for from := 0; from < total+size; from += size {
		q.From, q.Size = from, size
		res := e.search(name, q)
		if res.Total != total {
			e.Errorf("page from %d: Total = %d, want %d", from, res.Total, total)
		}
		if want := max(0, min(size, total-from)); len(res.Hits) != want {
			e.Errorf("page from %d: %d hits, want %d", from, len(res.Hits), want)
		}
		got = append(got, ids(res)...)
	}
	return got
}

func testPaging(e *env) {
	name := e.ensure(productSchema)
	docs, want := pagedDocs()
	e.put(name, docs...)
	q := by(search.Sort{Field: "price"})
	e.expect(name, search.Query{Sort: q.Sort, Size: 100}, want...)
	if got := e.pages(name, q, 4, len(want)); !slices.Equal(got, want) {
		e.Errorf("pages joined = %q, want %q", got, want)
	}
	if res := e.search(name, q); len(res.Hits) != 20 || res.Total != 25 {
		e.Errorf("default size: %d hits of %d, want 20 of 25", len(res.Hits), res.Total)
	}
}

func testPagingByRelevance(e *env) {
	name := e.ensure(productSchema)
	docs, _ := pagedDocs()
	e.put(name, docs...)
	// Equal scores fall back to the id.
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("d%02d", i))
	}
	e.expect(name, search.Query{Text: "words", Size: 25}, want...)
	if got := e.pages(name, search.Query{Text: "words"}, 6, 25); !slices.Equal(got, want) {
		e.Errorf("pages joined = %q, want %q", got, want)
	}
}
