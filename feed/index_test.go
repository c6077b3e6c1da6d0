package feed_test

import (
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/platform/search"
)

// found reports whether the videos index returns id, and its document.
// Tests poll it while jobs create the index, so a search that fails (the
// index not there yet, or its shard still starting) counts as not found.
func found(e *env, id string) (search.Hit, bool) {
	e.t.Helper()
	res, err := e.ix.Search(ctx, feed.IndexName, search.Query{Filters: []search.Filter{{Field: search.DocID, Values: []any{id}}}})
	if err != nil {
		if !errors.Is(err, search.ErrNotFound) {
			e.t.Logf("search while polling: %v", err)
		}
		return search.Hit{}, false
	}
	if len(res.Hits) == 0 {
		return search.Hit{}, false
	}
	return res.Hits[0], true
}

// waitFor polls cond every 20 ms until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// A video that becomes ready is searchable within 2 s through the real
// job queue; failing and deleting it remove it again.
func TestReadyVideoIndexedWithinTwoSeconds(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.work()
		creator := e.user("maker")
		id := e.video(creator, 0, "cooking")
		if _, err := e.d.ExecContext(ctx, `UPDATE videos SET status = 'processing' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		// What the transcode job does when it finishes: ready, and the
		// index job, in one transaction.
		err := e.d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE videos SET status = 'ready' WHERE id = $1`, id); err != nil {
				return err
			}
			return e.feed.VideosChanged(ctx, tx, id)
		})
		if err != nil {
			t.Fatal(err)
		}
		took := waitFor(t, 2*time.Second, "ready video in the index", func() bool { _, ok := found(e, id); return ok })
		t.Logf("searchable %s after it became ready", took.Round(time.Millisecond))

		// Deleting it (media's Delete calls VideosChanged before the row goes).
		if err := e.media.Delete(ctx, id, creator); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "deleted video out of the index", func() bool { _, ok := found(e, id); return !ok })
	})
}

// Writes carry the row's version: an older document arriving late never
// overwrites a newer one, and nothing brings a deleted video back.
func TestIndexWritesNeverGoBackwards(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		creator := e.user("maker")
		id := e.video(creator, 0, "cooking")
		e.sig.setStats(id, feed.Stats{Views: 10})
		if err := e.feed.VideosChanged(ctx, nil, id); err != nil { // version 2
			t.Fatal(err)
		}
		e.index(id)
		old := oldDocument(t, e, id, 10)

		e.sig.setStats(id, feed.Stats{Views: 99})
		if err := e.feed.VideosChanged(ctx, nil, id); err != nil { // version 3
			t.Fatal(err)
		}
		e.index(id)
		// The older write arrives last, as a slow job would deliver it.
		if err := e.ix.Upsert(ctx, feed.IndexName, old); err != nil {
			t.Fatal(err)
		}
		if err := e.ix.Refresh(ctx, feed.IndexName); err != nil {
			t.Fatal(err)
		}
		h, ok := found(e, id)
		if !ok || h.Fields["views"] != float64(99) {
			t.Fatalf("after a late older write the document shows %v views, want the newer 99", h.Fields["views"])
		}

		// Failing: a tombstone at the row's version.
		if _, err := e.d.ExecContext(ctx, `UPDATE videos SET status = 'failed' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := e.feed.VideosChanged(ctx, nil, id); err != nil {
			t.Fatal(err)
		}
		e.index(id)
		if _, ok := found(e, id); ok {
			t.Fatal("a failed video is still in the index")
		}
		if err := e.ix.Upsert(ctx, feed.IndexName, old); err != nil {
			t.Fatal(err)
		}
		e.index() // refresh only
		if _, ok := found(e, id); ok {
			t.Fatal("a late older write brought a failed video back")
		}

		// Gone: a row deleted without the feed being told (an account's
		// cascade) is found missing by a page, which enqueues its tombstone.
		other := e.video(creator, time.Hour, "travel")
		e.index(other)
		stale := oldDocument(t, e, other, 1)
		stale.Version = feed.GoneVersion - 1
		if _, err := e.d.ExecContext(ctx, `DELETE FROM videos WHERE id = $1`, other); err != nil {
			t.Fatal(err)
		}
		p := e.page(e.user("viewer"), "", 10)
		if slices.Contains(ids(p.Items), other) {
			t.Fatal("the feed showed a deleted video")
		}
		e.work()
		waitFor(t, 5*time.Second, "tombstone of a video deleted behind the feed's back", func() bool { _, ok := found(e, other); return !ok })
		if err := e.ix.Upsert(ctx, feed.IndexName, stale); err != nil {
			t.Fatal(err)
		}
		e.index()
		if _, ok := found(e, other); ok {
			t.Fatal("a write below the final version brought a gone video back")
		}
	})
}

// oldDocument is a copy of the video's document as an earlier version
// would have written it.
func oldDocument(t *testing.T, e *env, id string, views int64) search.Document {
	t.Helper()
	var version int64
	if err := e.d.QueryRowContext(ctx, `SELECT index_version FROM videos WHERE id = $1`, id).Scan(&version); err != nil {
		t.Fatal(err)
	}
	h, ok := found(e, id)
	if !ok {
		t.Fatal("the video is not indexed")
	}
	fields := map[string]any{}
	for k, v := range h.Fields {
		fields[k] = v
	}
	fields["views"] = views
	return search.Document{ID: id, Version: version, Fields: fields}
}

// When the only product pinned to a video sells out, the catalog's change
// re-indexes the video (in_stock false), and it comes back with a restock.
func TestStockCrossingZeroReindexesPinningVideos(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.work()
		creator := e.user("seller")
		id := e.video(creator, 0, "cooking")
		p := e.product(creator, id, 3) // pinning re-indexes through media's Relink
		inStock := func(want bool) func() bool {
			return func() bool {
				h, ok := found(e, id)
				return ok && h.Fields["in_stock"] == want && h.Fields["has_products"] == true
			}
		}
		waitFor(t, 3*time.Second, "pinned video indexed in stock", inStock(true))
		if _, err := e.catalog.SetStock(ctx, creator, p.SKUs[0].ID, 0); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "sold-out video re-indexed", inStock(false))
		if _, err := e.catalog.SetStock(ctx, creator, p.SKUs[0].ID, 5); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "restocked video re-indexed", inStock(true))
	})
}
