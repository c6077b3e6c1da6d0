package feed_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// The synthetic world the ranking tests run in (docs/FEED.md): creators
// with a niche each, videos with hashtags, ages, views and rates, and
// viewers with known tastes who watch what they like and skip the rest.
const (
	worldCreators = 50
	worldVideos   = 2000
	worldViewers  = 300
)

var niches = []string{"cooking", "fitness", "travel", "gaming", "fashion", "tech", "pets", "music", "beauty", "diy"}

type world struct {
	*env
	rng       *rand.Rand
	creators  []string
	creatorOf map[string]string
	tagsOf    map[string][]string
	videos    []string
}

func buildWorld(t *testing.T, e *env) *world {
	w := &world{env: e, rng: rand.New(rand.NewPCG(42, 42)), creatorOf: map[string]string{}, tagsOf: map[string][]string{}}
	for c := range worldCreators {
		w.creators = append(w.creators, e.user(fmt.Sprintf("creator%02d", c)))
	}
	for i := range worldVideos {
		c := i % worldCreators
		tags := []string{niches[c%len(niches)]}
		if w.rng.Float64() < 0.25 {
			if extra := niches[w.rng.IntN(len(niches))]; extra != tags[0] {
				tags = append(tags, extra)
			}
		}
		// A fifth of the videos arrived in the last day and have few views
		// yet; the rest are up to three weeks old.
		age := time.Duration((1 + w.rng.Float64()*20) * 24 * float64(time.Hour))
		if w.rng.Float64() < 0.2 {
			age = time.Duration(w.rng.Float64() * 24 * float64(time.Hour))
		}
		id := w.add(w.creators[c], age, tags...)
		// A latent quality decides the rates.
		q := 0.2 + 0.5*w.rng.Float64()
		views := int64(300 + w.rng.IntN(20000))
		if age < 24*time.Hour {
			views = int64(w.rng.IntN(150))
		}
		e.sig.setStats(id, feed.Stats{Views: views, Completions: int64(q * float64(views)),
			Likes: int64(q * 0.15 * float64(views)), Shares: int64(q * 0.02 * float64(views))})
	}
	e.index(w.videos...)
	return w
}

func (w *world) add(creator string, age time.Duration, tags ...string) string {
	id := w.video(creator, age, tags...)
	w.creatorOf[id], w.tagsOf[id] = creator, tags
	w.videos = append(w.videos, id)
	return id
}

