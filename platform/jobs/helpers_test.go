package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// testOptions make retries, polling and rescue fast enough for tests.
func testOptions() Options {
	return Options{
		Backoff:       func(int) time.Duration { return 100 * time.Millisecond },
		RescueMargin:  time.Second,
		ShutdownGrace: 2 * time.Second,
		PollInterval:  50 * time.Millisecond,
		testOnly:      true,
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("JOBS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func openQueue(t testing.TB, d *db.DB, opts Options, kinds ...Kind) *Queue {
	t.Helper()
	q, err := OpenWith(t.Context(), d, testLogger(t), opts, kinds...)
	if err != nil {
		t.Fatalf("open queue: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// startWork runs q.Work in the background and stops it when t ends. The
// returned function stops it early and returns Work's error.
func startWork(t testing.TB, q *Queue, workers Workers) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Work(ctx, workers) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("Work did not return 30 s after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Work: %v", err)
		}
	})
	return stop
}

// waitFinished polls the state of id until the job is finished or within
// fails the test.
func waitFinished(t testing.TB, q *Queue, id int64, within time.Duration) JobState {
	t.Helper()
	return waitFor(t, q, id, within, JobState.Finished)
}

func waitFor(t testing.TB, q *Queue, id int64, within time.Duration, ok func(JobState) bool) JobState {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		s, err := q.State(t.Context(), id)
		if err != nil {
			t.Fatalf("state of %d: %v", id, err)
		}
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d still %s after %s: %+v", id, s.State, within, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func enqueueCommitted(t testing.TB, d *db.DB, q *Queue, kind string, args any) int64 {
	t.Helper()
	var id int64
	err := d.Tx(t.Context(), func(tx *sql.Tx) error {
		var err error
		id, err = q.Enqueue(t.Context(), tx, kind, args)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue %s: %v", kind, err)
	}
	return id
}

// dbURL returns the URL of a new, empty database of dialect, so a test can
// open it more than once (as separate processes would).
func dbURL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	if dialect == db.Postgres {
		return dbtest.PostgresURL(t)
	}
	return "sqlite://" + filepath.Join(t.TempDir(), "jobs.db")
}

// openDB opens url and applies the migrations (job_workers is one), as
// every process does before it runs jobs.
func openDB(t testing.TB, url string) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), url, "")
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate %s: %v", url, err)
	}
	return d
}

// eachEngine runs fn once per engine, in parallel with each other and with other tests.
func eachEngine(t *testing.T, fn func(t *testing.T, dialect db.Dialect)) {
	t.Parallel()
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			fn(t, dialect)
		})
	}
}

// counter counts handler runs per job id.
type counter struct {
	mu   sync.Mutex
	runs map[int64]int
	args map[int64]string
}

func newCounter() *counter { return &counter{runs: map[int64]int{}, args: map[int64]string{}} }

func (c *counter) add(j Job) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs[j.ID]++
	c.args[j.ID] = string(j.Args)
	return c.runs[j.ID]
}

func (c *counter) get(id int64) (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[id], c.args[id]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.runs {
		n += r
	}
	return n
}
