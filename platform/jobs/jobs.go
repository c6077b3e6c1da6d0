// Package jobs is the durable job queue, kept in the service's own database
// (SQLite or PostgreSQL) so a job is enqueued in the same transaction as the
// row that needs it, and survives restarts and dead workers.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// Job is one unit of work handed to a Handler.
type Job struct {
	ID          int64
	Kind        string
	Args        []byte // the JSON given to Enqueue
	Attempt     int    // 1 on the first try
	MaxAttempts int
}

// Handler does a job. Returning nil completes it; an error is retried with
// backoff until MaxAttempts; an error wrapped with Permanent is not retried.
type Handler func(ctx context.Context, job Job) error

// Kind declares one type of job.
type Kind struct {
	Name        string
	Handler     Handler
	MaxAttempts int           // default 5
	Timeout     time.Duration // per attempt; default 1 hour
}

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

// ErrNotImplemented marks the stubs below until the implementation lands.
var ErrNotImplemented = errors.New("jobs: not implemented")

// Queue enqueues and runs jobs.
type Queue struct{}

// Open prepares the queue's tables in d and knows kinds. It does not run jobs until Work.
func Open(ctx context.Context, d *db.DB, log *slog.Logger, kinds ...Kind) (*Queue, error) {
	return nil, ErrNotImplemented
}

// Enqueue adds a job of kind with args (marshalled to JSON). With a non-nil
// tx the job is inserted in that transaction and exists only if it commits.
func (q *Queue) Enqueue(ctx context.Context, tx *sql.Tx, kind string, args any) (int64, error) {
	return 0, ErrNotImplemented
}

// Work runs up to workers jobs at once until ctx ends, then waits for running
// jobs to stop. A job whose worker died is picked up again after its lease expires.
func (q *Queue) Work(ctx context.Context, workers int) error {
	return ErrNotImplemented
}
