package feed_test

import (
	"slices"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// The following feed has the followed creators' ready videos only, newest
// first, every one exactly once across pages, on both databases.
func TestFollowingFeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engines()[0].open(t))
		viewer := e.user("viewer")
		var want []string
		var followed []string
		for c := range 3 {
			creator := e.user("followed" + string(rune('a'+c)))
			e.follow(viewer, creator)
			followed = append(followed, creator)
			for v := range 4 {
				want = append(want, e.video(creator, time.Duration(c+3*v)*time.Minute, "pets"))
			}
		}
		e.video(e.user("stranger"), 0, "pets")
		processing := e.video(followed[0], 0, "pets")
		if _, err := d.ExecContext(ctx, `UPDATE videos SET status = 'processing' WHERE id = $1`, processing); err != nil {
			t.Fatal(err)
		}
		var got []string
		var times []time.Time
		cursor := ""
		for range 10 {
			p, err := e.feed.Following(ctx, viewer, cursor, 5)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				got = append(got, it.ID)
				times = append(times, it.CreatedAt)
				if !it.Creator.IsFollowing {
					t.Fatalf("item %s of the following feed says is_following false", it.ID)
				}
			}
			if p.Degraded {
				t.Fatal("the following feed is never degraded")
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if len(got) != len(want) || len(duplicates(got)) > 0 {
			t.Fatalf("following feed gave %d videos (%d repeated), want the %d of followed creators", len(got), len(duplicates(got)), len(want))
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Fatal("the following feed has videos of creators not followed, or misses some")
		}
		if !slices.IsSortedFunc(times, func(a, b time.Time) int { return b.Compare(a) }) {
			t.Fatalf("not newest first: %v", times)
		}
		if p, err := e.feed.Following(ctx, e.user("loner"), "", 5); err != nil || len(p.Items) != 0 || p.NextCursor != "" {
			t.Fatalf("a viewer who follows nobody: %d items, next %q, %v", len(p.Items), p.NextCursor, err)
		}
	})
}

func TestSearchVideosAndUsers(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ana, bo := e.user("ana.lee"), e.user("bo")
		pan := e.video(ana, time.Hour, "cooking", "weeknight")
		trip := e.video(bo, 2*time.Hour, "travel")
		e.product(bo, trip, 4) // "Copper pan" pinned to a travel video
		e.index(pan, trip)
		search := func(q string) []string {
			t.Helper()
			res, err := e.feed.SearchVideos(ctx, feed.SearchRequest{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			return ids(res.Items)
		}
		if got := search("cook"); !slices.Equal(got, []string{pan}) {
			t.Errorf("hashtag search (stemmed): %v", got)
		}
		if got := search("ana"); !slices.Equal(got, []string{pan}) {
			t.Errorf("handle search: %v", got)
		}
		if got := search("copper pans"); !slices.Equal(got, []string{trip}) {
			t.Errorf("product title search: %v", got)
		}
		if got := search(""); !slices.Equal(got, []string{pan, trip}) {
			t.Errorf("blank search is newest first: %v", got)
		}
		// Paging through the results with the signed cursor.
		res, err := e.feed.SearchVideos(ctx, feed.SearchRequest{Limit: 1})
		if err != nil || res.Total != 2 || res.NextCursor == "" {
			t.Fatalf("first page: total %d, next %q, %v", res.Total, res.NextCursor, err)
		}
		res, err = e.feed.SearchVideos(ctx, feed.SearchRequest{Limit: 1, Cursor: res.NextCursor})
		if err != nil || !slices.Equal(ids(res.Items), []string{trip}) || res.NextCursor != "" {
			t.Fatalf("second page: %v, next %q, %v", ids(res.Items), res.NextCursor, err)
		}
		_, err = e.feed.SearchVideos(ctx, feed.SearchRequest{Cursor: "bogus"})
		assertFieldError(t, "search cursor", err, "cursor", "is not a cursor")

		e.user("anabel")
		e.follow(bo, ana)
		users, err := e.feed.SearchUsers(ctx, feed.SearchRequest{ViewerID: bo, Text: "@Ana"})
		if err != nil || users.Total != 2 || users.Items[0].ID != ana || !users.Items[0].IsFollowing || users.Items[0].FollowerCount != 1 {
			t.Fatalf("user search: %+v, %v", users, err)
		}
		e.blocks.block(bo, ana)
		if users, _ := e.feed.SearchUsers(ctx, feed.SearchRequest{ViewerID: bo, Text: "ana"}); users.Total != 1 || users.Items[0].Handle != "anabel" {
			t.Fatalf("user search leaves out blocked users: %+v", users)
		}
		if users, _ := e.feed.SearchUsers(ctx, feed.SearchRequest{Text: "100%_"}); users.Total != 0 {
			t.Fatalf("LIKE wildcards in a query are literal: %+v", users)
		}
	})
}

func TestTrendingHashtags(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c := e.user("maker")
		var all []string
		add := func(age time.Duration, views int64, tags ...string) {
			id := e.video(c, age, tags...)
			e.sig.setStats(id, feed.Stats{Views: views, Likes: views / 10})
			all = append(all, id)
		}
		for range 3 {
			add(time.Hour, 500, "cooking")
		}
		add(2*time.Hour, 100000, "viral")
		add(3*time.Hour, 50, "cooking", "pets")
		add(30*time.Hour, 1e6, "yesterday") // outside the 24 hours
		e.index(all...)
		tr, err := e.feed.TrendingHashtags(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, h := range tr.Items {
			tags = append(tags, h.Tag)
		}
		if !slices.Equal(tags, []string{"cooking", "viral", "pets"}) || tr.Degraded {
			t.Fatalf("trending %v (degraded %v): want cooking (4 videos) above one viral video, then pets", tags, tr.Degraded)
		}
		if tr.Items[0].Videos != 4 || tr.Items[0].Views != 1550 {
			t.Fatalf("cooking: %+v", tr.Items[0])
		}
		_, err = e.feed.TrendingHashtags(ctx, feed.MaxTrending+1)
		assertFieldError(t, "limit", err, "limit", "from 1 to 50")
	})
}
