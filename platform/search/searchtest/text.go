package searchtest

import (
	"reflect"
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

func testRelevance(e *env) {
	name := e.ensure(productSchema)
	e.put(name,
		doc("a", map[string]any{"title": "Trail running shoe for rocky mountain paths", "body": "Light and grippy"}),
		doc("b", map[string]any{"title": "Gym bag", "body": "shoe"}),
		doc("c", map[string]any{"title": "Water bottle", "body": "Keeps drinks cold"}),
		doc("x", map[string]any{"body": "apple apple apple banana"}),
		doc("y", map[string]any{"body": "apple banana cherry grape"}),
	)
	// The boosted title outranks the body, although the body is much shorter.
	res := e.expect(name, search.Query{Text: "shoe"}, "a", "b")
	if len(res.Hits) == 2 && !(res.Hits[0].Score > res.Hits[1].Score && res.Hits[1].Score > 0) {
		e.Errorf("scores = %v, %v, want first > second > 0", res.Hits[0].Score, res.Hits[1].Score)
	}
	// More occurrences rank first; so does matching more of the terms.
	e.expect(name, search.Query{Text: "apple"}, "x", "y")
	e.expect(name, search.Query{Text: "banana cherry"}, "y", "x")
	e.expect(name, search.Query{Text: "submarine"})
}

func testAnalysis(e *env) {
	name := e.ensure(productSchema)
	e.put(name,
		doc("r", map[string]any{"title": "Running Shoes", "shop": "bolt"}),
		doc("s", map[string]any{"title": "Leather sandal"}),
	)
	for _, text := range []string{"shoe", "SHOES", "running", "RUNNING", "run", "runs", "  the running  "} {
		e.expect(name, search.Query{Text: text}, "r")
	}
	e.expect(name, search.Query{Text: "sandals"}, "s")
	// Keyword fields are not searched as text; stop words alone match nothing.
	e.expect(name, search.Query{Text: "bolt"})
	e.expect(name, search.Query{Text: "the"})
}

func testNoTextFields(e *env) {
	name := e.ensure(search.Schema{Fields: []search.Field{{Name: "sku", Type: search.Keyword}}})
	e.put(name, doc("1", map[string]any{"sku": "abc"}))
	e.expect(name, search.Query{Text: "abc"})
	e.expect(name, search.Query{}, "1")
}

func testReplace(e *env) {
	name := e.ensure(productSchema)
	e.put(name, doc("1", map[string]any{"title": "red kettle", "price": 5.0}), doc("2", map[string]any{"title": "green kettle"}))
	e.put(name, doc("1", map[string]any{"title": "blue kettle"}))
	e.expect(name, search.Query{Text: "red"})
	res := e.expect(name, search.Query{Text: "blue"}, "1")
	// The whole document is replaced, not merged.
	if len(res.Hits) == 1 {
		if _, ok := res.Hits[0].Fields["price"]; ok {
			e.Errorf("replaced doc still has price: %v", res.Hits[0].Fields)
		}
	}
	e.expect(name, search.Query{Filters: []search.Filter{{Field: "price", Min: 0}}})
	e.expect(name, search.Query{Text: "kettle"}, "1", "2")
}

func testRoundTrip(e *env) {
	name := e.ensure(productSchema)
	shanghai := time.FixedZone("CST", 8*3600)
	created := time.Date(2025, 6, 7, 8, 9, 10, 123_456_789, shanghai)
	e.put(name,
		doc("full", map[string]any{
			"title": "Ünïcode title ✓", "body": "line one\nline two", "shop": "Shop/42",
			"tags": []string{"a", "b c"}, "price": 19.99, "active": false, "created": created,
		}),
		doc("ints", map[string]any{"price": 3, "tags": []string{"only"}, "active": true}),
		doc("bare", map[string]any{"shop": "s", "price": nil}),
	)
	want := map[string]map[string]any{
		"full": {
			"title": "Ünïcode title ✓", "body": "line one\nline two", "shop": "Shop/42",
			"tags": []string{"a", "b c"}, "price": 19.99, "active": false,
			"created": time.Date(2025, 6, 7, 0, 9, 10, 123_000_000, time.UTC),
		},
		"ints": {"price": 3.0, "tags": []string{"only"}, "active": true},
		"bare": {"shop": "s"},
	}
	res := e.search(name, search.Query{})
	if len(res.Hits) != len(want) {
		e.Fatalf("got %d hits, want %d", len(res.Hits), len(want))
	}
	for _, h := range res.Hits {
		if !reflect.DeepEqual(h.Fields, want[h.ID]) {
			e.Errorf("hit %s Fields =\n %#v\nwant\n %#v", h.ID, h.Fields, want[h.ID])
		}
		if c, ok := h.Fields["created"].(time.Time); ok && c.Location() != time.UTC {
			e.Errorf("hit %s created location = %v, want UTC", h.ID, c.Location())
		}
	}
}
