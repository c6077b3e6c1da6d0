package engagement_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestViewCountsOncePerViewerPerWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		creator := e.user("maker")
		v := e.video(creator, "ready", 20_000, "cooking")
		viewer := engagement.NewViewerID()
		e.record(viewer, v, ev("a1", "view", 0, 0), ev("a2", "progress", 5000, 5000))
		e.clock.add(10 * time.Second)
		e.record(viewer, v, ev("a3", "view", 0, 0), ev("a4", "complete", 20_000, 10_000), ev("a5", "complete", 20_000, 0))
		other := engagement.NewViewerID()
		e.record(other, v, ev("b1", "view", 0, 0))
		e.aggregate()
		st := e.stats(v)
		if st.Views != 2 || st.UniqueViewers != 2 || st.Completions != 1 || st.WatchMS != 15_000 || st.CompletionRate != 0.5 {
			t.Fatalf("stats after one window = %+v", st)
		}
		// A view 30 minutes after the window opened counts again.
		e.clock.add(30 * time.Minute)
		e.record(viewer, v, ev("a6", "view", 0, 0))
		e.aggregate()
		if st := e.stats(v); st.Views != 3 || st.UniqueViewers != 2 {
			t.Fatalf("after the window: %+v", st)
		}
		if n := e.aggregate(); n != 0 {
			t.Fatalf("second aggregation found %d events", n)
		}
	})
}

func TestDuplicateEventIDsAreDroppedForADay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		v := e.video(e.user("maker"), "ready", 20_000)
		viewer := engagement.NewViewerID()
		r := e.record(viewer, v, ev("same", "share", 0, 0), ev("same", "share", 0, 0), ev("other", "progress", 100, 100))
		if r.Accepted != 2 || r.Duplicates != 1 {
			t.Fatalf("first batch: %+v", r)
		}
		// A retried batch is all duplicates and stores nothing more.
		r = e.record(viewer, v, ev("same", "share", 0, 0), ev("other", "progress", 100, 100))
		if r.Accepted != 0 || r.Duplicates != 2 || e.count("video_events") != 2 {
			t.Fatalf("retry: %+v, %d events stored", r, e.count("video_events"))
		}
		// The same id from another viewer is that viewer's own.
		if r := e.record(engagement.NewViewerID(), v, ev("same", "progress", 0, 0)); r.Accepted != 1 {
			t.Fatalf("other viewer: %+v", r)
		}
		e.clock.add(24*time.Hour + time.Second)
		if r := e.record(viewer, v, ev("same", "progress", 0, 0)); r.Accepted != 1 {
			t.Fatalf("a day later: %+v", r)
		}
	})
}

func TestForgedEventsAreRefusedAndStoreNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		creator := e.user("maker")
		v := e.video(creator, "ready", 10_000)
		viewer := engagement.NewViewerID()
		cases := []struct {
			name  string
			event engagement.Event
			field string
		}{
			{"negative position", ev("x1", "view", -1, 0), "events[1].position_ms"},
			{"position past the end", ev("x1", "progress", 11_001, 0), "events[1].position_ms"},
			{"negative watch", ev("x1", "progress", 0, -5), "events[1].watched_ms"},
			{"absurd watch", ev("x1", "progress", 0, engagement.MaxWatchedMS+1), "events[1].watched_ms"},
			{"unknown type", ev("x1", "like", 0, 0), "events[1].type"},
			{"bad event id", ev("no spaces", "view", 0, 0), "events[1].event_id"},
			{"empty event id", ev("", "view", 0, 0), "events[1].event_id"},
			{"click without product", ev("x1", "product_click", 0, 0), "events[1].product_id"},
			{"click on a product not pinned", engagement.Event{EventID: "x1", Type: "product_click", ProductID: "nope"}, "events[1].product_id"},
			{"product on a view", engagement.Event{EventID: "x1", Type: "view", ProductID: "nope"}, "events[1].product_id"},
		}
		for _, tc := range cases {
			_, err := e.svc.Record(ctx, viewer, v, "192.0.2.1", []engagement.Event{ev("ok", "view", 0, 0), tc.event})
			fe := reelmart.AsError(err)
			if fe == nil || fe.Code != "validation_failed" || len(fe.Fields) != 1 || fe.Fields[0].Field != tc.field {
				t.Errorf("%s: err = %v, want validation_failed on %s", tc.name, err, tc.field)
			}
		}
		many := make([]engagement.Event, 51)
		for i := range many {
			many[i] = ev(fmt.Sprint("m", i), "progress", 0, 0)
		}
		for _, batch := range [][]engagement.Event{nil, many} {
			if _, err := e.svc.Record(ctx, viewer, v, "192.0.2.1", batch); code(err) != "validation_failed" {
				t.Errorf("batch of %d: %v", len(batch), err)
			}
		}
		processing := e.video(creator, "processing", 0)
		for _, id := range []string{"missing", processing} {
			if _, err := e.svc.Record(ctx, viewer, id, "192.0.2.1", []engagement.Event{ev("ok", "view", 0, 0)}); code(err) != "validation_failed" {
				t.Errorf("video %s: %v", id, err)
			}
		}
		if n := e.count("video_events") + e.count("viewer_event_ids"); n != 0 {
			t.Fatalf("refused batches stored %d rows", n)
		}
	})
}

