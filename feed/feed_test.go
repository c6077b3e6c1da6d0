package feed_test

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// smallWorld makes creators × perCreator ready, indexed videos of
// different ages and tags, and returns their ids by creator.
func smallWorld(e *env, creators, perCreator int) (map[string][]string, []string) {
	e.t.Helper()
	byCreator := map[string][]string{}
	var all []string
	tags := []string{"cooking", "travel", "gaming", "pets"}
	for c := range creators {
		id := e.user(fmt.Sprintf("creator%02d", c))
		for v := range perCreator {
			vid := e.video(id, time.Duration(c*perCreator+v)*time.Hour, tags[(c+v)%len(tags)])
			e.sig.setStats(vid, feed.Stats{Views: int64(300 + 10*v), Completions: int64(100 + c), Likes: int64(10 + v)})
			byCreator[id] = append(byCreator[id], vid)
			all = append(all, vid)
		}
	}
	e.index(all...)
	return byCreator, all
}

// follow every cursor of a session to its end.
func walk(e *env, viewer string, limit int) (pages [][]string, all []string) {
	e.t.Helper()
	cursor := ""
	for range 100 {
		p := e.page(viewer, cursor, limit)
		pages = append(pages, ids(p.Items))
		all = append(all, ids(p.Items)...)
		if p.NextCursor == "" {
			return pages, all
		}
		cursor = p.NextCursor
		e.clock.add(time.Second) // served times differ page by page
	}
	e.t.Fatal("a session of a small world never ended")
	return nil, nil
}

// Following the cursors shows every ranked video once: no repeat, nothing
// skipped, creators kept apart across pages and batches. When everything
// has been served, a new session offers it again, least recently served
// first, and the same cursor twice gives the same page.
func TestSessionPagesEveryVideoOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		byCreator, all := smallWorld(e, 8, 6) // 48 videos: more than one batch
		viewer := e.user("viewer")
		pages, seen := walk(e, viewer, 7)
		if len(seen) != len(all) {
			t.Fatalf("the session showed %d videos, want all %d", len(seen), len(all))
		}
		if dup := duplicates(seen); len(dup) > 0 {
			t.Fatalf("videos repeated within a session: %v", dup)
		}
		slices.Sort(seen)
		if want := slices.Sorted(slices.Values(all)); !slices.Equal(seen, want) {
			t.Fatal("the session skipped videos it should have shown")
		}
		creatorOf := map[string]string{}
		for c, vids := range byCreator {
			for _, v := range vids {
				creatorOf[v] = c
			}
		}
		var order []string
		for _, p := range pages {
			for _, v := range p {
				order = append(order, creatorOf[v])
			}
		}
		if i, ok := repeatWithin(order, 4); ok {
			t.Fatalf("one creator twice within 4 items at position %d (8 creators × 6 videos allow it)", i)
		}

		// A second session: every video was served in the last week, so
		// they come again, least recently served first.
		first := e.page(viewer, "", 7)
		if !slices.Equal(ids(first.Items), pages[0]) {
			t.Fatalf("a rerun starts with %v, want the least recently served %v", ids(first.Items), pages[0])
		}
		for _, it := range first.Items {
			if src := it.Debug.Sources; len(src) != 1 || src[0] != "served" {
				t.Fatalf("a rerun item's sources are %v, want [served]", src)
			}
		}
		again := e.page(viewer, first.NextCursor, 7)
		if retry := e.page(viewer, first.NextCursor, 7); !slices.Equal(ids(retry.Items), ids(again.Items)) {
			t.Fatalf("the same cursor gave %v, then %v", ids(again.Items), ids(retry.Items))
		}
	})
}

func duplicates(ids []string) []string {
	seen := map[string]bool{}
	var dup []string
	for _, id := range ids {
		if seen[id] {
			dup = append(dup, id)
		}
		seen[id] = true
	}
	return dup
}

// repeatWithin returns the first position whose creator appeared within
// the window items before it.
func repeatWithin(creators []string, window int) (int, bool) {
	for i := range creators {
		for j := max(0, i-window+1); j < i; j++ {
			if creators[j] == creators[i] {
				return i, true
			}
		}
	}
	return 0, false
}

