package searchtest

import (
	"math"
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

func boosted(boosts ...search.Boost) search.Query { return search.Query{Boosts: boosts} }

// expectScores runs q and checks the hits in order with their scores, to
// the precision of Elasticsearch's float32 scores.
func (e *env) expectScores(name string, q search.Query, want ...scored) {
	e.Helper()
	res := e.search(name, q)
	if len(res.Hits) != len(want) {
		e.Errorf("Search(%+v) = %d hits %q, want %d", q, len(res.Hits), ids(res), len(want))
		return
	}
	for i, h := range res.Hits {
		w := want[i]
		if h.ID != w.id || math.Abs(h.Score-w.score) > 1e-5*max(1, w.score) {
			e.Errorf("Search(%+v) hit %d = %s scoring %v, want %s scoring %v", q, i, h.ID, h.Score, w.id, w.score)
		}
	}
}

type scored struct {
	id    string
	score float64
}

func testBoostValues(e *env) {
	name := e.withCatalog()
	// A blank text scores 1; each boost a document earns adds its weight.
	e.expectScores(name, search.Query{},
		scored{"p1", 1}, scored{"p2", 1}, scored{"p3", 1}, scored{"p4", 1}, scored{"p5", 1}, scored{"p6", 1}, scored{"p7", 1})
	e.expectScores(name, boosted(
		search.Boost{Field: "tags", Values: []any{"red"}, Weight: 2},
		search.Boost{Field: "tags", Values: []any{"sale", "blue"}, Weight: 1},
		search.Boost{Field: "active", Values: []any{false}, Weight: 0.25},
	), scored{"p1", 4}, scored{"p3", 3}, scored{"p2", 2.25}, scored{"p5", 2.25}, scored{"p4", 1}, scored{"p6", 1}, scored{"p7", 1})
	// Boosts never change which documents match, and respect filters.
	e.expect(name, search.Query{Filters: []search.Filter{values("shop", "acme", "core")}, Boosts: []search.Boost{{Field: "shop", Values: []any{"core"}, Weight: 5}}},
		"p5", "p7", "p1", "p2")
	// A sort still decides the order.
	e.expect(name, search.Query{Boosts: []search.Boost{{Field: "tags", Values: []any{"red"}, Weight: 9}}, Sort: []search.Sort{{Field: "price", Desc: true}}},
		"p6", "p5", "p4", "p3", "p2", "p1", "p7")
}

func testBoostFieldValue(e *env) {
	name := e.withCatalog()
	e.put(name, doc("p8", map[string]any{"title": "widget eight", "price": -3.0}))
	// A negative value and a missing one earn nothing.
	e.expectScores(name, boosted(search.Boost{Field: "price", Weight: 0.1}),
		scored{"p6", 4}, scored{"p5", 3.5}, scored{"p4", 3}, scored{"p3", 2.5}, scored{"p2", 2}, scored{"p1", 1.5}, scored{"p7", 1}, scored{"p8", 1})
	e.expectScores(name, search.Query{Boosts: []search.Boost{{Field: "price", Weight: 2, Log: true}}, Filters: []search.Filter{values(search.DocID, "p1", "p2", "p8")}},
		scored{"p2", 1 + 2*math.Log(11)}, scored{"p1", 1 + 2*math.Log(6)}, scored{"p8", 1})
}

func testBoostDecay(e *env) {
	name := e.withCatalog()
	gauss := search.Boost{Field: "created", Weight: 2, Decay: &search.Decay{Origin: hours(5), Scale: 2 * time.Hour}}
	// Gauss: 0.5^((d/scale)²); p7 has no time.
	e.expectScores(name, boosted(gauss),
		scored{"p6", 3}, scored{"p5", 1 + 2*math.Pow(0.5, 0.25)}, scored{"p4", 2}, scored{"p3", 1 + 2*math.Pow(0.5, 2.25)},
		scored{"p2", 1 + 2*math.Pow(0.5, 4)}, scored{"p1", 1 + 2*math.Pow(0.5, 6.25)}, scored{"p7", 1})
	// Distance counts either side of the origin; an offset is free.
	exp := search.Boost{Field: "price", Weight: 1, Decay: &search.Decay{Shape: search.Exp, Origin: 15, Scale: 10, Offset: 5, Decay: 0.25}}
	e.expectScores(name, boosted(exp),
		scored{"p2", 2}, scored{"p3", 2}, scored{"p4", 2}, scored{"p1", 1 + math.Pow(0.25, 0.5)}, scored{"p5", 1 + math.Pow(0.25, 0.5)},
		scored{"p6", 1 + math.Pow(0.25, 1)}, scored{"p7", 1})
	linear := search.Boost{Field: "created", Weight: 4, Decay: &search.Decay{Shape: search.Linear, Origin: hours(0), Scale: 3 * time.Hour, Decay: 0.25}}
	// Linear: 1 − 0.75·d/3h, 0 from 4h on.
	e.expectScores(name, search.Query{Boosts: []search.Boost{linear}, Filters: []search.Filter{values("shop", "acme", "bolt", "core")}},
		scored{"p1", 5}, scored{"p2", 4}, scored{"p3", 3}, scored{"p4", 2}, scored{"p5", 1}, scored{"p7", 1})
	// Freshness reorders equally relevant text matches.
	res := e.search(name, search.Query{Text: "widget", Boosts: []search.Boost{gauss}, Size: 3})
	if got := ids(res); len(got) != 3 || got[0] != "p6" || got[1] != "p5" || got[2] != "p4" {
		e.Errorf("text with freshness = %q, want p6 p5 p4 first", got)
	}
}

func testInvalidBoosts(e *env) {
	name := e.withCatalog()
	dec := func(d search.Decay) *search.Decay { return &d }
	hour := &search.Decay{Origin: hours(0), Scale: time.Hour}
	bad := map[string]search.Boost{
		"zero weight":               {Field: "tags", Values: []any{"red"}},
		"negative weight":           {Field: "tags", Values: []any{"red"}, Weight: -1},
		"NaN weight":                {Field: "tags", Values: []any{"red"}, Weight: math.NaN()},
		"unknown field":             {Field: "nope", Values: []any{"x"}, Weight: 1},
		"text field":                {Field: "title", Values: []any{"x"}, Weight: 1},
		"the id":                    {Field: search.DocID, Values: []any{"p1"}, Weight: 1},
		"keyword without values":    {Field: "tags", Weight: 1},
		"keyword with a number":     {Field: "tags", Values: []any{1}, Weight: 1},
		"keyword with a decay":      {Field: "tags", Values: []any{"red"}, Decay: hour, Weight: 1},
		"bool with a string":        {Field: "active", Values: []any{"true"}, Weight: 1},
		"number with values":        {Field: "price", Values: []any{1.0}, Weight: 1},
		"number with decay and log": {Field: "price", Decay: dec(search.Decay{Origin: 0, Scale: 1}), Log: true, Weight: 1},
		"time without decay":        {Field: "created", Weight: 1},
		"time decay with a number":  {Field: "created", Decay: dec(search.Decay{Origin: 0, Scale: 1}), Weight: 1},
		"time decay of no duration": {Field: "created", Decay: dec(search.Decay{Origin: hours(0), Scale: time.Microsecond}), Weight: 1},
		"zero scale":                {Field: "price", Decay: dec(search.Decay{Origin: 0, Scale: 0}), Weight: 1},
		"negative offset":           {Field: "price", Decay: dec(search.Decay{Origin: 0, Scale: 1, Offset: -1}), Weight: 1},
		"decay of 1":                {Field: "price", Decay: dec(search.Decay{Origin: 0, Scale: 1, Decay: 1}), Weight: 1},
		"unknown shape":             {Field: "price", Decay: dec(search.Decay{Shape: 7, Origin: 0, Scale: 1}), Weight: 1},
	}
	for why, b := range bad {
		_, err := e.idx.Search(e.ctx, name, boosted(b))
		e.wantErr(err, search.ErrInvalid, "boost with "+why)
	}
	many := make([]search.Boost, 101)
	for i := range many {
		many[i] = search.Boost{Field: "tags", Values: []any{"red"}, Weight: 1}
	}
	_, err := e.idx.Search(e.ctx, name, boosted(many...))
	e.wantErr(err, search.ErrInvalid, "101 boosts")
}

func testFields(e *env) {
	name := e.withCatalog()
	res := e.search(name, search.Query{Fields: []string{"shop", "price"}, Filters: []search.Filter{values(search.DocID, "p1", "p7")}})
	if len(res.Hits) != 2 || len(res.Hits[0].Fields) != 2 || res.Hits[0].Fields["price"] != 5.0 || len(res.Hits[1].Fields) != 1 || res.Hits[1].Fields["shop"] != "core" {
		e.Errorf("Fields shop, price: hits = %+v", res.Hits)
	}
	res = e.search(name, search.Query{Fields: []string{}, Size: 3})
	if len(res.Hits) != 3 || res.Hits[0].ID != "p1" || res.Hits[0].Score != 1 || len(res.Hits[0].Fields) != 0 {
		e.Errorf("no Fields: hits = %+v, want 3 with ids, scores and no fields", res.Hits)
	}
	_, err := e.idx.Search(e.ctx, name, search.Query{Fields: []string{"nope"}})
	e.wantErr(err, search.ErrInvalid, "Fields naming an unknown field")
}
