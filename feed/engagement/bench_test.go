package engagement_test

import (
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// BenchmarkEngagement measures, per engine, in one run: storing a batch of
// 10 events through Record (dedupe, session, rates) against the bare
// multi-row INSERT of the same rows in a transaction (the least a durable
// batch can cost), and how many events a second Aggregate adds to the
// counters. make bench-engagement runs it.
func BenchmarkEngagement(b *testing.B) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.Open(b, dialect)
			svc, err := engagement.NewService(engagement.Deps{DB: d}, engagement.Config{ViewerEventsPerMin: 1 << 30, ClientEventsPerMin: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			e := &env{t: &testing.T{}, db: d, svc: svc, clock: &clock{t: time.Now()}}
			creator := e.user("maker")
			videos := make([]string, 100)
			for i := range videos {
				videos[i] = e.video(creator, "ready", 30_000, "tag", fmt.Sprint("t", i%10))
			}
			batch := func(n int64) []engagement.Event {
				out := make([]engagement.Event, 10)
				for j := range out {
					out[j] = ev(fmt.Sprintf("e%d-%d", n, j), "progress", int64(j)*1000, 1000)
				}
				out[0].Type = "view"
				return out
			}
			var seq atomic.Int64
			b.Run("bare-insert", func(b *testing.B) {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						n := seq.Add(1)
						err := d.Tx(ctx, func(tx *sql.Tx) error {
							q := `INSERT INTO video_events (viewer_id, video_id, type, event_id, position_ms, watched_ms, counted, session_at, created_at) VALUES `
							args := []any{fmt.Sprint("bare", n), videos[n%100], time.Now()}
							for j := range 10 {
								if j > 0 {
									q += ", "
								}
								q += fmt.Sprintf("($1, $2, 'progress', $%d, 0, 1000, TRUE, $3, $3)", len(args)+1)
								args = append(args, fmt.Sprint("b", j))
							}
							_, err := tx.ExecContext(ctx, q, args...)
							return err
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "events/s")
			})
			if _, err := d.Exec(`DELETE FROM video_events`); err != nil {
				b.Fatal(err)
			}
			b.Run("record", func(b *testing.B) {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						n := seq.Add(1)
						viewer := fmt.Sprint("anon_bench", n%5000)
						if _, err := svc.Record(ctx, viewer, videos[n%100], fmt.Sprint("10.0.", n%200), batch(n)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "events/s")
			})
			if _, err := svc.Aggregate(ctx); err != nil { // what record left behind
				b.Fatal(err)
			}
			if dialect == db.Postgres {
				// Fresh planner statistics, as autovacuum would have them by
				// now on tables that did not exist a minute ago.
				if _, err := d.Exec(`ANALYZE`); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("aggregate", func(b *testing.B) {
				total := 0
				for range b.N {
					b.StopTimer()
					for range 200 {
						n := seq.Add(1)
						if _, err := svc.Record(ctx, fmt.Sprint("anon_agg", n%5000), videos[n%100], "10.1.0.1", batch(n)); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					n, err := svc.Aggregate(ctx)
					if err != nil {
						b.Fatal(err)
					}
					total += n
				}
				b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
			})
		})
	}
}
