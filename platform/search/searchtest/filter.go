package searchtest

import (
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

func where(filters ...search.Filter) search.Query { return search.Query{Filters: filters} }

func values(field string, vs ...any) search.Filter { return search.Filter{Field: field, Values: vs} }

func testKeywordFilter(e *env) {
	name := e.withCatalog()
	e.expect(name, where(values("shop", "acme")), "p1", "p2")
	e.expect(name, where(values("shop", "Acme")), "p6")
	e.expect(name, where(values("shop", "acme", "core")), "p1", "p2", "p5", "p7")
	e.expect(name, where(values("tags", "red")), "p1", "p3")
	e.expect(name, where(values("tags", "sale", "blue")), "p1", "p2", "p5")
	e.expect(name, where(values("shop", "nobody")))
	// Filters combine with AND.
	e.expect(name, where(values("shop", "acme"), values("tags", "red")), "p1")
}

func testBoolFilter(e *env) {
	name := e.withCatalog()
	e.expect(name, where(values("active", true)), "p1", "p3", "p4")
	e.expect(name, where(values("active", false)), "p2", "p5")
	e.expect(name, where(values("active", true, false)), "p1", "p2", "p3", "p4", "p5")
}

func testNumberRange(e *env) {
	name := e.withCatalog()
	price := func(min, max any) search.Filter { return search.Filter{Field: "price", Min: min, Max: max} }
	e.expect(name, where(price(10.0, 20.0)), "p2", "p3", "p4")
	e.expect(name, where(price(20, nil)), "p4", "p5", "p6")
	e.expect(name, where(price(nil, 10)), "p1", "p2")
	e.expect(name, where(price(15, 15.0)), "p3")
	e.expect(name, where(price(10.5, 14.5)))
	e.expect(name, where(price(-1e9, 1e9)), "p1", "p2", "p3", "p4", "p5", "p6")
	e.expect(name, where(values("shop", "bolt"), price(16, nil)), "p4")
}

func testTimeRange(e *env) {
	name := e.withCatalog()
	created := func(min, max any) search.Filter { return search.Filter{Field: "created", Min: min, Max: max} }
	e.expect(name, where(created(hours(1), hours(3))), "p2", "p3", "p4")
	e.expect(name, where(created(hours(4), nil)), "p5", "p6")
	e.expect(name, where(created(nil, hours(0))), "p1")
	// Bounds in another zone mean the same instant.
	tokyo := time.FixedZone("JST", 9*3600)
	e.expect(name, where(created(hours(1).In(tokyo), hours(1).In(tokyo))), "p2")
	// A sub-millisecond miss excludes the document on either side.
	e.expect(name, where(created(hours(1).Add(time.Microsecond), hours(2).Add(-time.Microsecond))))
}

func testEmptyText(e *env) {
	name := e.withCatalog()
	all := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}
	e.expect(name, search.Query{}, all...)
	e.expect(name, search.Query{Text: "   "}, all...)
	e.expect(name, where(values("shop", "bolt")), "p3", "p4")
}

func testTextWithFilter(e *env) {
	name := e.ensure(productSchema)
	e.put(name,
		doc("1", map[string]any{"title": "red shoe", "shop": "a"}),
		doc("2", map[string]any{"title": "red shoe red", "shop": "b"}),
		doc("3", map[string]any{"title": "blue shoe", "shop": "b"}),
	)
	e.expect(name, search.Query{Text: "red", Filters: []search.Filter{values("shop", "b")}}, "2")
	e.expect(name, search.Query{Text: "shoe", Filters: []search.Filter{values("shop", "b")}, Sort: []search.Sort{{Field: "shop"}}}, "2", "3")
}
