package feed_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/platform/search"
)

// A rebuild brings back what the index lost, drops what it should not
// hold, keeps searches answering throughout, and keeps the writes made
// while it ran.
func TestRebuildWithoutDowntime(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c := e.user("maker")
		var all []string
		for i := range 1100 { // three pages of the rebuild
			all = append(all, e.video(c, time.Duration(i)*time.Minute, "cooking"))
		}
		e.index(all...)
		// The index lost a document, and holds one the database does not.
		if err := e.ix.Delete(ctx, feed.IndexName, all[0]); err != nil {
			t.Fatal(err)
		}
		if err := e.ix.Upsert(ctx, feed.IndexName, search.Document{ID: "ghost", Fields: map[string]any{"creator_id": c}}); err != nil {
			t.Fatal(err)
		}

		// Searches run all along; none may fail.
		stop := make(chan struct{})
		var searches, failures atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.ix.Search(ctx, feed.IndexName, search.Query{Size: 1}); err != nil {
					failures.Add(1)
					t.Errorf("search during the rebuild: %v", err)
				}
				searches.Add(1)
			}
		}()

		var added, removed string
		var seen []int64
		n, err := e.feed.Rebuild(ctx, func(done, total int64) {
			seen = append(seen, done)
			if len(seen) != 1 {
				return
			}
			// Mid-rebuild: one video deleted, one published, both through
			// the normal path (a version bump and an index write).
			removed = all[len(all)-1]
			if err := e.media.Delete(ctx, removed, c); err != nil {
				t.Error(err)
			}
			added = e.video(c, 0, "travel")
			if err := e.feed.VideosChanged(ctx, nil, added); err != nil {
				t.Error(err)
			}
			if err := e.feed.IndexVideos(ctx, removed, added); err != nil {
				t.Error(err)
			}
		})
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(all)) || !slices.Equal(seen, []int64{500, 1000, 1100}) {
			t.Fatalf("rebuilt %d videos with progress %v", n, seen)
		}
		t.Logf("%d searches during the rebuild, %d failed", searches.Load(), failures.Load())
		if err := e.ix.Refresh(ctx, feed.IndexName); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{all[0]: true, "ghost": false, removed: false, added: true, all[500]: true} {
			if _, ok := found(e, id); ok != want {
				t.Errorf("after the rebuild, %s in the index: %v, want %v", id, ok, want)
			}
		}
		p, err := e.feed.RebuildProgress(ctx)
		if err != nil || p.State != feed.RebuildDone || p.Done != n || p.FinishedAt.IsZero() {
			t.Fatalf("progress %+v, %v", p, err)
		}
	})
}
