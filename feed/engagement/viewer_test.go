package engagement_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// A cookie signed on one node verifies on another (the key is in the
// database), and any change to it is refused.
func TestViewerCookiesVerifyAcrossNodesAndRefuseTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := newEnv(t, d, engagement.Config{})
		b := newEnv(t, d, engagement.Config{})
		id := engagement.NewViewerID()
		if !engagement.IsSignedOut(id) || engagement.IsSignedOut("0199-user") {
			t.Fatalf("IsSignedOut(%q) wrong", id)
		}
		cookie, err := a.svc.SignViewer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok, err := b.svc.VerifyViewer(ctx, cookie); err != nil || !ok || got != id {
			t.Fatalf("other node: %q %v %v", got, ok, err)
		}
		other := engagement.NewViewerID()
		parts := strings.Split(cookie, ".")
		flip := []byte(parts[2])
		flip[0] ^= 1
		for _, bad := range []string{
			"", "garbage", id, other + "." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + "." + string(flip),
			parts[0] + ".nokey." + parts[2], cookie + ".x", "user-id." + parts[1] + "." + parts[2],
		} {
			if got, ok, err := b.svc.VerifyViewer(ctx, bad); ok || err != nil {
				t.Errorf("VerifyViewer(%q) = %q, %v, %v", bad, got, ok, err)
			}
		}
		var keys int
		if err := d.QueryRow(`SELECT COUNT(*) FROM viewer_keys`).Scan(&keys); err != nil || keys != 1 {
			t.Fatalf("%d keys, %v", keys, err)
		}
	})
}

func TestMergeMovesASignedOutViewerIntoTheAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		chef := e.user("chef")
		both, onlyAnon, pending := e.video(chef, "ready", 10_000, "cooking"), e.video(chef, "ready", 10_000, "baking"), e.video(chef, "ready", 10_000, "grill")
		user := e.user("ana")
		anon := engagement.NewViewerID()
		e.record(user, both, ev("u1", "view", 0, 0))
		e.record(anon, both, ev("a1", "view", 0, 0), ev("a2", "complete", 10_000, 10_000))
		e.record(anon, onlyAnon, ev("a3", "view", 0, 0))
		e.aggregate()
		if st := e.stats(both); st.UniqueViewers != 2 {
			t.Fatalf("before the merge: %+v", st)
		}
		e.record(anon, pending, ev("a4", "view", 0, 0)) // not aggregated yet
		if err := e.svc.MergeViewer(ctx, anon, user); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.MergeViewer(ctx, anon, user); err != nil {
			t.Fatalf("second merge: %v", err)
		}
		e.aggregate()
		if st := e.stats(both); st.UniqueViewers != 1 || st.Views != 2 {
			t.Fatalf("after the merge, the shared video: %+v", st)
		}
		if st := e.stats(pending); st.UniqueViewers != 1 {
			t.Fatalf("pending events: %+v", st)
		}
		ex, err := e.svc.Export(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.WatchHistory) != 3 || len(ex.InterestProfile.Hashtags) != 3 || ex.InterestProfile.Creators[0].Weight != 6 {
			t.Fatalf("merged export: %+v", ex)
		}
		for _, table := range []string{"video_events", "watch_history", "interest_weights", "viewer_sessions", "viewer_event_ids"} {
			var n int
			if err := d.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE viewer_id = $1`, anon).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s keeps %d rows of the signed-out viewer (%v)", table, n, err)
			}
		}
		// The event ids came along: a retry from the old cookie's batch is a duplicate.
		if r := e.record(user, both, ev("a1", "view", 0, 0)); r.Duplicates != 1 {
			t.Fatalf("retry after merge: %+v", r)
		}
	})
}

func TestExportAndEraseUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		chef, leaver, stayer := e.user("chef"), e.user("leaver"), e.user("stayer")
		v := e.video(chef, "ready", 10_000, "cooking")
		e.record(leaver, v, ev("l1", "view", 0, 0))
		if _, err := e.svc.Like(ctx, leaver, v); err != nil {
			t.Fatal(err)
		}
		mine, err := e.svc.PostComment(ctx, leaver, v, engagement.NewComment{Body: "mine"})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(time.Second)
		if _, err := e.svc.PostComment(ctx, stayer, v, engagement.NewComment{Body: "a reply", ParentID: &mine.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PostComment(ctx, stayer, v, engagement.NewComment{Body: "my own"}); err != nil {
			t.Fatal(err)
		}
		e.aggregate()
		ex, err := e.svc.Export(ctx, leaver)
		if err != nil || len(ex.Likes) != 1 || len(ex.Comments) != 1 || len(ex.WatchHistory) != 1 || len(ex.InterestProfile.Hashtags) != 1 {
			t.Fatalf("export = %+v, %v", ex, err)
		}
		before := e.reindexed()[v]
		err = d.Tx(ctx, func(tx *sql.Tx) error { return e.svc.EraseUser(ctx, tx, leaver) })
		if err != nil {
			t.Fatal(err)
		}
		if st := e.stats(v); st.Likes != 0 || st.Comments != 1 || st.Views != 1 {
			t.Fatalf("after erasure: %+v", st)
		}
		if e.reindexed()[v] != before+1 {
			t.Fatal("erasure did not re-index the video")
		}
		ex, err = e.svc.Export(ctx, leaver)
		if err != nil || len(ex.Likes)+len(ex.Comments)+len(ex.WatchHistory)+len(ex.InterestProfile.Hashtags)+len(ex.InterestProfile.Creators) != 0 {
			t.Fatalf("export after erasure = %+v, %v", ex, err)
		}
		var rows int
		if err := d.QueryRow(`SELECT COUNT(*) FROM video_events WHERE viewer_id = $1`, leaver).Scan(&rows); err != nil || rows != 0 {
			t.Fatalf("%d events of the erased user remain (%v)", rows, err)
		}
	})
}

func TestSweepForgetsWhatHasServedItsTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{EventRetention: 48 * time.Hour})
		v := e.video(e.user("chef"), "ready", 10_000, "cooking")
		viewer := engagement.NewViewerID()
		e.record(viewer, v, ev("s1", "view", 0, 0))
		e.aggregate()
		if n, err := e.svc.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("fresh sweep removed %d, %v", n, err)
		}
		e.clock.add(72 * time.Hour)
		if n, err := e.svc.Sweep(ctx); err != nil || n != 5 { // event id, rate windows (viewer, ip), view session, event
			t.Fatalf("sweep removed %d, %v", n, err)
		}
		if e.count("video_events") != 0 || e.count("watch_history") != 1 {
			t.Fatal("sweep removed the history or kept the event")
		}
	})
}