func TestWatchTimeIsCappedByWallClock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		v := e.video(e.user("maker"), "ready", 60_000)
		viewer := engagement.NewViewerID()
		// The first batch may claim at most the grace (30 s), however it splits it.
		e.record(viewer, v, ev("w1", "progress", 1000, 20_000), ev("w2", "progress", 2000, 20_000))
		// Ten seconds later: ten seconds plus the grace.
		e.clock.add(10 * time.Second)
		e.record(viewer, v, ev("w3", "progress", 3000, engagement.MaxWatchedMS))
		// A flood of batches at the same instant earns the grace each time, no more.
		for i := range 5 {
			e.record(viewer, v, ev(fmt.Sprint("f", i), "progress", 3000, engagement.MaxWatchedMS))
		}
		e.aggregate()
		want := int64(30_000 + 40_000 + 5*30_000)
		if st := e.stats(v); st.WatchMS != want {
			t.Fatalf("watch_ms = %d, want %d", st.WatchMS, want)
		}
	})
}

func TestEventRateIsCappedPerViewer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{ViewerEventsPerMin: 100})
		v := e.video(e.user("maker"), "ready", 60_000)
		viewer := engagement.NewViewerID()
		sent := 0
		var err error
		for i := 0; err == nil && i < 10; i++ {
			batch := make([]engagement.Event, 30)
			for j := range batch {
				batch[j] = ev(fmt.Sprintf("e%d-%d", i, j), "progress", 0, 0)
			}
			if _, err = e.svc.Record(ctx, viewer, v, "192.0.2.1", batch); err == nil {
				sent += len(batch)
			}
		}
		fe := reelmart.AsError(err)
		if fe == nil || fe.Code != "too_many_events" || fe.Kind != reelmart.KindRateLimited || fe.RetryAfter <= 0 || fe.RetryAfter > time.Minute {
			t.Fatalf("over the rate: %#v", err)
		}
		if sent != 90 || e.count("video_events") != 90 {
			t.Fatalf("stored %d events (sent %d), want 90", e.count("video_events"), sent)
		}
		// Another viewer is not held back, and the window ends.
		e.record(engagement.NewViewerID(), v, ev("x", "view", 0, 0))
		e.clock.add(time.Minute)
		e.record(viewer, v, ev("later", "view", 0, 0))
	})
}

func TestProductClicksCountOncePerProductPerView(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		creator := e.user("maker")
		v := e.video(creator, "ready", 60_000)
		p1, p2 := e.pin(creator, v), e.pin(creator, v)
		viewer := engagement.NewViewerID()
		click := func(id, product string) engagement.Event {
			return engagement.Event{EventID: id, Type: "product_click", ProductID: product}
		}
		e.record(viewer, v, click("c1", p1), click("c2", p1), click("c3", p2), ev("s1", "share", 0, 0), ev("s2", "share", 0, 0))
		e.aggregate()
		if st := e.stats(v); st.ProductClicks != 2 || st.Shares != 1 {
			t.Fatalf("stats = %+v, want 2 clicks and 1 share", st)
		}
	})
}
