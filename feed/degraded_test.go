package feed_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/search/elastic"
	"github.com/reelmart/reelmart/platform/testenv"
)

// outage sits between the feed and the real Elasticsearch: while down, it
// drops every connection, as a dead node does.
type outage struct {
	down  atomic.Bool
	proxy *httputil.ReverseProxy
}

func (o *outage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o.down.Load() {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	o.proxy.ServeHTTP(w, r)
}

// elasticBehind opens the real cluster through an outage switch.
func elasticBehind(t *testing.T) (*elastic.Index, *outage) {
	t.Helper()
	target, err := url.Parse(testenv.Elastic(t))
	if err != nil {
		t.Fatal(err)
	}
	o := &outage{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ix, err := elastic.Open(ctx, srv.URL+"?prefix=reelmart-test-outage-"+hex.EncodeToString(b)+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		o.down.Store(false)
		_ = ix.Drop(ctx, feed.IndexName)
		ix.Close()
	})
	return ix, o
}

// With the engine unreachable the feed still answers, from the database,
// marked degraded; writes queue up, and catch up when it is back.
func TestDegradedFeedAndCatchUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ix, net := elasticBehind(t)
		e := newEnv(t, d, ix, func(c *feed.Config) { c.BreakerPause = 300 * time.Millisecond })
		e.work()
		creator, viewer := e.user("maker"), e.user("viewer")
		followed := e.user("followed")
		e.follow(viewer, followed)
		var all []string
		for i := range 6 {
			all = append(all, e.video(creator, time.Duration(i)*time.Hour, "cooking"))
		}
		old := e.video(followed, 40*24*time.Hour, "pets") // too old for the fresh list's first pages, but followed
		all = append(all, old)
		e.index(all...)
		if p := e.page(viewer, "", 10); p.Degraded || len(p.Items) != len(all) {
			t.Fatalf("healthy: degraded %v, %d items", p.Degraded, len(p.Items))
		}

		net.down.Store(true)
		late := e.video(creator, 0, "cooking")
		if err := e.feed.VideosChanged(ctx, nil, late); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		p := e.page(e.user("newcomer"), "", 10)
		if !p.Degraded || !slices.Contains(ids(p.Items), late) {
			t.Fatalf("search down: degraded %v, items %v; want degraded, with the newest video from the database", p.Degraded, ids(p.Items))
		}
		for _, it := range p.Items {
			if src := it.Debug.Sources; !slices.Equal(src, []string{"database"}) {
				t.Fatalf("degraded item sources %v", src)
			}
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("the degraded page took %s", took)
		}
		// The breaker is open: the next page does not wait for the engine.
		start = time.Now()
		if p := e.page(viewer, "", 10); !p.Degraded || !slices.Contains(ids(p.Items), old) {
			t.Fatalf("followed creator's video missing from the degraded feed: %v", ids(p.Items))
		}
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Fatalf("with the breaker open a page took %s", took)
		}
		tr, err := e.feed.TrendingHashtags(ctx, 5)
		if err != nil || !tr.Degraded || len(tr.Items) == 0 || tr.Items[0].Tag != "cooking" {
			t.Fatalf("trending with search down: %+v, %v", tr, err)
		}
		if _, err := e.feed.SearchVideos(ctx, feed.SearchRequest{Text: "cooking"}); err != feed.ErrSearchUnavailable {
			t.Fatalf("video search with the engine down: %v, want search_unavailable", err)
		}

		net.down.Store(false)
		waitFor(t, 10*time.Second, "queued index job catching up", func() bool { _, ok := found(e, late); return ok })
		time.Sleep(400 * time.Millisecond) // the breaker's pause
		if p := e.page(e.user("later"), "", 10); p.Degraded || !slices.Contains(ids(p.Items), late) {
			t.Fatalf("engine back: degraded %v, items %v", p.Degraded, ids(p.Items))
		}
	})
}

// The embedded engine failing (here: closed under the feed) degrades the
// same way.
func TestDegradedFeedOnBleve(t *testing.T) {
	ix := engines()[0].open(t)
	e := newEnv(t, dbtest.Open(t, db.SQLite), ix)
	c := e.user("maker")
	var all []string
	for i := range 3 {
		all = append(all, e.video(c, time.Duration(i)*time.Hour, "cooking"))
	}
	e.index(all...)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	p := e.page(e.user("viewer"), "", 10)
	if !p.Degraded || len(p.Items) != 3 {
		t.Fatalf("bleve closed: degraded %v, %d items", p.Degraded, len(p.Items))
	}
}
