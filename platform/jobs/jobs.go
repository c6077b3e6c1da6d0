// Package jobs is the durable job queue, kept in the service's own database
// (SQLite or PostgreSQL) so a job is enqueued in the same transaction as the
// row that needs it, and survives restarts and dead workers.
//
// The queue is River (github.com/riverqueue/river) behind a small untyped
// API: a Kind names a Handler, and a job's args travel as JSON. Domain
// packages never import River. docs/JOBS.md states what the queue guarantees.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
// backoff until MaxAttempts; an error wrapped with Permanent is not retried.
// The context ends when the attempt's Timeout passes or the worker shuts down
// past its grace period; a handler must return soon after.
type Handler func(ctx context.Context, job Job) error

// Kind declares one type of job.
type Kind struct {
	Name        string
	Handler     Handler
	MaxAttempts int           // default 5
	Timeout     time.Duration // per attempt; default 1 hour
}

const (
	defaultMaxAttempts   = 5
	defaultTimeout       = time.Hour
	defaultRescueMargin  = 10 * time.Minute
	defaultShutdownGrace = 30 * time.Second
	defaultPollInterval  = time.Second
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
	// Backoff returns the wait before retrying after failed attempt n (1, 2, …).
	// Default: River's policy, n⁴ seconds with ±10% jitter (1 s, 16 s, 81 s, 4 min, …).
	Backoff func(attempt int) time.Duration

	// RescueMargin is added to the longest Timeout of all kinds to get how long
	// a job may stay running before it counts as abandoned by a dead worker and
	// is retried. Default 10 minutes.
	RescueMargin time.Duration

	// ShutdownGrace is how long Work lets running jobs finish after its context
	// ends before it cancels their contexts. Default 30 seconds.
	ShutdownGrace time.Duration

	// PollInterval is how often an idle worker looks for new jobs. Default 1 second.
	PollInterval time.Duration

	// testOnly turns off River's start-up jitter of maintenance services.
	testOnly bool
}

// Queue enqueues and runs jobs.
type Queue struct {
	db       *db.DB
	log      *slog.Logger
	opts     Options
	kinds    map[string]Kind
	pool     *sql.DB                // River's: d's own on PostgreSQL, a second one on SQLite
	ownPool  bool                   // Close closes pool
	river    *river.Client[*sql.Tx] // insert-only: Enqueue and State
	rescueAt time.Duration          // RescueStuckJobsAfter
	longest  time.Duration          // longest Timeout of all kinds
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
	if opts.RescueMargin <= 0 {
		opts.RescueMargin = defaultRescueMargin
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = defaultShutdownGrace
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = defaultPollInterval
	}
	q := &Queue{db: d, log: log, opts: opts, kinds: make(map[string]Kind, len(kinds))}
	for _, k := range kinds {
		if k.Name == "" || k.Handler == nil {
			return nil, fmt.Errorf("jobs: kind %q needs a name and a handler", k.Name)
		}
		if _, dup := q.kinds[k.Name]; dup {
			return nil, fmt.Errorf("jobs: kind %q declared twice", k.Name)
		}
		if k.MaxAttempts <= 0 {
			k.MaxAttempts = defaultMaxAttempts
		}
		if k.Timeout <= 0 {
			k.Timeout = defaultTimeout
		}
		q.kinds[k.Name] = k
		q.longest = max(q.longest, k.Timeout)
	}
	if q.longest == 0 {
		q.longest = defaultTimeout
	}
	q.rescueAt = q.longest + opts.RescueMargin

	var err error
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
	if _, err := q.workClient(1); err != nil && len(q.kinds) > 0 {
		q.Close()
		return nil, err
	}
	return q, nil
}

// Close releases the connections the queue opened itself (on SQLite, River
// has a pool of its own). Call it after every Work has returned.
func (q *Queue) Close() error {
	if !q.ownPool {
		return nil
	}
	return q.pool.Close()
}

// Enqueue adds a job of kind with args (marshalled to JSON). With a non-nil
// tx the job is inserted in that transaction and exists only if it commits.
// It returns the job's id, or an error for an unknown kind, args that do not
// marshal, or a failed insert.
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
	opts := &river.InsertOpts{MaxAttempts: k.MaxAttempts}
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

// Work runs up to workers jobs at once until ctx ends, then waits for running
// jobs to stop. A job whose worker died is picked up again once it has been
// running longer than the longest Timeout plus Options.RescueMargin.
//
// After ctx ends, running jobs get Options.ShutdownGrace to finish; then
// their contexts are cancelled and Work waits for them to return. Work
// returns nil after a clean stop, or an error if the workers cannot start.
func (q *Queue) Work(ctx context.Context, workers int) error {
	if workers <= 0 {
		return fmt.Errorf("jobs: work: %d workers, want at least 1", workers)
	}
	if len(q.kinds) == 0 {
		return errors.New("jobs: work: no kinds to run")
	}
	client, err := q.workClient(workers)
	if err != nil {
		return err
	}
	// River cancels running jobs at once when Start's context ends; the
	// graceful stop below needs that context to outlive ctx.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start workers: %w", err)
	}
	q.log.Info("jobs: workers started", "workers", workers, "db", q.db.String())
	<-ctx.Done()

	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.opts.ShutdownGrace)
	defer cancel()
	if err := client.Stop(graceCtx); err == nil {
		q.log.Info("jobs: workers stopped")
		return nil
	}
	q.log.Warn("jobs: running jobs outlived the shutdown grace; cancelling them", "grace", q.opts.ShutdownGrace)
	// Handlers must return once their context ends; StopAndCancel waits for them.
	if err := client.StopAndCancel(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: stop workers: %w", err)
	}
	q.log.Info("jobs: workers stopped")
	return nil
}

// workClient returns a River client that runs every kind with up to workers
// jobs at once.
func (q *Queue) workClient(workers int) (*river.Client[*sql.Tx], error) {
	cfg := q.riverConfig()
	cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}}
	cfg.Workers = river.NewWorkers()
	for _, k := range q.kinds {
		if err := addWorker(cfg.Workers, k); err != nil {
			return nil, fmt.Errorf("jobs: kind %s: %w", k.Name, err)
		}
	}
	client, err := river.NewClient(newDriver(q.db, q.pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: create river client: %w", err)
	}
	return client, nil
}

// riverConfig is the client configuration shared by the insert-only client
// and the working ones.
func (q *Queue) riverConfig() *river.Config {
	cfg := &river.Config{
		Logger:               q.log,
		FetchPollInterval:    q.opts.PollInterval,
		JobTimeout:           q.longest,
		RescueStuckJobsAfter: q.rescueAt,
		MaxAttempts:          defaultMaxAttempts,
		TestOnly:             q.opts.testOnly,
		// Enqueue checks kinds against q.kinds; the insert-only client has no workers.
		SkipUnknownJobCheck: true,
	}
	if q.opts.Backoff != nil {
		cfg.RetryPolicy = backoffPolicy(q.opts.Backoff)
	}
	if q.opts.PollInterval < river.FetchCooldownDefault {
		cfg.FetchCooldown = q.opts.PollInterval
	}
	return cfg
}
