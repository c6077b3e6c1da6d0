package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reelmart/reelmart/platform/db"
)

// errLeaseLost ends the running jobs of a process that could not renew its
// heartbeat for most of the stale limit: another process is about to take
// them over, and they must not run twice at once.
var errLeaseLost = errors.New("jobs: this process could not renew its heartbeat in time; its running jobs go to another process")

// liveness is one Work call's heartbeat: its row in job_workers, refreshed
// every Options.HeartbeatEvery from a goroutine and a connection of its
// own, so busy handlers never delay it. The row's id is the River client id
// that River writes into the attempted_by of every job the process takes.
type liveness struct {
	q      *Queue
	id     string
	host   string
	queues string
	conn   *sql.Conn // the heartbeat's own connection; nil until needed

	mu     sync.Mutex
	lastOK time.Time // when the last beat that succeeded was sent (monotonic)
	lease  context.Context
	cancel context.CancelCauseFunc
	lost   bool
}

func (q *Queue) newLiveness(w Workers) (*liveness, error) {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("jobs: worker id: %w", err)
	}
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, host)
	if len(clean) > 60 {
		clean = clean[:60]
	}
	lv := &liveness{
		q:      q,
		id:     fmt.Sprintf("%s_%d_%s", clean, os.Getpid(), hex.EncodeToString(b[:])),
		host:   host,
		queues: fmt.Sprintf("%s:%d,%s:%d", QueueLong, w.Long, QueueShort, w.Short),
	}
	lv.lease, lv.cancel = context.WithCancelCause(context.Background())
	return lv, nil
}

// fenceAfter is how long without a successful beat a process keeps its
// jobs. It leaves two beats of the stale limit for handlers to stop before
// another process may take their jobs.
func (l *liveness) fenceAfter() time.Duration {
	return l.q.opts.StaleAfter - 2*l.q.opts.HeartbeatEvery
}

// register writes the process's row before it takes any job; an error here
// (no job_workers table: migrations not applied) stops Work.
func (l *liveness) register(ctx context.Context) error {
	if err := l.beat(ctx); err != nil {
		return fmt.Errorf("jobs: register worker %s in job_workers: %w", l.id, err)
	}
	return nil
}

func (l *liveness) beatLoop(ctx context.Context) {
	t := time.NewTicker(l.q.opts.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := l.beat(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		l.mu.Lock()
		since := time.Since(l.lastOK)
		l.mu.Unlock()
		l.q.log.Warn("jobs: heartbeat failed", "worker", l.id, "since_last", since.Round(time.Millisecond).String(), "err", err)
		if since > l.fenceAfter() {
			l.lose(since)
		}
	}
}

// beat upserts the row with the database's clock, so nodes whose clocks
// disagree still agree on who is stale.
func (l *liveness) beat(ctx context.Context) error {
	sent := time.Now()
	if l.q.opts.skipBeat != nil && l.q.opts.skipBeat() {
		return errors.New("heartbeat skipped by the test")
	}
	ctx, cancel := context.WithTimeout(ctx, l.q.opts.HeartbeatEvery)
	defer cancel()
	err := l.upsert(ctx)
	if err != nil {
		if l.conn != nil {
			_ = l.conn.Close() // a broken connection is replaced on the next beat
			l.conn = nil
		}
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastOK = sent
	if l.lost {
		l.lost = false
		l.lease, l.cancel = context.WithCancelCause(context.Background())
		l.q.log.Info("jobs: heartbeat restored", "worker", l.id)
	}
	return nil
}

func (l *liveness) upsert(ctx context.Context) error {
	if l.conn == nil {
		c, err := l.q.db.Conn(ctx)
		if err != nil {
			return err
		}
		l.conn = c
	}
	now, err := l.q.dbNow(ctx, l.conn)
	if err != nil {
		return err
	}
	_, err = l.conn.ExecContext(ctx, `INSERT INTO job_workers (id, host, pid, queues, started_at, seen_at)
		VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`,
		l.id, l.host, os.Getpid(), l.queues, now)
	return err
}

// lose cancels the contexts of the jobs running under the current lease.
func (l *liveness) lose(since time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return
	}
	l.lost = true
	l.cancel(errLeaseLost)
	l.q.log.Error("jobs: no heartbeat for too long; cancelling this process's running jobs so another process can take them over",
		"worker", l.id, "since_last", since.Round(time.Millisecond).String())
}

// bind returns ctx, also cancelled (with errLeaseLost) if the process loses
// its lease while the job runs; release frees what bind set up.
func (l *liveness) bind(ctx context.Context) (_ context.Context, release func()) {
	l.mu.Lock()
	lease := l.lease
	l.mu.Unlock()
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(lease, func() { cancel(context.Cause(lease)) })
	return ctx, func() { stop(); cancel(nil) }
}

// deregister removes the row after River has stopped, unless a job still
// shows this process running it (its outcome could not be written): then
// the row is left to go stale, and another process takes the job over.
func (l *liveness) deregister(ctx context.Context, client *river.Client[*sql.Tx]) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if l.conn != nil {
		defer l.conn.Close()
	}
	running, err := runningJobs(ctx, client)
	if err != nil {
		l.q.log.Warn("jobs: leaving the heartbeat row to go stale", "worker", l.id, "err", err)
		return
	}
	for _, j := range running {
		if lastAttemptBy(j) == l.id {
			l.q.log.Warn("jobs: leaving the heartbeat row to go stale: a job still shows this process running it", "worker", l.id, "job_id", j.ID)
			return
		}
	}
	if _, err := l.q.db.ExecContext(ctx, `DELETE FROM job_workers WHERE id = $1`, l.id); err != nil {
		l.q.log.Warn("jobs: remove heartbeat row", "worker", l.id, "err", err)
	}
}

// dbNow is the database's clock on PostgreSQL, shared by every node; on
// SQLite every process runs on one machine, with one clock.
func (q *Queue) dbNow(ctx context.Context, qr db.Querier) (time.Time, error) {
	if q.db.Dialect() != db.Postgres {
		return time.Now().UTC(), nil
	}
	var now time.Time
	if err := qr.QueryRowContext(ctx, `SELECT now()`).Scan(&now); err != nil {
		return time.Time{}, err
	}
	return now.UTC(), nil
}

// runningJobs lists every running job, in pages.
func runningJobs(ctx context.Context, client *river.Client[*sql.Tx]) ([]*rivertype.JobRow, error) {
	var all []*rivertype.JobRow
	params := river.NewJobListParams().States(rivertype.JobStateRunning).First(1000)
	for {
		res, err := client.JobList(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("jobs: list running jobs: %w", err)
		}
		all = append(all, res.Jobs...)
		if len(res.Jobs) < 1000 {
			return all, nil
		}
		params = params.After(res.LastCursor)
	}
}

// lastAttemptBy is the client id of the process running j's current attempt.
func lastAttemptBy(j *rivertype.JobRow) string {
	if len(j.AttemptedBy) == 0 {
		return ""
	}
	return j.AttemptedBy[len(j.AttemptedBy)-1]
}
