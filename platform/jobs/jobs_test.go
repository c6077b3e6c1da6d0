package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestCommittedJobRunsOnceWithArgs(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		c := newCounter()
		q := openQueue(t, d, testOptions(), Kind{Name: "test.echo", Handler: func(_ context.Context, j Job) error {
			c.add(j)
			return nil
		}})
		type args struct {
			VideoID string `json:"video_id"`
			N       int    `json:"n"`
		}
		inTx := enqueueCommitted(t, d, q, "test.echo", args{"v1", 42})
		noTx, err := q.Enqueue(t.Context(), nil, "test.echo", args{"v2", 7})
		if err != nil {
			t.Fatalf("enqueue without tx: %v", err)
		}
		startWork(t, q, Workers{Long: 2})
		for id, want := range map[int64]string{inTx: `{"video_id":"v1","n":42}`, noTx: `{"video_id":"v2","n":7}`} {
			s := waitFinished(t, q, id, 20*time.Second)
			if s.State != StateCompleted || s.Attempt != 1 || s.Kind != "test.echo" || s.MaxAttempts != defaultMaxAttempts {
				t.Errorf("job %d: got %+v, want completed on attempt 1 of %d", id, s, defaultMaxAttempts)
			}
			if runs, got := c.get(id); runs != 1 || !sameJSON(got, want) {
				t.Errorf("job %d: ran %d times with %s, want once with %s", id, runs, got, want)
			}
		}
	})
}

func TestRolledBackJobNeverRuns(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		var ghostRuns atomic.Int32
		q := openQueue(t, d, testOptions(),
			Kind{Name: "test.ghost", Handler: func(context.Context, Job) error { ghostRuns.Add(1); return nil }},
			Kind{Name: "test.marker", Handler: func(context.Context, Job) error { return nil }},
		)
		errRollback := errors.New("roll back")
		err := d.Tx(t.Context(), func(tx *sql.Tx) error {
			if _, err := q.Enqueue(t.Context(), tx, "test.ghost", map[string]int{"n": 1}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("tx: got %v, want the rollback error", err)
		}
		// Workers take jobs in id order, so the ghost would have run before the marker finishes.
		marker := enqueueCommitted(t, d, q, "test.marker", nil)
		startWork(t, q, Workers{Long: 2})
		waitFinished(t, q, marker, 20*time.Second)
		time.Sleep(200 * time.Millisecond)
		if n := ghostRuns.Load(); n != 0 {
			t.Fatalf("a job enqueued in a rolled-back transaction ran %d times", n)
		}
	})
}

func TestUnknownKind(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		q := openQueue(t, d, testOptions(), Kind{Name: "test.known", Handler: func(context.Context, Job) error { return nil }})
		if _, err := q.Enqueue(t.Context(), nil, "test.unknown", nil); !errors.Is(err, ErrUnknownKind) {
			t.Fatalf("enqueue of an unknown kind: got %v, want ErrUnknownKind", err)
		}
		if _, err := q.State(t.Context(), 12345); !errors.Is(err, ErrNotFound) {
			t.Fatalf("state of a missing job: got %v, want ErrNotFound", err)
		}
	})
}

func TestOpenRejectsBadKinds(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ok := func(context.Context, Job) error { return nil }
	for name, kinds := range map[string][]Kind{
		"no name":    {{Handler: ok}},
		"no handler": {{Name: "test.a"}},
		"duplicate":  {{Name: "test.a", Handler: ok}, {Name: "test.a", Handler: ok}},
		"bad name":   {{Name: "media transcode", Handler: ok}},
		"bad queue":  {{Name: "test.a", Handler: ok, Queue: "default"}},
		"fast tick":  {{Name: "test.a", Handler: ok, Every: time.Millisecond}},
		"attempts":   {{Name: "test.a", Handler: ok, MaxAttempts: Forever + 1}},
	} {
		if _, err := Open(t.Context(), d, nil, kinds...); err == nil {
			t.Errorf("%s: Open succeeded, want an error", name)
		}
	}
}

func TestErrorIsRetriedUntilSuccess(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		c := newCounter()
		var attempts []int
		var mu sync.Mutex
		q := openQueue(t, d, testOptions(), Kind{Name: "test.flaky", Handler: func(_ context.Context, j Job) error {
			c.add(j)
			mu.Lock()
			attempts = append(attempts, j.Attempt)
			mu.Unlock()
			if j.Attempt < 3 {
				return fmt.Errorf("flaky failure %d", j.Attempt)
			}
			return nil
		}})
		id := enqueueCommitted(t, d, q, "test.flaky", nil)
		startWork(t, q, Workers{Long: 2})
		s := waitFinished(t, q, id, 20*time.Second)
		if s.State != StateCompleted || s.Attempt != 3 {
			t.Fatalf("got %+v, want completed on attempt 3", s)
		}
		if len(s.Errors) != 2 || s.Errors[0].Message != "flaky failure 1" || s.Errors[1].Message != "flaky failure 2" ||
			s.Errors[0].Attempt != 1 || s.Errors[1].Attempt != 2 {
			t.Fatalf("errors: got %+v, want the failures of attempts 1 and 2", s.Errors)
		}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(attempts) != "[1 2 3]" {
			t.Fatalf("handler saw attempts %v, want [1 2 3]", attempts)
		}
	})
}

