package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/reelmart/reelmart/platform/db"
)

// riverPool returns the pool River runs on: d itself on PostgreSQL, and on
// SQLite a second pool over the same file, with one connection as
// riversqlite recommends and with the text time format River's SQL needs.
//
// The application's SQLite connections write time.Time as integer
// microseconds (_time_integer_format=unix_micro, see docs/DECISIONS.md).
// River's SQLite driver passes some times (a retry's scheduled_at, a
// finished job's finalized_at) as time.Time and compares them as text, so on
// those connections retries would not wait and the cleaner would delete
// finished jobs at once. Its inserts format every time as text themselves,
// which is why Enqueue can still join the caller's transaction on d.
func riverPool(ctx context.Context, d *db.DB) (pool *sql.DB, owned bool, err error) {
	if d.Dialect() == db.Postgres {
		return d.DB, false, nil
	}
	path := d.SQLitePath()
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate" +
		"&_time_format=sqlite&_timezone=UTC"
	pool, err = sql.Open("sqlite", dsn)
	if err != nil {
		return nil, false, fmt.Errorf("jobs: open sqlite %s for river: %w", path, err)
	}
	pool.SetMaxOpenConns(1)
	pool.SetMaxIdleConns(1)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, false, fmt.Errorf("jobs: open sqlite %s for river: %w", path, err)
	}
	return pool, true, nil
}

// newDriver returns the River driver for d's engine over pool. Both take a
// *sql.Tx, so Enqueue joins the caller's transaction on either.
func newDriver(d *db.DB, pool *sql.DB) riverdriver.Driver[*sql.Tx] {
	if d.Dialect() == db.Postgres {
		return riverdatabasesql.New(pool)
	}
	return riversqlite.New(pool)
}

// rawArgs carries a job's JSON through River, whose args are otherwise typed:
// every kind shares this Go type and is told apart by the kind field, which
// River stores in its own column.
type rawArgs struct {
	kind string
	json json.RawMessage
}

func (a rawArgs) Kind() string                 { return a.kind }
func (a rawArgs) MarshalJSON() ([]byte, error) { return a.json, nil }
func (a *rawArgs) UnmarshalJSON(b []byte) error {
	a.json = append(json.RawMessage(nil), b...)
	return nil
}

// kindWorker runs one Kind's Handler as a River worker.
type kindWorker struct {
	river.WorkerDefaults[rawArgs]
	kind    Kind
	backoff func(attempt int) time.Duration
	margin  time.Duration
	lv      *liveness // nil in the client Open builds only to check kinds
}

// addWorker registers w under its kind's name. River's AddWorker derives the
// kind from the zero value of the args type, which is the same for every
// kind here, so the args value that names it is passed explicitly.
func addWorker(ws *river.Workers, w *kindWorker) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	river.AddWorkerArgs(ws, rawArgs{kind: w.kind.Name}, w)
	return nil
}

// Timeout is River's hard deadline for an attempt, and the age past which
// its rescuer retries the job elsewhere. Work cancels the handler at the
// kind's own Timeout; the margin is for a handler that does not listen.
func (w *kindWorker) Timeout(*river.Job[rawArgs]) time.Duration { return w.kind.Timeout + w.margin }

// NextRetry applies the kind's backoff; River's rescuer uses it too.
func (w *kindWorker) NextRetry(j *river.Job[rawArgs]) time.Time {
	// UTC: River's SQLite driver compares times as text.
	return time.Now().UTC().Add(w.backoff(max(j.Attempt, 1)))
}

func (w *kindWorker) Work(ctx context.Context, j *river.Job[rawArgs]) error {
	// The stamp travels with this attempt's outcome, so the fence can tell
	// it from a newer attempt's (fence.go).
	stamp := attemptMark{Attempt: j.Attempt}
	if j.AttemptedAt != nil {
		stamp.At = *j.AttemptedAt
	}
	if err := river.MetadataSet(ctx, attemptKey, stamp); err != nil {
		return fmt.Errorf("jobs: stamp attempt: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.kind.Timeout)
	defer cancel()
	if w.lv != nil {
		var release func()
		ctx, release = w.lv.bind(ctx)
		defer release()
	}
	err := w.kind.Handler(ctx, Job{
		ID:          j.ID,
		Kind:        j.Kind,
		Args:        j.Args.json,
		Attempt:     j.Attempt,
		MaxAttempts: j.MaxAttempts,
	})
	if err != nil && IsPermanent(err) {
		return river.JobCancel(err)
	}
	if err != nil && w.lv != nil && errors.Is(context.Cause(ctx), errLeaseLost) {
		err = fmt.Errorf("%w: %w", errLeaseLost, err)
	}
	return err
}

// backoff returns the retry policy of k: its own, the queue's override, or
// the default.
func (q *Queue) backoff(k Kind) func(int) time.Duration {
	switch {
	case k.Backoff != nil:
		return k.Backoff
	case q.opts.Backoff != nil:
		return q.opts.Backoff
	default:
		return defaultBackoff
	}
}

// defaultBackoff is River's attempt⁴ seconds with ±10% jitter, capped, so a
// Forever job keeps trying every few minutes instead of every few days.
func defaultBackoff(attempt int) time.Duration {
	secs := math.Pow(float64(attempt), 4)
	d := time.Duration(secs * float64(time.Second))
	if secs >= maxBackoff.Seconds() {
		d = maxBackoff
	}
	return min(time.Duration(float64(d)*(0.9+0.2*rand.Float64())), maxBackoff)
}
