// Package jobs is the durable job queue, kept in the service's own database
// (SQLite or PostgreSQL) so a job is enqueued in the same transaction as the
// row that needs it, and survives restarts and dead workers.
//
// The queue is River (github.com/riverqueue/river) behind a small untyped
// API: a Kind names a Handler, and a job's args travel as JSON. Domain
// packages never import River. Kinds run on one of two queues, each with
// its own workers, so a short job never waits behind a transcode. Every
// process that runs jobs keeps a heartbeat row, and the running jobs of a
// process that stops beating are taken over by any live one. docs/JOBS.md
// states what the queue guarantees.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reelmart/reelmart/platform/db"
)

// Job is one unit of work handed to a Handler.
type Job struct {
	ID          int64
	Kind        string
	Args        []byte // the JSON given to Enqueue ({} for nil; PostgreSQL may reorder keys and drop spaces)
	Attempt     int    // 1 on the first try
	MaxAttempts int
}

// Handler does a job. Returning nil completes it; an error is retried with
// the kind's backoff until MaxAttempts; an error wrapped with Permanent is
// not retried. The context ends when the attempt's Timeout passes, when the
// worker shuts down past its grace period, or when the process can no longer
// prove to the database that it is alive (its job is about to be taken
// over); a handler must return soon after. Handlers must be idempotent: a
// job can run again after its work was done (see docs/JOBS.md).
type Handler func(ctx context.Context, job Job) error

// The queues. A kind runs on one of them, and each has its own workers in
// every process (Workers), so an index write never waits for a transcode.
const (
	QueueLong  = "long"  // transcodes and other minutes-to-hours work
	QueueShort = "short" // index writes, fan-out, flushes: must start within ~1-2 s
)

// Forever is a MaxAttempts meaning "retry until it succeeds", with the
// backoff capped (five minutes by default). It is the largest attempt count
// River stores (a smallint on PostgreSQL): about 110 days of retries at the
// cap before a job is given up.
const Forever = math.MaxInt16

// Kind declares one type of job.
type Kind struct {
	Name    string
	Handler Handler
	Queue   string // QueueLong (the default) or QueueShort
	// MaxAttempts bounds the attempts of a job (default 5); Forever retries
	// until it succeeds. A job keeps the value it was enqueued with.
	MaxAttempts int
	// Timeout bounds each attempt: the handler's context ends when it
	// passes. Default 1 hour on QueueLong, 1 minute on QueueShort.
	Timeout time.Duration
	// Backoff returns the wait after failed attempt n (1, 2, …). Default:
	// n⁴ seconds with ±10% jitter, capped at 5 minutes (1 s, 16 s, 81 s,
	// 4.3 min, 5 min, 5 min, …).
	Backoff func(attempt int) time.Duration
	// Every makes the kind periodic: the elected leader among the processes
	// running jobs enqueues one job (args {}) every interval, at most one per
	// interval even across a change of leader, so exactly one process runs
	// it per tick. At least one second.
	Every time.Duration
}

const (
	defaultMaxAttempts    = 5
	defaultLongTimeout    = time.Hour
	defaultShortTimeout   = time.Minute
	defaultRescueMargin   = time.Minute
	defaultShutdownGrace  = 30 * time.Second
	defaultPollInterval   = time.Second
	defaultShortPoll      = 200 * time.Millisecond
	defaultHeartbeatEvery = 5 * time.Second
	defaultStaleAfter     = 30 * time.Second
	maxBackoff            = 5 * time.Minute
)

