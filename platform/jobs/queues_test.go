package jobs

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// An index write during a search outage fails many more times than the
// default five attempts, and is still retried until it succeeds.
func TestForeverKindRetriesThroughAnOutage(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		const failures = 12
		var runs atomic.Int32
		q := openQueue(t, d, testOptions(), Kind{Name: "test.index", Queue: QueueShort, MaxAttempts: Forever,
			Backoff: func(int) time.Duration { return 20 * time.Millisecond },
			Handler: func(_ context.Context, j Job) error {
				if runs.Add(1) <= failures {
					return fmt.Errorf("search engine down (attempt %d)", j.Attempt)
				}
				return nil
			}})
		id := enqueueCommitted(t, d, q, "test.index", map[string]string{"video_id": "v1"})
		startWork(t, q, Workers{Short: 1})
		s := waitFinished(t, q, id, 60*time.Second)
		if s.State != StateCompleted || s.Attempt != failures+1 || s.MaxAttempts != Forever || len(s.Errors) != failures {
			t.Fatalf("got state %s, attempt %d of %d, %d errors; want completed on attempt %d after %d failures",
				s.State, s.Attempt, s.MaxAttempts, len(s.Errors), failures+1, failures)
		}
		if s.Queue != QueueShort {
			t.Fatalf("job ran on queue %q, want %q", s.Queue, QueueShort)
		}
	})
}

func TestDefaultBackoffGrowsAndIsCapped(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		from, to time.Duration
	}{
		{1, 900 * time.Millisecond, 1100 * time.Millisecond},
		{2, 14400 * time.Millisecond, 17600 * time.Millisecond},
		{4, 230400 * time.Millisecond, maxBackoff},
		{10, 270 * time.Second, maxBackoff},
		{Forever - 1, 270 * time.Second, maxBackoff},
	} {
		for range 50 {
			if got := defaultBackoff(tc.attempt); got < tc.from || got > tc.to {
				t.Fatalf("backoff after attempt %d: %s, want %s to %s", tc.attempt, got, tc.from, tc.to)
			}
		}
	}
}

// The embedded deployment: one process on SQLite runs both queues, a
// periodic kind, and short jobs while its long slot is taken.
func TestEmbeddedSQLiteRunsBothQueues(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, db.SQLite)
	longStarted, releaseLong := make(chan struct{}, 1), make(chan struct{})
	var shortRuns, ticks atomic.Int32
	q := openQueue(t, d, testOptions(),
		Kind{Name: "media.transcode", Handler: func(ctx context.Context, j Job) error {
			longStarted <- struct{}{}
			<-releaseLong
			return nil
		}},
		Kind{Name: "feed.index", Queue: QueueShort, MaxAttempts: Forever, Handler: func(context.Context, Job) error {
			shortRuns.Add(1)
			return nil
		}},
		Kind{Name: "feed.flush", Queue: QueueShort, Every: time.Second, Handler: func(context.Context, Job) error {
			ticks.Add(1)
			return nil
		}},
	)
	long := enqueueCommitted(t, d, q, "media.transcode", nil)
	startWork(t, q, Workers{Long: 1, Short: 2})
	recv(t, longStarted, "transcode start")
	var ids []int64
	for i := range 5 {
		ids = append(ids, enqueueCommitted(t, d, q, "feed.index", map[string]int{"i": i}))
	}
	for _, id := range ids {
		if s := waitFinished(t, q, id, 20*time.Second); s.State != StateCompleted {
			t.Fatalf("index job %d: %+v", id, s)
		}
	}
	if s, _ := q.State(t.Context(), long); s.State != StateRunning {
		t.Fatalf("transcode %+v, want still running while the short jobs finished", s)
	}
	close(releaseLong)
	waitFinished(t, q, long, 20*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for ticks.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("periodic kind ran %d times in 20 s", ticks.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A job enqueued before kinds had queues sits on River's default queue,
// where no worker looks any more; opening the queue moves it to its kind's.
func TestJobsOnTheOldDefaultQueueAreMoved(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		d := openDB(t, url)
		ran := make(chan int64, 1)
		kind := Kind{Name: "test.legacy", Queue: QueueShort, Handler: func(_ context.Context, j Job) error { ran <- j.ID; return nil }}
		old := openQueue(t, d, testOptions(), kind)
		id := enqueueCommitted(t, d, old, "test.legacy", nil)
		if _, err := old.pool.ExecContext(t.Context(), `UPDATE river_job SET queue = 'default' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		q := openQueue(t, openDB(t, url), testOptions(), kind)
		if s, _ := q.State(t.Context(), id); s.Queue != QueueShort {
			t.Fatalf("after Open the job is on queue %q, want %q", s.Queue, QueueShort)
		}
		startWork(t, q, Workers{Short: 1})
		if got := recv(t, ran, "the moved job"); got != id {
			t.Fatalf("ran job %d, want %d", got, id)
		}
	})
}

func TestWorkRejectsNoWorkers(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	q := openQueue(t, d, testOptions(), Kind{Name: "test.a", Handler: func(context.Context, Job) error { return nil }})
	for _, w := range []Workers{{}, {Long: -1, Short: 2}, {Short: maxWorkers + 1}} {
		if err := q.Work(t.Context(), w); err == nil {
			t.Errorf("Work(%+v) succeeded, want an error", w)
		}
	}
	if _, err := OpenWith(t.Context(), d, nil, Options{HeartbeatEvery: 10 * time.Second, StaleAfter: 20 * time.Second}); err == nil {
		t.Error("OpenWith accepted a stale limit under three heartbeats")
	}
}
