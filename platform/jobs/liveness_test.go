package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// A process running a transcode-like job (45-minute budget) is killed with
// SIGKILL. It held River's leadership, so the job's rescue cannot wait for
// River's leader either. Another worker process takes the job over and
// completes it within a minute of the kill, using production liveness
// settings (5 s heartbeats, 30 s stale limit). River's age-based rescue
// alone would leave the job running for the 45-minute budget plus margin.
func TestKilledWorkersJobIsTakenOverWithinAMinute(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		d := openDB(t, url)
		q := parentQueue(t, d)
		doomed := startChild(t, childConfig{URL: url, Long: 1, Short: 1, Hang: true})
		waitWorkers(t, d, 1)
		id, _ := enqueueNamed(t, d, q, "test.long")
		if got, want := doomed.await("STARTED", 30*time.Second), fmt.Sprintf("STARTED %d 1 test.long", id); got != want {
			t.Fatalf("doomed worker said %q, want %q", got, want)
		}
		survivor := startChild(t, childConfig{URL: url, Long: 1, Short: 1})
		waitWorkers(t, d, 2)
		if pid := leaderPid(t, d); pid != doomed.cmd.Process.Pid {
			t.Fatalf("leader is pid %d, want the doomed worker %d", pid, doomed.cmd.Process.Pid)
		}

		doomed.kill()
		killed := time.Now()
		if got, want := survivor.await("DONE", 70*time.Second), fmt.Sprintf("DONE %d 2", id); got != want {
			t.Fatalf("survivor said %q, want %q", got, want)
		}
		took := time.Since(killed)
		t.Logf("job taken over and completed %s after the kill", took.Round(time.Millisecond))
		if took > time.Minute {
			t.Fatalf("job completed %s after the kill, want within a minute", took)
		}
		s := waitFinished(t, q, id, 10*time.Second)
		if s.State != StateCompleted || s.Attempt != 2 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "taken over") {
			t.Fatalf("got %+v, want completed on attempt 2 after one takeover", s)
		}
		t.Logf("takeover error: %q", s.Errors[0].Message)
	})
}

// Every long slot of a worker process is busy (one running, one waiting),
// and an index-like short job still starts within two seconds.
func TestShortJobRunsWhileEveryLongSlotIsBusy(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		d := openDB(t, url)
		q := parentQueue(t, d)
		w := startChild(t, childConfig{URL: url, Long: 1, Short: 1, Hang: true})
		waitWorkers(t, d, 1)
		long, _ := enqueueNamed(t, d, q, "test.long")
		w.await(fmt.Sprintf("STARTED %d ", long), 30*time.Second)
		waiting, _ := enqueueNamed(t, d, q, "test.long")

		short, at := enqueueNamed(t, d, q, "test.short")
		w.await(fmt.Sprintf("STARTED %d ", short), 10*time.Second)
		took := time.Since(at)
		t.Logf("short job started %s after it was enqueued", took.Round(time.Millisecond))
		if took > 2*time.Second {
			t.Fatalf("short job started %s after enqueue, want within 2 s", took)
		}
		if s, _ := q.State(t.Context(), waiting); s.State != StateAvailable || s.Queue != QueueLong {
			t.Fatalf("second long job: %+v, want still waiting for the busy long slot", s)
		}
	})
}

