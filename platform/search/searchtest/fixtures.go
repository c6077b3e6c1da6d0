package searchtest

import (
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

// productSchema is the schema most subtests use: two text fields (title
// boosted) and one field of every other type.
var productSchema = search.Schema{Fields: []search.Field{
	{Name: "title", Type: search.Text, Boost: 3},
	{Name: "body", Type: search.Text},
	{Name: "shop", Type: search.Keyword},
	{Name: "tags", Type: search.Keyword},
	{Name: "price", Type: search.Number},
	{Name: "active", Type: search.Bool},
	{Name: "created", Type: search.Time},
}}

var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func hours(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }

// catalog is seven products for filter and sort tests. p6's shop differs from
// p1's only in case; p7 has no price, time or tags; p4 has an empty tag list.
func catalog() []search.Document {
	return []search.Document{
		doc("p1", map[string]any{"title": "widget one", "shop": "acme", "tags": []string{"red", "sale"}, "price": 5.0, "active": true, "created": hours(0)}),
		doc("p2", map[string]any{"title": "widget two", "shop": "acme", "tags": []string{"blue"}, "price": 10, "active": false, "created": hours(1)}),
		doc("p3", map[string]any{"title": "widget three", "shop": "bolt", "tags": []string{"red"}, "price": 15.0, "active": true, "created": hours(2)}),
		doc("p4", map[string]any{"title": "widget four", "shop": "bolt", "tags": []string{}, "price": 20.0, "active": true, "created": hours(3)}),
		doc("p5", map[string]any{"title": "widget five", "shop": "core", "tags": []string{"green", "sale"}, "price": 25.0, "active": false, "created": hours(4)}),
		doc("p6", map[string]any{"title": "widget six", "shop": "Acme", "price": 30.0, "created": hours(5)}),
		doc("p7", map[string]any{"title": "widget seven", "shop": "core"}),
	}
}

// withCatalog creates an index with productSchema holding catalog().
func (e *env) withCatalog() string {
	e.Helper()
	name := e.ensure(productSchema)
	e.put(name, catalog()...)
	return name
}
