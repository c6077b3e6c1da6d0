package searchtest

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

func testInvalidQueries(e *env) {
	name := e.withCatalog()
	bad := map[string]search.Query{
		"filter on unknown field":    where(values("nope", "x")),
		"sort on unknown field":      by(search.Sort{Field: "nope"}),
		"sort on text field":         by(search.Sort{Field: "title"}),
		"sort on bool field":         by(search.Sort{Field: "active"}),
		"filter on text field":       where(values("title", "x")),
		"keyword filter with number": where(values("shop", 1)),
		"bool filter with string":    where(values("active", "true")),
		"range on keyword":           where(search.Filter{Field: "shop", Min: "a"}),
		"values on number":           where(values("price", 5.0)),
		"number range with string":   where(search.Filter{Field: "price", Min: "5"}),
		"number range with NaN":      where(search.Filter{Field: "price", Max: math.NaN()}),
		"time range with string":     where(search.Filter{Field: "created", Min: "2025-01-01"}),
		"values and range":           where(search.Filter{Field: "price", Values: []any{1.0}, Min: 1.0}),
		"empty filter":               where(search.Filter{Field: "shop"}),
		"negative from":              {From: -1},
		"negative size":              {Size: -1},
		"beyond the window":          {From: 9990, Size: 20},
	}
	for why, q := range bad {
		_, err := e.idx.Search(e.ctx, name, q)
		e.wantErr(err, search.ErrInvalid, why)
	}
}

func testInvalidDocuments(e *env) {
	name := e.ensure(productSchema)
	bad := map[string]search.Document{
		"empty id":          doc("", map[string]any{"title": "x"}),
		"long id":           doc(strings.Repeat("i", 513), nil),
		"unknown field":     doc("1", map[string]any{"colour": "red"}),
		"number as string":  doc("1", map[string]any{"price": "cheap"}),
		"NaN":               doc("1", map[string]any{"price": math.NaN()}),
		"text as list":      doc("1", map[string]any{"title": []string{"a"}}),
		"keyword as number": doc("1", map[string]any{"shop": 7}),
		"keyword too long":  doc("1", map[string]any{"tags": []string{"ok", strings.Repeat("k", 32767)}}),
		"bool as string":    doc("1", map[string]any{"active": "yes"}),
		"time as string":    doc("1", map[string]any{"created": "2025-01-01T00:00:00Z"}),
		"time out of range": doc("1", map[string]any{"created": time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}),
	}
	for why, d := range bad {
		e.wantErr(e.idx.Upsert(e.ctx, name, d), search.ErrInvalid, "Upsert with "+why)
	}
	// One bad document rejects the whole call before anything is written.
	var docs []search.Document
	for i := range 5 {
		docs = append(docs, doc(fmt.Sprint(i), map[string]any{"title": "good"}))
	}
	docs = append(docs, doc("bad", map[string]any{"price": true}))
	e.wantErr(e.idx.Upsert(e.ctx, name, docs...), search.ErrInvalid, "Upsert of a batch with one bad document")
	e.refresh(name)
	e.expect(name, search.Query{})
}
