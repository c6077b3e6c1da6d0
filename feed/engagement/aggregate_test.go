package engagement_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// Two nodes aggregate while viewers keep sending events: every event is
// counted exactly once, and every video reaches the Reindexer.
func TestConcurrentAggregatorsCountEachEventOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{AggregateBatch: 7})
		creator := e.user("maker")
		videos := make([]string, 5)
		for i := range videos {
			videos[i] = e.video(creator, "ready", 30_000, "tag", fmt.Sprint("t", i))
		}
		const viewers = 12
		var wg sync.WaitGroup
		stop := make(chan struct{})
		aggErrs := make(chan error, 100)
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := e.svc.Aggregate(ctx); err != nil {
						aggErrs <- err
						return
					}
				}
			}()
		}
		var senders sync.WaitGroup
		for i := range viewers {
			senders.Add(1)
			go func() {
				defer senders.Done()
				viewer := engagement.NewViewerID()
				for j, v := range videos {
					_, err := e.svc.Record(ctx, viewer, v, fmt.Sprint("10.0.0.", i), []engagement.Event{
						ev(fmt.Sprint("v", j), "view", 0, 0), ev(fmt.Sprint("p", j), "progress", 10_000, 1000),
						ev(fmt.Sprint("c", j), "complete", 30_000, 1000),
					})
					if err != nil {
						aggErrs <- err
						return
					}
				}
			}()
		}
		senders.Wait()
		close(stop)
		wg.Wait()
		close(aggErrs)
		for err := range aggErrs {
			t.Fatal(err)
		}
		e.aggregate()
		var pending int
		if err := d.QueryRow(`SELECT COUNT(*) FROM video_events WHERE aggregated = FALSE`).Scan(&pending); err != nil || pending != 0 {
			t.Fatalf("%d events left unaggregated (%v)", pending, err)
		}
		indexed := e.reindexed()
		for _, v := range videos {
			st := e.stats(v)
			if st.Views != viewers || st.UniqueViewers != viewers || st.Completions != viewers || st.WatchMS != 2000*viewers {
				t.Errorf("video %s: %+v, want %d of each", v, st, viewers)
			}
			if indexed[v] == 0 {
				t.Errorf("video %s never reached the Reindexer", v)
			}
			var day int64
			if err := d.QueryRow(`SELECT views FROM video_daily WHERE video_id = $1`, v).Scan(&day); err != nil || day != viewers {
				t.Errorf("daily views of %s = %d, %v", v, day, err)
			}
		}
	})
}

func TestRetentionFollowsEachViewToItsFurthestSecond(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		creator := e.user("maker")
		v := e.video(creator, "ready", 10_000)
		a, b, c := engagement.NewViewerID(), engagement.NewViewerID(), engagement.NewViewerID()
		e.record(a, v, ev("a1", "view", 0, 0), ev("a2", "progress", 3_400, 3_400))
		e.record(b, v, ev("b1", "view", 0, 0), ev("b2", "complete", 10_000, 10_000))
		e.record(c, v, ev("c1", "view", 0, 0))
		e.aggregate()
		// a keeps watching in the same view, in a later batch: the view moves from second 3 to 7.
		e.clock.add(5 * time.Second)
		e.record(a, v, ev("a3", "progress", 7_900, 4_500))
		e.aggregate()
		// a comes back an hour later and leaves at second 1: a second view.
		e.clock.add(time.Hour)
		e.record(a, v, ev("a4", "view", 0, 0), ev("a5", "progress", 1_200, 1_200))
		e.aggregate()
		an, err := e.svc.VideoAnalytics(ctx, creator, v, "", "")
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1}
		if fmt.Sprint(an.Retention.Viewers) != fmt.Sprint(want) || an.Retention.Views != 4 || an.Totals.Views != 4 {
			t.Fatalf("retention = %+v, want viewers %v", an.Retention, want)
		}
	})
}

func TestInterestProfileLearnsAndDecays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{ProfileHalfLife: 24 * time.Hour})
		chef, gamer := e.user("chef"), e.user("gamer")
		viewer := engagement.NewViewerID()
		for i := range 3 {
			v := e.video(chef, "ready", 10_000, "cooking")
			e.record(viewer, v, ev(fmt.Sprint("c", i), "view", 0, 0), ev(fmt.Sprint("d", i), "complete", 10_000, 10_000))
		}
		g := e.video(gamer, "ready", 10_000, "gaming", "esports")
		e.record(viewer, g, ev("g", "view", 0, 0))
		// Progress alone and watching one's own video teach nothing.
		e.record(gamer, g, ev("own", "view", 0, 0), ev("own2", "complete", 10_000, 1000))
		e.aggregate()
		p, err := e.svc.Profile(ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Hashtags) != 3 || p.Hashtags[0].Tag != "cooking" || p.Hashtags[0].Weight != 9 || p.Hashtags[1].Weight != 0.5 {
			t.Fatalf("hashtags = %+v", p.Hashtags)
		}
		if len(p.Creators) != 2 || p.Creators[0].CreatorID != chef || p.Creators[0].Weight != 9 || p.Creators[1].Weight != 1 {
			t.Fatalf("creators = %+v", p.Creators)
		}
		if own, _ := e.svc.Profile(ctx, gamer); len(own.Hashtags) != 0 {
			t.Fatalf("own video taught the creator %+v", own)
		}
		// One half-life later every weight has halved; a new signal adds at full weight.
		e.clock.add(24 * time.Hour)
		v := e.video(chef, "ready", 10_000, "cooking")
		e.record(viewer, v, ev("late", "view", 0, 0))
		e.aggregate()
		aff, err := e.svc.Interactions(ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(aff[chef]-5.5) > 1e-9 || math.Abs(aff[gamer]-0.5) > 1e-9 {
			t.Fatalf("affinity a half-life later = %v, want chef 5.5, gamer 0.5", aff)
		}
	})
}

func TestSalesSignalsReachTheCounters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		v := e.video(e.user("maker"), "ready", 10_000)
		sales := func(product string, carts, purchases int) {
			_, err := d.Exec(`INSERT INTO video_sales (video_id, product_id, add_to_carts, purchases) VALUES ($1, $2, $3, $4)
				ON CONFLICT (video_id, product_id) DO UPDATE SET add_to_carts = video_sales.add_to_carts + excluded.add_to_carts,
				purchases = video_sales.purchases + excluded.purchases`, v, product, carts, purchases)
			if err != nil {
				t.Fatal(err)
			}
		}
		sales("p1", 3, 2)
		sales("p2", 1, 0)
		e.aggregate()
		if st := e.stats(v); st.AddToCarts != 4 || st.Purchases != 2 {
			t.Fatalf("after sales: %+v", st)
		}
		before := e.reindexed()[v]
		e.aggregate() // nothing changed: no re-index
		if after := e.reindexed()[v]; before != 1 || after != 1 {
			t.Fatalf("re-indexed %d then %d times, want once", before, after)
		}
		e.clock.add(24 * time.Hour)
		sales("p1", 0, -1) // a refund
		e.aggregate()
		if st := e.stats(v); st.Purchases != 1 {
			t.Fatalf("after a refund: %+v", st)
		}
		an, err := e.svc.VideoAnalytics(ctx, e.creatorOf(v), v, "", "")
		if err != nil {
			t.Fatal(err)
		}
		n := len(an.Days)
		if an.Days[n-2].AddToCarts != 4 || an.Days[n-2].Purchases != 2 || an.Days[n-1].Purchases != -1 {
			t.Fatalf("days = %+v", an.Days[n-2:])
		}
	})
}