// Two worker processes declare a periodic kind: the leader enqueues one job
// per second and exactly one process runs it. When the leader is killed,
// the other takes over the ticks once River's leader lease expires, still
// once per second.
func TestPeriodicKindRunsOncePerTickAcrossProcesses(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		d := openDB(t, url)
		a := startChild(t, childConfig{URL: url, Short: 1})
		b := startChild(t, childConfig{URL: url, Short: 1})
		waitWorkers(t, d, 2)
		ticks := map[string]int{} // job id → runs

		count := func(window time.Duration, from ...*child) int {
			n := 0
			end := time.After(window)
			for {
				for _, c := range from {
					select {
					case l := <-c.lines:
						if f := strings.Fields(l); len(f) == 3 && f[0] == "TICK" {
							ticks[f[1]]++
							n++
						}
					default:
					}
				}
				select {
				case <-end:
					return n
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
		count(2*time.Second, a, b) // let the first leader settle in
		if n := count(6*time.Second, a, b); n < 5 || n > 7 {
			t.Fatalf("%d runs in 6 s across two processes, want one per second", n)
		}

		leader, other := a, b
		if leaderPid(t, d) == b.cmd.Process.Pid {
			leader, other = b, a
		}
		leader.kill()
		other.await("TICK", 40*time.Second) // the new leader's first tick
		if n := count(6*time.Second, other); n < 5 || n > 7 {
			t.Fatalf("%d runs in 6 s after the leader died, want one per second", n)
		}
		for id, runs := range ticks {
			if runs != 1 {
				t.Errorf("tick job %s ran %d times", id, runs)
			}
		}
	})
}

// A live process whose heartbeat lapses (here: the test makes its beats
// fail) has its job taken over. It cancels its own job's context once it
// has gone most of the stale limit without a beat, and when its handler
// finally returns, its late "completed" is dropped: the new attempt keeps
// running and finishes the job.
func TestLateOutcomeOfATakenOverJobIsDropped(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		dA, dB := openDB(t, url), openDB(t, url)
		opts := testOptions()
		opts.HeartbeatEvery, opts.StaleAfter = 250*time.Millisecond, 2*time.Second
		var silent atomic.Bool
		fenced := make(chan int64, 1)
		optsA := opts
		optsA.skipBeat = silent.Load
		optsA.onFenced = func(id int64) { fenced <- id }

		startedA, releaseA, causeA := make(chan int, 1), make(chan struct{}), make(chan error, 1)
		qA := openQueue(t, dA, optsA, Kind{Name: "test.slow", Handler: func(ctx context.Context, j Job) error {
			startedA <- j.Attempt
			<-releaseA // a slow process: it does not listen to its context
			causeA <- context.Cause(ctx)
			return nil
		}})
		startedB, releaseB := make(chan int, 1), make(chan struct{})
		var releaseOnce sync.Once
		freeB := func() { releaseOnce.Do(func() { close(releaseB) }) }
		t.Cleanup(freeB) // a failed check must not leave Work waiting on the handler
		qB := openQueue(t, dB, opts, Kind{Name: "test.slow", Handler: func(ctx context.Context, j Job) error {
			startedB <- j.Attempt
			<-releaseB
			return nil
		}})
		id := enqueueCommitted(t, dA, qA, "test.slow", nil)
		startWork(t, qA, Workers{Long: 1})
		if a := recv(t, startedA, "process A start"); a != 1 {
			t.Fatalf("A ran attempt %d, want 1", a)
		}
		startWork(t, qB, Workers{Long: 1})
		silent.Store(true)
		if b := recv(t, startedB, "process B take over"); b != 2 {
			t.Fatalf("B ran attempt %d, want 2", b)
		}

		close(releaseA)
		if cause := recv(t, causeA, "A's handler return"); !errors.Is(cause, errLeaseLost) {
			t.Fatalf("A's job context ended with %v, want errLeaseLost", cause)
		}
		if got := recv(t, fenced, "A's late outcome"); got != id {
			t.Fatalf("fenced job %d, want %d", got, id)
		}
		if s, _ := qB.State(t.Context(), id); s.State != StateRunning || s.Attempt != 2 {
			t.Fatalf("after A's late completion: %+v, want still running attempt 2", s)
		}
		freeB()
		s := waitFinished(t, qB, id, 20*time.Second)
		if s.State != StateCompleted || s.Attempt != 2 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "taken over") {
			t.Fatalf("got %+v, want completed on attempt 2 after one takeover", s)
		}
	})
}

func recv[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s within 30 s", what)
		panic("unreachable")
	}
}

// A handler that ignores its context keeps its job in a live process. River
// retries the job once it has run its own kind's Timeout plus RescueMargin,
// even though another kind allows an hour. The new attempt runs in the same
// process (a free slot), and when the wedged handler returns while the new
// attempt still runs, its late outcome is dropped.
func TestWedgedHandlerIsRescuedAfterItsOwnKindsTimeout(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		opts := testOptions()
		fenced := make(chan int64, 1)
		opts.onFenced = func(id int64) { fenced <- id }
		started := make(chan int, 2)
		release := [3]chan struct{}{nil, make(chan struct{}), make(chan struct{})}
		var once [3]sync.Once
		free := func(a int) { once[a].Do(func() { close(release[a]) }) }
		t.Cleanup(func() { free(1); free(2) })
		q := openQueue(t, d, opts,
			Kind{Name: "test.wedged", Timeout: 300 * time.Millisecond, Handler: func(ctx context.Context, j Job) error {
				started <- j.Attempt
				<-release[min(j.Attempt, 2)] // ignores its context, like a hung library call
				return nil
			}},
			Kind{Name: "test.hour", Timeout: time.Hour, Handler: func(context.Context, Job) error { return nil }},
		)
		id := enqueueCommitted(t, d, q, "test.wedged", nil)
		begin := time.Now()
		startWork(t, q, Workers{Long: 2})
		if a := recv(t, started, "first attempt"); a != 1 {
			t.Fatalf("first run was attempt %d", a)
		}
		select { // River's rescuer looks every 30 s
		case a := <-started:
			t.Logf("rescued after %s", time.Since(begin).Round(time.Millisecond))
			if a != 2 {
				t.Fatalf("rescued run was attempt %d, want 2", a)
			}
		case <-time.After(45 * time.Second):
			t.Fatal("the wedged job was not rescued within 45 s")
		}
		free(1)
		if got := recv(t, fenced, "the wedged attempt's late outcome"); got != id {
			t.Fatalf("fenced job %d, want %d", got, id)
		}
		if s, _ := q.State(t.Context(), id); s.State != StateRunning || s.Attempt != 2 {
			t.Fatalf("after the wedged attempt returned: %+v, want attempt 2 still running", s)
		}
		free(2)
		s := waitFinished(t, q, id, 20*time.Second)
		if s.State != StateCompleted || s.Attempt != 2 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "Stuck job rescued") {
			t.Fatalf("got %+v, want completed on attempt 2 after River's rescue", s)
		}
	})
}