// session follows a viewer's cursors for pages of limit, watching each item
// (liked when it carries a tag in likes), and returns what was served.
func (w *world) session(viewer string, pages, limit int, likes ...string) [][]feed.Item {
	w.t.Helper()
	var out [][]feed.Item
	cursor := ""
	for range pages {
		p := w.page(viewer, cursor, limit)
		for _, it := range p.Items {
			w.sig.watch(viewer, it, slices.ContainsFunc(it.Hashtags, func(t string) bool { return slices.Contains(likes, t) }))
		}
		out = append(out, p.Items)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	return out
}

// reindexAll is engagement's flush: the counters reach the index.
func (w *world) reindexAll() {
	w.t.Helper()
	if err := w.feed.VideosChanged(ctx, nil, w.videos...); err != nil {
		w.t.Fatal(err)
	}
	w.index(w.videos...)
}

func share(items []feed.Item, tag string) float64 {
	n := 0
	for _, it := range items {
		if slices.Contains(it.Hashtags, tag) {
			n++
		}
	}
	return float64(n) / float64(len(items))
}

func TestRankingInASyntheticWorld(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		w := buildWorld(t, e)
		// An unknown creator's first upload, half a day old: by then
		// hundreds of videos are newer or already proven.
		newbie := w.user("newbie")
		fresh := w.add(newbie, 12*time.Hour, "diy")
		w.index(fresh)

		// Viewers with known tastes watch their first two pages.
		var sessions [][][]feed.Item
		newbieFeeds, explored := 0, 0
		for v := range worldViewers {
			taste := []string{niches[v%len(niches)]}
			if v%3 == 0 {
				taste = append(taste, niches[(v/3)%len(niches)])
			}
			s := w.session(w.user(fmt.Sprintf("viewer%03d", v)), 2, 10, taste...)
			sessions = append(sessions, s)
			for _, page := range s {
				for _, it := range page {
					if it.ID == fresh {
						newbieFeeds++
						if it.Debug.Explore {
							explored++
						}
					}
				}
			}
		}

		t.Run("a new creator's first video reaches some feeds", func(t *testing.T) {
			got := float64(newbieFeeds) / worldViewers
			t.Logf("in the first 20 items of %d of %d feeds (%.1f%%), %d by exploration slots", newbieFeeds, worldViewers, 100*got, explored)
			if got < 0.01 {
				t.Fatalf("a brand-new video from an unknown creator reached %.1f%% of feeds, want at least 1%%", 100*got)
			}
			if explored == 0 {
				t.Fatal("no exploration slot ever showed it: it got there by score alone, which does not test exploration")
			}
		})

		t.Run("a creator never fills a page", func(t *testing.T) {
			worst := 0
			for _, s := range sessions {
				var creators []string
				for _, page := range s {
					perPage := map[string]int{}
					for _, it := range page {
						creators = append(creators, it.Creator.ID)
						perPage[it.Creator.ID]++
						worst = max(worst, perPage[it.Creator.ID])
					}
				}
				if i, ok := repeatWithin(creators, 4); ok {
					t.Fatalf("a creator twice within 4 items at position %d of a session", i)
				}
			}
			t.Logf("at most %d items of one creator in a page of 10", worst)
			if worst > 3 {
				t.Fatalf("one creator had %d items of a page of 10", worst)
			}
		})

		w.reindexAll()

		t.Run("a #cooking watcher gets mostly #cooking within a few pages", func(t *testing.T) {
			pages := w.session(w.user("chef_fan"), 5, 10, "cooking")
			var first, later []feed.Item
			for i, p := range pages {
				if i == 0 {
					first = p
				}
				if i >= 3 { // items 31–50: ranked after three pages of watching
					later = append(later, p...)
				}
			}
			before, after := share(first, "cooking"), share(later, "cooking")
			t.Logf("#cooking share: %.0f%% of the first page (no history), %.0f%% of items 31–50", 100*before, 100*after)
			if len(later) != 20 || after < 0.6 {
				t.Fatalf("after three pages of watching only #cooking, %.0f%% of the next %d items were #cooking, want at least 60%%", 100*after, len(later))
			}
			if after < before+0.3 {
				t.Fatalf("the share moved from %.0f%% to %.0f%%: the feed did not adapt", 100*before, 100*after)
			}
		})

		t.Run("a video whose only product sold out drops", func(t *testing.T) {
			w.work()
			seller := w.creators[0] // a cooking creator
			star := w.add(seller, 2*time.Hour, "cooking")
			w.sig.setStats(star, feed.Stats{Views: 2000, Completions: 1500, Likes: 300, Shares: 60, Purchases: 40})
			p := w.product(seller, star, 2) // re-indexed through the real job queue
			inStock := func(want bool) func() bool {
				return func() bool { h, ok := found(w.env, star); return ok && h.Fields["in_stock"] == want }
			}
			waitFor(t, 5*time.Second, "the new video indexed in stock", inStock(true))
			rank := func(viewer string) int {
				w.sig.mu.Lock()
				w.sig.profiles[viewer] = map[string]float64{"cooking": 10}
				w.sig.mu.Unlock()
				return slices.Index(ids(w.page(viewer, "", feed.MaxLimit).Items), star)
			}
			before := rank(w.user("taster_before"))
			if _, err := w.catalog.SetStock(ctx, seller, p.SKUs[0].ID, 0); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "the sold-out video re-indexed", inStock(false))
			after := rank(w.user("taster_after"))
			t.Logf("rank for a #cooking viewer: %d in stock, %d sold out (-1: not in the first %d)", before, after, feed.MaxLimit)
			if before < 0 || before > 5 {
				t.Fatalf("in stock, the video ranked %d for a #cooking viewer; want it near the top", before)
			}
			if after >= 0 && after < before+10 {
				t.Fatalf("sold out, the video moved from %d to %d; want it at least 10 places lower", before, after)
			}
		})

		t.Run("the following feed has followed creators only, newest first", func(t *testing.T) {
			viewer := w.user("follower")
			picked := map[string]bool{}
			for _, c := range w.creators[5:8] {
				w.follow(viewer, c)
				picked[c] = true
			}
			var got []feed.Item
			cursor := ""
			for {
				p, err := w.feed.Following(ctx, viewer, cursor, feed.MaxLimit)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Items...)
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if want := 3 * worldVideos / worldCreators; len(got) != want {
				t.Fatalf("following feed has %d videos, want the %d of the 3 followed creators", len(got), want)
			}
			for i, it := range got {
				if !picked[it.Creator.ID] {
					t.Fatalf("item %d is by a creator not followed", i)
				}
				if i > 0 && it.CreatedAt.After(got[i-1].CreatedAt) {
					t.Fatalf("item %d is newer than item %d", i, i-1)
				}
			}
		})
	})
}

// The same world ranks the same way on PostgreSQL (sessions, served
// history and the degraded sources are SQL).
func TestSessionOnPostgres(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres), engines()[0].open(t))
	_, all := smallWorld(e, 6, 5)
	_, seen := walk(e, e.user("viewer"), 8)
	if len(seen) != len(all) || len(duplicates(seen)) > 0 {
		t.Fatalf("on PostgreSQL a session showed %d videos (%d repeated), want %d once each", len(seen), len(duplicates(seen)), len(all))
	}
}