func TestFailingJobStopsAfterMaxAttempts(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		c := newCounter()
		q := openQueue(t, d, testOptions(), Kind{Name: "test.broken", MaxAttempts: 3, Handler: func(_ context.Context, j Job) error {
			c.add(j)
			if j.MaxAttempts != 3 {
				return Permanent(fmt.Errorf("MaxAttempts %d, want 3", j.MaxAttempts))
			}
			return fmt.Errorf("broken on attempt %d", j.Attempt)
		}})
		id := enqueueCommitted(t, d, q, "test.broken", nil)
		startWork(t, q, Workers{Long: 2})
		s := waitFinished(t, q, id, 20*time.Second)
		if s.State != StateDiscarded || s.Attempt != 3 || s.MaxAttempts != 3 || s.FinalizedAt.IsZero() {
			t.Fatalf("got %+v, want discarded after 3 attempts", s)
		}
		var msgs []string
		for _, e := range s.Errors {
			msgs = append(msgs, e.Message)
		}
		if got := strings.Join(msgs, "; "); got != "broken on attempt 1; broken on attempt 2; broken on attempt 3" {
			t.Fatalf("errors: got %q", got)
		}
		time.Sleep(300 * time.Millisecond) // time for a wrong fourth attempt to show
		if runs, _ := c.get(id); runs != 3 {
			t.Fatalf("handler ran %d times, want 3", runs)
		}
	})
}

func TestPermanentErrorFailsAtOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		c := newCounter()
		q := openQueue(t, d, testOptions(), Kind{Name: "test.bad_input", Handler: func(_ context.Context, j Job) error {
			c.add(j)
			return Permanent(errors.New("not a video"))
		}})
		id := enqueueCommitted(t, d, q, "test.bad_input", nil)
		startWork(t, q, Workers{Long: 2})
		s := waitFinished(t, q, id, 20*time.Second)
		if s.State != StateCancelled || s.Attempt != 1 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "not a video") {
			t.Fatalf("got %+v, want cancelled after one attempt with the error", s)
		}
		time.Sleep(300 * time.Millisecond)
		if runs, _ := c.get(id); runs != 1 {
			t.Fatalf("handler ran %d times, want 1", runs)
		}
	})
}

func TestPermanentIsRecognisedThroughWrapping(t *testing.T) {
	base := errors.New("bad input")
	err := fmt.Errorf("media: probe: %w", Permanent(base))
	if !IsPermanent(err) || !errors.Is(err, base) || err.Error() != "media: probe: bad input" {
		t.Fatalf("IsPermanent/Is/Error on %v: %v %v", err, IsPermanent(err), errors.Is(err, base))
	}
	if IsPermanent(base) || IsPermanent(nil) {
		t.Fatal("IsPermanent true for a plain error")
	}
}

func TestHandlerPastTimeoutSeesContextEnd(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		ctxErr := make(chan error, 1)
		q := openQueue(t, d, testOptions(), Kind{Name: "test.slow", MaxAttempts: 1, Timeout: 300 * time.Millisecond,
			Handler: func(ctx context.Context, _ Job) error {
				select {
				case <-ctx.Done():
					ctxErr <- ctx.Err()
					return ctx.Err()
				case <-time.After(10 * time.Second):
					ctxErr <- nil
					return nil
				}
			}})
		id := enqueueCommitted(t, d, q, "test.slow", nil)
		start := time.Now()
		startWork(t, q, Workers{Long: 1})
		select {
		case err := <-ctxErr:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("handler's context ended with %v, want DeadlineExceeded", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("handler never returned")
		}
		s := waitFinished(t, q, id, 20*time.Second)
		if s.State != StateDiscarded || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "deadline") {
			t.Fatalf("got %+v, want discarded with a deadline error", s)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Fatalf("took %s; the timeout did not cut the attempt short", took)
		}
	})
}