// Permanent marks err as not worth retrying (bad input): the job fails at once.
func Permanent(err error) error { return &permanentError{err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// ErrUnknownKind is returned (wrapped) by Enqueue for a kind not given to Open.
var ErrUnknownKind = errors.New("jobs: unknown kind")

// ErrNotFound is returned (wrapped) by State for an id that names no job.
var ErrNotFound = errors.New("jobs: job not found")

// Options tune a Queue. The zero value is the production default.
type Options struct {
	// Backoff, if set, replaces the default backoff of every kind that has
	// no Backoff of its own.
	Backoff func(attempt int) time.Duration

	// RescueMargin is how long past its Timeout a handler that ignores its
	// context may keep a job in a live process before River's rescuer
	// retries the job elsewhere. Default 1 minute. (Jobs of dead processes
	// are taken over by liveness much sooner; see StaleAfter.)
	RescueMargin time.Duration

	// ShutdownGrace is how long Work lets running jobs finish after its context
	// ends before it cancels their contexts. Default 30 seconds.
	ShutdownGrace time.Duration

	// PollInterval is how often an idle long-queue worker looks for new jobs.
	// Default 1 second.
	PollInterval time.Duration

	// ShortPollInterval is how often an idle short-queue worker looks for
	// new jobs. Default 200 ms.
	ShortPollInterval time.Duration

	// HeartbeatEvery is how often a process running jobs refreshes its row
	// in job_workers. Default 5 seconds.
	HeartbeatEvery time.Duration

	// StaleAfter is how long a process may go without a heartbeat before
	// its running jobs are taken over; it is also how often, at most, every
	// process looks for such jobs. At least three heartbeats. Default 30 s.
	StaleAfter time.Duration

	// testOnly turns off River's start-up jitter of maintenance services.
	testOnly bool
	// skipBeat, when it returns true, makes a heartbeat fail as if the
	// database were unreachable (tests of a live process taken for dead).
	skipBeat func() bool
	// onFenced sees each job whose late state change was dropped.
	onFenced func(id int64)
}

// Queue enqueues and runs jobs.
type Queue struct {
	db      *db.DB
	log     *slog.Logger
	opts    Options
	kinds   map[string]Kind
	pool    *sql.DB                // River's: d's own on PostgreSQL, a second one on SQLite
	ownPool bool                   // Close closes pool
	river   *river.Client[*sql.Tx] // insert-only: Enqueue and State
	rescue  time.Duration          // shortest Timeout+RescueMargin of all kinds
}

// Open prepares the queue's tables in d and knows kinds. It does not run jobs
// until Work. It returns an error for an invalid or repeated kind, or if the
// tables cannot be created.
func Open(ctx context.Context, d *db.DB, log *slog.Logger, kinds ...Kind) (*Queue, error) {
	return OpenWith(ctx, d, log, Options{}, kinds...)
}

// OpenWith is Open with Options.
func OpenWith(ctx context.Context, d *db.DB, log *slog.Logger, opts Options, kinds ...Kind) (*Queue, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	q := &Queue{db: d, log: log, opts: opts, kinds: make(map[string]Kind, len(kinds))}
	for _, k := range kinds {
		if k, err = q.checkKind(k); err != nil {
			return nil, err
		}
		q.kinds[k.Name] = k
		if r := k.Timeout + opts.RescueMargin; q.rescue == 0 || r < q.rescue {
			q.rescue = r
		}
	}
	if q.rescue == 0 {
		q.rescue = defaultLongTimeout + opts.RescueMargin
	}

	if q.pool, q.ownPool, err = riverPool(ctx, d); err != nil {
		return nil, err
	}
	if err := migrate(ctx, d, q.pool, log); err != nil {
		q.Close()
		return nil, err
	}
	client, err := river.NewClient(newDriver(d, q.pool), q.riverConfig())
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("jobs: create river client: %w", err)
	}
	q.river = client
	// River checks kind names only for a working client; fail here, not in Work.
	if len(q.kinds) > 0 {
		if _, err := q.workClient("check", Workers{Long: 1, Short: 1}, nil); err != nil {
			q.Close()
			return nil, err
		}
	}
	if err := q.requeue(ctx); err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

func (o Options) withDefaults() (Options, error) {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.RescueMargin, defaultRescueMargin)
	set(&o.ShutdownGrace, defaultShutdownGrace)
	set(&o.PollInterval, defaultPollInterval)
	set(&o.ShortPollInterval, min(defaultShortPoll, o.PollInterval))
	set(&o.HeartbeatEvery, defaultHeartbeatEvery)
	set(&o.StaleAfter, max(defaultStaleAfter, 3*o.HeartbeatEvery))
	if o.StaleAfter < 3*o.HeartbeatEvery {
		return o, fmt.Errorf("jobs: StaleAfter %s is under three heartbeats of %s", o.StaleAfter, o.HeartbeatEvery)
	}
	return o, nil
}

// checkKind validates k and fills in its defaults.
func (q *Queue) checkKind(k Kind) (Kind, error) {
	if k.Name == "" || k.Handler == nil {
		return k, fmt.Errorf("jobs: kind %q needs a name and a handler", k.Name)
	}
	if _, dup := q.kinds[k.Name]; dup {
		return k, fmt.Errorf("jobs: kind %q declared twice", k.Name)
	}
	switch k.Queue {
	case "":
		k.Queue = QueueLong
	case QueueLong, QueueShort:
	default:
		return k, fmt.Errorf("jobs: kind %q: queue %q is neither %q nor %q", k.Name, k.Queue, QueueLong, QueueShort)
	}
	if k.MaxAttempts <= 0 {
		k.MaxAttempts = defaultMaxAttempts
	}
	if k.MaxAttempts > Forever {
		return k, fmt.Errorf("jobs: kind %q: MaxAttempts %d is over Forever (%d)", k.Name, k.MaxAttempts, Forever)
	}
	if k.Timeout <= 0 {
		k.Timeout = defaultLongTimeout
		if k.Queue == QueueShort {
			k.Timeout = defaultShortTimeout
		}
	}
	if k.Every != 0 && k.Every < time.Second {
		return k, fmt.Errorf("jobs: kind %q: Every %s is under one second", k.Name, k.Every)
	}
	return k, nil
}

// Close releases the connections the queue opened itself (on SQLite, River
// has a pool of its own). Call it after every Work has returned.
func (q *Queue) Close() error {
	if !q.ownPool {
		return nil
	}
	return q.pool.Close()
}

// Enqueue adds a job of kind with args (marshalled to JSON) to the kind's
// queue. With a non-nil tx the job is inserted in that transaction and
// exists only if it commits. It returns the job's id, or an error for an
// unknown kind, args that do not marshal, or a failed insert.
func (q *Queue) Enqueue(ctx context.Context, tx *sql.Tx, kind string, args any) (int64, error) {
	k, ok := q.kinds[kind]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return 0, fmt.Errorf("jobs: marshal args of %s: %w", kind, err)
	}
	if string(raw) == "null" {
		raw = []byte("{}") // River's args column is NOT NULL
	}
	ra := rawArgs{kind: kind, json: raw}
	opts := &river.InsertOpts{Queue: k.Queue, MaxAttempts: k.MaxAttempts}
	var res *rivertype.JobInsertResult
	if tx != nil {
		res, err = q.river.InsertTx(ctx, tx, ra, opts)
	} else {
		res, err = q.river.Insert(ctx, ra, opts)
	}
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	return res.Job.ID, nil
}

// requeue moves waiting jobs of known kinds that sit on River's default
// queue (where every job went before kinds had queues, or where an API node
// of an older release still puts them) onto their kind's queue, which is
// the only one workers take jobs from.
func (q *Queue) requeue(ctx context.Context) error {
	for _, k := range q.kinds {
		res, err := q.pool.ExecContext(ctx, `UPDATE river_job SET queue = $1
			WHERE queue = $2 AND kind = $3 AND state IN ('available', 'retryable', 'scheduled')`,
			k.Queue, river.QueueDefault, k.Name)
		if err != nil {
			return fmt.Errorf("jobs: move %s jobs to queue %s: %w", k.Name, k.Queue, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			q.log.Info("jobs: moved waiting jobs to their kind's queue", "kind", k.Name, "queue", k.Queue, "jobs", n)
		}
	}
	return nil
}