// Nodes share the key that signs cursors (it is kept in the database), so
// a session continues on whichever node a request reaches: followed node
// to node, its pages repeat nothing and end where one node's would.
func TestCursorsWorkOnEveryNode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ix := engines()[0].open(t)
		a := newEnv(t, d, ix)
		smallWorld(a, 6, 5)
		// A second node: its own service (and key cache) on the same
		// database and index, started before the first cursor exists.
		b, err := feed.NewService(feed.Deps{DB: d, Index: ix, Jobs: a.jobs, Videos: a.media, Signals: a.sig,
			Follows: a.accounts, Blocks: a.blocks, Users: a.accounts, Log: slog.New(slog.DiscardHandler), Now: a.clock.now}, feed.Config{})
		if err != nil {
			t.Fatal(err)
		}
		nodes := []*feed.Service{a.feed, b}
		viewer := a.user("viewer")
		var seen []string
		cursor := ""
		for i := 0; len(seen) < 30; i++ { // six pages of five, three on each node
			p, err := nodes[i%2].Feed(ctx, feed.Request{ViewerID: viewer, Cursor: cursor, Limit: 5})
			if err != nil {
				t.Fatalf("page %d on node %d: %v", i, i%2, err)
			}
			if len(p.Items) == 0 || p.NextCursor == "" || i == 10 {
				t.Fatalf("page %d on node %d: %d items, next %q, after %d items", i, i%2, len(p.Items), p.NextCursor, len(seen))
			}
			seen = append(seen, ids(p.Items)...)
			cursor = p.NextCursor
		}
		if dup := duplicates(seen); len(dup) > 0 || len(seen) != 30 {
			t.Fatalf("node to node, the session gave %d items with repeats %v; want all 30 once", len(seen), dup)
		}
		// The following feed's cursors too.
		creator := a.user("followed")
		a.follow(viewer, creator)
		for h := range 3 {
			a.index(a.video(creator, time.Duration(h+1)*time.Hour, "pets"))
		}
		first, err := a.feed.Following(ctx, viewer, "", 2)
		if err != nil || first.NextCursor == "" {
			t.Fatalf("following on node 0: %v, next %q", err, first.NextCursor)
		}
		rest, err := b.Following(ctx, viewer, first.NextCursor, 2)
		if err != nil || len(rest.Items) != 1 {
			t.Fatalf("following on node 1 with node 0's cursor: %v, %d items; want the third", err, len(rest.Items))
		}
	})
}

// A signed-out viewer's served history becomes the account's when they sign
// in (the account's next session starts with what they have not seen),
// and deleting the account forgets its history and sessions.
func TestServedHistoryMergesAndIsForgotten(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engines()[0].open(t))
		smallWorld(e, 4, 5)
		count := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := d.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		const visitor = "viewer-cookie-7f3a" // a signed-out viewer's id
		seen := ids(e.page(visitor, "", 8).Items)
		user := e.user("signed")
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return e.feed.MergeViewer(ctx, tx, visitor, user) }); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT COUNT(*) FROM feed_served WHERE viewer_key = $1`, user); n != len(seen) {
			t.Fatalf("the account has %d served videos after the merge; want the visitor's %d", n, len(seen))
		}
		if n := count(`SELECT COUNT(*) FROM feed_served WHERE viewer_key = $1`, visitor) +
			count(`SELECT COUNT(*) FROM feed_sessions WHERE viewer_key = $1`, visitor); n != 0 {
			t.Fatalf("%d rows of the visitor left after the merge", n)
		}
		first := ids(e.page(user, "", 12).Items)
		for _, id := range first {
			if slices.Contains(seen, id) {
				t.Fatalf("the account's first page %v offers %s, which the visitor was served", first, id)
			}
		}
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return e.feed.ForgetViewer(ctx, tx, user) }); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT COUNT(*) FROM feed_served WHERE viewer_key = $1`, user) +
			count(`SELECT COUNT(*) FROM feed_sessions WHERE viewer_key = $1`, user); n != 0 {
			t.Fatalf("%d rows of the deleted account left", n)
		}
	})
}