func TestTwoWorkLoopsNeverRunAJobTwice(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		d1, d2 := openDB(t, url), openDB(t, url)
		c := newCounter()
		var byLoop [2]atomic.Int32
		kind := func(loop int) Kind {
			return Kind{Name: "test.count", Handler: func(ctx context.Context, j Job) error {
				c.add(j)
				byLoop[loop].Add(1)
				time.Sleep(5 * time.Millisecond)
				return nil
			}}
		}
		q1 := openQueue(t, d1, testOptions(), kind(0))
		q2 := openQueue(t, d2, testOptions(), kind(1))
		// Half the jobs are enqueued while both loops run, so the
		// application's writes race River's on each engine.
		const n = 50
		ids := make([]int64, 0, n)
		for i := range n / 2 {
			ids = append(ids, enqueueCommitted(t, d1, q1, "test.count", map[string]int{"i": i}))
		}
		startWork(t, q1, Workers{Long: 4})
		startWork(t, q2, Workers{Long: 4})
		for i := n / 2; i < n; i++ {
			d, q := d1, q1
			if i%2 == 1 {
				d, q = d2, q2
			}
			ids = append(ids, enqueueCommitted(t, d, q, "test.count", map[string]int{"i": i}))
		}
		for _, id := range ids {
			waitFinished(t, q1, id, 40*time.Second)
		}
		time.Sleep(300 * time.Millisecond)
		for _, id := range ids {
			if runs, _ := c.get(id); runs != 1 {
				t.Errorf("job %d ran %d times, want 1", id, runs)
			}
		}
		if got := c.total(); got != n {
			t.Errorf("%d executions in all, want %d", got, n)
		}
		t.Logf("loop 1 ran %d jobs, loop 2 ran %d", byLoop[0].Load(), byLoop[1].Load())
	})
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		const n = 4
		dbs := make([]*db.DB, n)
		for i := range dbs {
			dbs[i] = openDB(t, url)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				var q *Queue
				q, errs[i] = OpenWith(t.Context(), dbs[i], nil, testOptions(),
					Kind{Name: "test.noop", Handler: func(context.Context, Job) error { return nil }})
				if q != nil {
					q.Close()
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
			}
		}
	})
}

func TestWorkStopsCleanlyOnCancel(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		started := make(chan string, 2)
		opts := testOptions()
		opts.ShutdownGrace = 700 * time.Millisecond
		q := openQueue(t, d, opts,
			// finishes within the grace period after shutdown begins
			Kind{Name: "test.short", Handler: func(ctx context.Context, j Job) error {
				started <- j.Kind
				time.Sleep(300 * time.Millisecond)
				return nil
			}},
			// ignores shutdown until its context is cancelled
			Kind{Name: "test.stubborn", Handler: func(ctx context.Context, j Job) error {
				started <- j.Kind
				<-ctx.Done()
				return ctx.Err()
			}},
		)
		short := enqueueCommitted(t, d, q, "test.short", nil)
		stubborn := enqueueCommitted(t, d, q, "test.stubborn", nil)
		stop := startWork(t, q, Workers{Long: 2})
		for range 2 {
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				t.Fatal("jobs did not start")
			}
		}
		begin := time.Now()
		if err := stop(); err != nil {
			t.Fatalf("Work: %v", err)
		}
		took := time.Since(begin)
		if took < opts.ShutdownGrace || took > opts.ShutdownGrace+5*time.Second {
			t.Errorf("Work took %s to stop, want a little over the %s grace", took, opts.ShutdownGrace)
		}
		if s, _ := q.State(t.Context(), short); s.State != StateCompleted {
			t.Errorf("short job: got %+v, want completed within the grace period", s)
		}
		s, _ := q.State(t.Context(), stubborn)
		if s.State != StateRetryable && s.State != StateAvailable {
			t.Errorf("stubborn job: got %+v, want it left to retry", s)
		}
	})
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func TestRetryWaitsForBackoff(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		const backoff = 800 * time.Millisecond
		opts := testOptions()
		opts.Backoff = func(int) time.Duration { return backoff }
		var mu sync.Mutex
		var at []time.Time
		q := openQueue(t, d, opts, Kind{Name: "test.again", Handler: func(_ context.Context, j Job) error {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
			if j.Attempt == 1 {
				return errors.New("once more")
			}
			return nil
		}})
		id := enqueueCommitted(t, d, q, "test.again", nil)
		startWork(t, q, Workers{Long: 1})
		if s := waitFinished(t, q, id, 20*time.Second); s.State != StateCompleted || s.Attempt != 2 {
			t.Fatalf("got %+v, want completed on attempt 2", s)
		}
		mu.Lock()
		defer mu.Unlock()
		if gap := at[1].Sub(at[0]); gap < backoff-100*time.Millisecond {
			t.Fatalf("second attempt %s after the first, want at least the %s backoff", gap, backoff)
		}
	})
}

func TestFinishedJobsStayReadable(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		q := openQueue(t, d, testOptions(),
			Kind{Name: "test.ok", Handler: func(context.Context, Job) error { return nil }},
			Kind{Name: "test.fail", MaxAttempts: 1, Handler: func(context.Context, Job) error { return errors.New("no") }},
		)
		ok := enqueueCommitted(t, d, q, "test.ok", nil)
		fail := enqueueCommitted(t, d, q, "test.fail", nil)
		// Each Work elects itself leader and runs River's cleaner as it starts,
		// so the second one sees the finished jobs; they must outlive it.
		stop := startWork(t, q, Workers{Long: 2})
		waitFinished(t, q, ok, 20*time.Second)
		waitFinished(t, q, fail, 20*time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		startWork(t, q, Workers{Long: 2})
		time.Sleep(time.Second)
		for id, want := range map[int64]State{ok: StateCompleted, fail: StateDiscarded} {
			s, err := q.State(t.Context(), id)
			if err != nil || s.State != want {
				t.Errorf("job %d: got %+v, %v; want %s", id, s, err, want)
			}
		}
	})
}
