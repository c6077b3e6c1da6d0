package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// State is where a job is in its life.
type State string

// A job is available (waiting for a worker), scheduled (waiting for its
// time), running, retryable (failed, waiting for its next attempt), or
// finished: completed, discarded (every attempt failed) or cancelled (a
// Permanent error).
const (
	StateAvailable State = "available"
	StateScheduled State = "scheduled"
	StateRunning   State = "running"
	StateRetryable State = "retryable"
	StateCompleted State = "completed"
	StateDiscarded State = "discarded"
	StateCancelled State = "cancelled"
	StatePending   State = "pending"
)

// JobState describes a job for diagnostics.
type JobState struct {
	ID          int64
	Kind        string
	Queue       string
	State       State
	Attempt     int // attempts started so far
	MaxAttempts int
	Errors      []AttemptError // one per failed attempt, oldest first
	CreatedAt   time.Time
	FinalizedAt time.Time // zero until completed, discarded or cancelled
}

// AttemptError is the error of one failed attempt.
type AttemptError struct {
	Attempt int
	At      time.Time
	Message string
}

// Finished reports whether the job will not run again.
func (s JobState) Finished() bool {
	return s.State == StateCompleted || s.State == StateDiscarded || s.State == StateCancelled
}

// State returns the state of job id. It returns ErrNotFound (wrapped) if no
// such job exists, which is also the case once a finished job has been
// pruned (River keeps completed and cancelled jobs a day, discarded ones a
// week).
func (q *Queue) State(ctx context.Context, id int64) (JobState, error) {
	row, err := q.river.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return JobState{}, fmt.Errorf("%w: id %d", ErrNotFound, id)
	}
	if err != nil {
		return JobState{}, fmt.Errorf("jobs: state of %d: %w", id, err)
	}
	s := JobState{
		ID:          row.ID,
		Kind:        row.Kind,
		Queue:       row.Queue,
		State:       State(row.State),
		Attempt:     row.Attempt,
		MaxAttempts: row.MaxAttempts,
		CreatedAt:   row.CreatedAt,
	}
	if row.FinalizedAt != nil {
		s.FinalizedAt = *row.FinalizedAt
	}
	for _, e := range row.Errors {
		s.Errors = append(s.Errors, AttemptError{Attempt: e.Attempt, At: e.At, Message: e.Error})
	}
	return s, nil
}