// Any cursor the service did not issue to this viewer, for this feed,
// within its session's life, is a validation error naming cursor.
func TestCursorRefusals(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), engines()[0].open(t))
	smallWorld(e, 3, 4)
	viewer, other := e.user("viewer"), e.user("other")
	good := e.page(viewer, "", 3).NextCursor
	if good == "" {
		t.Fatal("no next cursor")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	flipped := append([]byte{}, raw...)
	flipped[len(flipped)/2] ^= 1
	someone := e.user("someone")
	e.follow(viewer, someone)
	e.video(someone, time.Hour, "pets")
	e.video(someone, 2*time.Hour, "pets")
	cases := map[string]struct{ viewer, cursor, want string }{
		"garbage":        {viewer, "not-a-cursor!", "is not a cursor"},
		"empty payload":  {viewer, base64.RawURLEncoding.EncodeToString([]byte{1, 1, 0, 0, 0, 1}), "is not a cursor"},
		"tampered":       {viewer, base64.RawURLEncoding.EncodeToString(flipped), "is not a cursor"},
		"truncated":      {viewer, good[:len(good)-4], "is not a cursor"},
		"another viewer": {other, good, "is not a cursor"},
		"signed out":     {"", good, "is not a cursor"},
		"unknown key":    {viewer, base64.RawURLEncoding.EncodeToString(append([]byte{1, 1, 0, 0, 0, 9}, raw[6:]...)), "is not a cursor"},
	}
	for name, c := range cases {
		_, err := e.feed.Feed(ctx, feed.Request{ViewerID: c.viewer, Cursor: c.cursor})
		assertFieldError(t, name, err, "cursor", c.want)
	}
	// A cursor of the following feed is not a cursor of the feed.
	p, err := e.feed.Following(ctx, viewer, "", 1)
	if err != nil || p.NextCursor == "" {
		t.Fatalf("following feed: %v, next %q", err, p.NextCursor)
	}
	_, err = e.feed.Feed(ctx, feed.Request{ViewerID: viewer, Cursor: p.NextCursor})
	assertFieldError(t, "following cursor", err, "cursor", "is not a cursor")
	_, err = e.feed.Feed(ctx, feed.Request{ViewerID: viewer, Limit: feed.MaxLimit + 1})
	assertFieldError(t, "limit", err, "limit", "from 1 to 50")

	// The session outlives its cursors by nothing.
	e.clock.add(25 * time.Hour)
	_, err = e.feed.Feed(ctx, feed.Request{ViewerID: viewer, Cursor: good})
	assertFieldError(t, "expired", err, "cursor", "expired")
	// After the sweep, the session is gone; its cursors stay refused.
	if n, err := e.feed.Sweep(ctx); err != nil || n == 0 {
		t.Fatalf("sweep removed %d rows: %v", n, err)
	}
}

func assertFieldError(t *testing.T, name string, err error, field, msg string) {
	t.Helper()
	var re *reelmart.Error
	if !errors.As(err, &re) || re.Code != "validation_failed" || len(re.Fields) != 1 || re.Fields[0].Field != field ||
		!strings.Contains(re.Fields[0].Message, msg) {
		t.Errorf("%s: got %v, want validation_failed on %s (%q)", name, err, field, msg)
	}
}

// The viewer's own videos and those of blocked users never reach their
// feed; search still finds one's own.
func TestFeedLeavesOutOwnAndBlocked(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		viewer, blocked, friend := e.user("viewer"), e.user("blocked"), e.user("friend")
		var all []string
		for i := range 4 {
			all = append(all, e.video(viewer, time.Duration(i)*time.Hour, "cooking"),
				e.video(blocked, time.Duration(i)*time.Hour, "cooking"), e.video(friend, time.Duration(i)*time.Hour, "cooking"))
		}
		e.index(all...)
		e.blocks.block(viewer, blocked)
		_, seen := walk(e, viewer, 10)
		for _, id := range seen {
			v, _ := e.media.Video(ctx, id, "")
			if v.Creator.ID != friend {
				t.Fatalf("the feed showed a video of %s", v.Creator.Handle)
			}
		}
		if len(seen) != 4 {
			t.Fatalf("the feed showed %d of the friend's 4 videos", len(seen))
		}
		res, err := e.feed.SearchVideos(ctx, feed.SearchRequest{ViewerID: viewer, Text: "cooking"})
		if err != nil {
			t.Fatal(err)
		}
		creators := map[string]int{}
		for _, it := range res.Items {
			creators[it.Creator.ID]++
		}
		if creators[viewer] != 4 || creators[friend] != 4 || creators[blocked] != 0 || res.Total != 8 {
			t.Fatalf("search for the viewer found %v (total %d): want their own 4 and the friend's 4, none blocked", creators, res.Total)
		}
	})
}

// Requests racing with one cursor into a batch not ranked yet all get the
// same page: the first stored batch wins.
func TestRacingRequestsShareTheNextBatch(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		smallWorld(e, 8, 6)
		viewer := e.user("viewer")
		first := e.page(viewer, "", 30) // exactly the first batch
		const racers = 4
		pages := make(chan []string, racers)
		errs := make(chan error, racers)
		for range racers {
			go func() {
				p, err := e.feed.Feed(ctx, feed.Request{ViewerID: viewer, Cursor: first.NextCursor, Limit: 10})
				errs <- err
				pages <- ids(p.Items)
			}()
		}
		var want []string
		for range racers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			got := <-pages
			if want == nil {
				want = got
			}
			if len(got) != 10 || !slices.Equal(got, want) {
				t.Fatalf("racing requests got %v and %v", want, got)
			}
			for _, id := range got {
				if slices.Contains(ids(first.Items), id) {
					t.Fatalf("the next batch repeats %s from the first", id)
				}
			}
		}
	})
}
