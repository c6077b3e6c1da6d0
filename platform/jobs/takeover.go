package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// reapAfter is how long the row of a process that stopped beating is kept;
// by then every live process has had hundreds of looks at its jobs.
const reapAfter = time.Hour

// requeueEvery is how often a process moves jobs that an older release put
// on River's default queue onto their kind's queue.
const requeueEvery = time.Minute

// deadWorker is a job_workers row whose heartbeat is stale.
type deadWorker struct {
	id, host string
	pid      int
	seenAt   time.Time
}

// takeoverLoop looks for the jobs of dead processes at once (a process
// that starts after a crash takes over its predecessor's jobs without
// waiting), then about every heartbeat, until ctx ends. Every process
// running jobs does this, leader or not: the takeover of one job is a
// single conditional UPDATE, so two processes that notice the same dead
// worker cannot both take the job.
func (q *Queue) takeoverLoop(ctx context.Context, lv *liveness, client *river.Client[*sql.Tx]) {
	lastRequeue := time.Now()
	for {
		if err := q.takeOver(ctx, lv, client); err != nil && ctx.Err() == nil {
			q.log.Warn("jobs: look for jobs of dead workers", "worker", lv.id, "err", err)
		}
		if time.Since(lastRequeue) > requeueEvery {
			lastRequeue = time.Now()
			if err := q.requeue(ctx); err != nil && ctx.Err() == nil {
				q.log.Warn("jobs: requeue", "err", err)
			}
		}
		// Jitter keeps the processes of a fleet from all looking at once.
		every := q.opts.HeartbeatEvery
		wait := every/2 + rand.N(every)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// takeOver makes the running jobs of every process whose heartbeat is
// older than Options.StaleAfter available again, records the takeover as
// the attempt's error, and removes rows that have been stale for an hour.
func (q *Queue) takeOver(ctx context.Context, lv *liveness, client *river.Client[*sql.Tx]) error {
	ctx, cancel := context.WithTimeout(ctx, q.opts.StaleAfter)
	defer cancel()
	now, err := q.dbNow(ctx, q.db)
	if err != nil {
		return err
	}
	dead, err := q.deadWorkers(ctx, now.Add(-q.opts.StaleAfter), lv.id)
	if err != nil || len(dead) == 0 {
		return err
	}
	running, err := runningJobs(ctx, client)
	if err != nil {
		return err
	}
	exec := newDriver(q.db, q.pool).GetExecutor()
	for _, j := range running {
		w, ok := dead[lastAttemptBy(j)]
		if !ok {
			continue
		}
		if err := q.takeOverJob(ctx, exec, j, w, now); err != nil {
			return err
		}
	}
	if _, err := q.db.ExecContext(ctx, `DELETE FROM job_workers WHERE seen_at < $1`, now.Add(-reapAfter)); err != nil {
		return fmt.Errorf("jobs: remove rows of long-gone workers: %w", err)
	}
	return nil
}

func (q *Queue) deadWorkers(ctx context.Context, horizon time.Time, self string) (map[string]deadWorker, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, host, pid, seen_at FROM job_workers WHERE seen_at < $1 AND id <> $2`, horizon, self)
	if err != nil {
		return nil, fmt.Errorf("jobs: find stale workers: %w", err)
	}
	defer rows.Close()
	dead := map[string]deadWorker{}
	for rows.Next() {
		var w deadWorker
		if err := rows.Scan(&w.id, &w.host, &w.pid, &w.seenAt); err != nil {
			return nil, fmt.Errorf("jobs: find stale workers: %w", err)
		}
		dead[w.id] = w
	}
	return dead, rows.Err()
}

// takeOverJob ends the attempt of j that dead worker w was running, as
// River's rescuer would: the attempt counts, its error says what happened,
// and the job is discarded if it has no attempts left. Otherwise it is
// available at once the first time, so it runs again within a second or
// two; a job that has lost its worker before waits its kind's backoff, so a
// job that kills every process that runs it cannot take a fleet down in a
// tight loop. The update applies only while the job is still running the
// same attempt (attempted_at unchanged), so it is safe to race.
func (q *Queue) takeOverJob(ctx context.Context, exec riverdriver.Executor, j *rivertype.JobRow, w deadWorker, now time.Time) error {
	now = now.UTC()
	msg := fmt.Sprintf("jobs: taken over: the worker running this attempt (%s, pid %d on %s) last sent a heartbeat at %s",
		w.id, w.pid, w.host, w.seenAt.UTC().Format(time.RFC3339))
	errData, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: j.Attempt, Error: msg})
	if err != nil {
		return err
	}
	state, at, finalized := rivertype.JobStateAvailable, now, (*time.Time)(nil)
	switch {
	case j.Attempt >= j.MaxAttempts:
		state, at, finalized = rivertype.JobStateDiscarded, j.ScheduledAt, &now
	case rescueCount(j) > 0:
		wait := defaultBackoff(j.Attempt)
		if k, ok := q.kinds[j.Kind]; ok {
			wait = q.backoff(k)(j.Attempt)
		}
		at = now.Add(wait)
		if wait > 5*time.Second {
			state = rivertype.JobStateRetryable // River's scheduler makes it available when due
		}
	}
	_, err = exec.JobRescueMany(ctx, &riverdriver.JobRescueManyParams{
		ID:           []int64{j.ID},
		Error:        [][]byte{errData},
		FinalizedAt:  []*time.Time{finalized},
		ScheduledAt:  []time.Time{at},
		State:        []string{string(state)},
		StuckHorizon: attemptedAt(j).Add(time.Millisecond),
	})
	if err != nil {
		return fmt.Errorf("jobs: take over job %d: %w", j.ID, err)
	}
	q.log.Warn("jobs: took over a job from a dead worker", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt,
		"state", string(state), "dead_worker", w.id, "last_seen", w.seenAt.UTC().Format(time.RFC3339))
	return nil
}

// rescueCount is how often j has already been taken from its worker, by
// this package or by River's rescuer (both count in the same metadata key).
func rescueCount(j *rivertype.JobRow) int {
	var m struct {
		N int `json:"river:rescue_count"`
	}
	_ = json.Unmarshal(j.Metadata, &m)
	return m.N
}
