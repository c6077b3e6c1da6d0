package searchtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

// benchSchema is shaped like the feed's video documents.
var benchSchema = search.Schema{Fields: []search.Field{
	{Name: "caption", Type: search.Text},
	{Name: "creator_id", Type: search.Keyword},
	{Name: "hashtags", Type: search.Keyword},
	{Name: "published_at", Type: search.Time},
	{Name: "views", Type: search.Number},
	{Name: "in_stock", Type: search.Bool},
}}

// Bench measures the feed's kind of candidate query on idx, holding docs
// documents: a filtered, sorted query (the baseline); the same with a few
// thousand ids excluded and freshness, interest and popularity boosts
// deciding the order; and four such queries one after another against the
// same four in one MultiSearch. Compare the cases within one run.
func Bench(b *testing.B, idx search.Index, docs int) {
	ctx := context.Background()
	name := fmt.Sprintf("bench-%d", rand.Uint32())
	if err := idx.Ensure(ctx, name, benchSchema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Drop(context.Background(), name) })
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	tag := func() string { return fmt.Sprintf("tag%02d", r.IntN(50)) }
	var seen []any
	for start := 0; start < docs; start += 1000 {
		batch := make([]search.Document, 0, 1000)
		for i := start; i < min(docs, start+1000); i++ {
			id := fmt.Sprintf("v%06d", i)
			batch = append(batch, search.Document{ID: id, Version: 1, Fields: map[string]any{
				"caption":      "a short clip about " + tag(),
				"creator_id":   fmt.Sprintf("c%03d", r.IntN(500)),
				"hashtags":     []string{tag(), tag(), tag()},
				"published_at": now.Add(-time.Duration(r.IntN(30*24*60)) * time.Minute),
				"views":        float64(r.IntN(100_000)),
				"in_stock":     r.IntN(4) > 0,
			}})
			if len(seen) < 2000 && r.IntN(5) == 0 {
				seen = append(seen, id)
			}
		}
		if err := idx.Upsert(ctx, name, batch...); err != nil {
			b.Fatal(err)
		}
	}
	if err := idx.Refresh(ctx, name); err != nil {
		b.Fatal(err)
	}
	week := search.Filter{Field: "published_at", Min: now.Add(-7 * 24 * time.Hour)}
	plain := search.Query{Filters: []search.Filter{week}, Sort: []search.Sort{{Field: "published_at", Desc: true}}, Fields: []string{}, Size: 200}
	candidates := func(i int) search.Query {
		q := search.Query{Filters: []search.Filter{week, {Field: search.DocID, Values: seen, Not: true}}, Fields: []string{}, Size: 200}
		q.Boosts = append(q.Boosts,
			search.Boost{Field: "published_at", Weight: 2, Decay: &search.Decay{Origin: now, Scale: 48 * time.Hour}},
			search.Boost{Field: "views", Weight: 0.1, Log: true},
			search.Boost{Field: "in_stock", Values: []any{true}, Weight: 0.5})
		for t := range 10 {
			q.Boosts = append(q.Boosts, search.Boost{Field: "hashtags", Values: []any{fmt.Sprintf("tag%02d", (i*10+t)%50)}, Weight: 1 / float64(t+1)})
		}
		return q
	}
	run := func(q search.Query) {
		if _, err := idx.Search(ctx, name, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("filtered-sorted", func(b *testing.B) {
		for b.Loop() {
			run(plain)
		}
	})
	b.Run("excluded-boosted", func(b *testing.B) {
		for b.Loop() {
			run(candidates(0))
		}
	})
	var reqs []search.Request
	for i := range 4 {
		reqs = append(reqs, search.Request{Index: name, Query: candidates(i)})
	}
	b.Run("four-one-by-one", func(b *testing.B) {
		for b.Loop() {
			for _, r := range reqs {
				run(r.Query)
			}
		}
	})
	b.Run("four-in-one-multisearch", func(b *testing.B) {
		for b.Loop() {
			res, err := idx.MultiSearch(ctx, reqs)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
	})
}
