package engagement_test

import (
	"testing"

	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestReadsOfNothingAreZero(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, engagement.Config{})
		creator := e.user("maker")
		v := e.video(creator, "ready", 10_000, "cooking")
		st, err := e.svc.Stats(ctx, []string{v, "missing"})
		if err != nil || len(st) != 2 || st[v] != (engagement.Stats{}) {
			t.Fatalf("Stats = %+v, %v", st, err)
		}
		liked, err := e.svc.Liked(ctx, creator, []string{v})
		if err != nil || len(liked) != 1 || liked[v] {
			t.Fatalf("Liked = %v, %v", liked, err)
		}
		p, err := e.svc.Profile(ctx, creator)
		if err != nil || len(p.Hashtags) != 0 || len(p.Creators) != 0 || p.HalfLifeHours != 168 {
			t.Fatalf("Profile = %+v, %v", p, err)
		}
	})
}
