package feed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// RebuildKind is the job kind of a rebuild run by the serving process (the
// embedded engine's folder belongs to it), which RequestRebuild enqueues.
// Its handler calls Rebuild (and rebuilds the other indexes); one attempt
// is enough: a failed rebuild is reported, and run again by hand.
const RebuildKind = "feed.rebuild"

// Rebuild states, as feed_rebuilds records them.
const (
	RebuildRunning = "running"
	RebuildDone    = "done"
	RebuildFailed  = "failed"
)

// RebuildStatus is the progress of the latest rebuild of the videos index.
type RebuildStatus struct {
	State      string
	Total      int64
	Done       int64
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
}

// Rebuild builds a new generation of the videos index from the database
// and swaps it in without downtime: searches read the old generation until
// the swap, and writes made meanwhile reach both (the engine's Rebuild
// sees to that; versions make the order of the two writers irrelevant).
// Progress is recorded in feed_rebuilds, and given to progress (when not
// nil), as it goes. It returns how many videos were indexed. A second
// Rebuild in the same process waits for the first to end, then rebuilds
// again.
func (s *Service) Rebuild(ctx context.Context, progress func(done, total int64)) (n int64, err error) {
	s.rebuilding.Lock()
	defer s.rebuilding.Unlock()
	started := s.now()
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM videos WHERE status = 'ready'`).Scan(&total); err != nil {
		return 0, fmt.Errorf("feed: count videos: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO feed_rebuilds (name, state, total, done, error, started_at, finished_at)
		VALUES ($1, $2, $3, 0, '', $4, NULL)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, total = excluded.total, done = 0, error = '',
			started_at = excluded.started_at, finished_at = NULL`, IndexName, RebuildRunning, total, started); err != nil {
		return 0, fmt.Errorf("feed: record rebuild: %w", err)
	}
	defer func() {
		state, msg := RebuildDone, ""
		if err != nil {
			state, msg = RebuildFailed, err.Error()
		}
		if _, ferr := s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE feed_rebuilds SET state = $1, done = $2, error = $3,
			finished_at = $4 WHERE name = $5`, state, n, msg, s.now(), IndexName); ferr != nil && err == nil {
			err = fmt.Errorf("feed: record rebuild: %w", ferr)
		}
	}()

	b, err := s.index.Rebuild(ctx, IndexName, indexSchema)
	if err != nil {
		return 0, fmt.Errorf("feed: start rebuild: %w", err)
	}
	after := ""
	for {
		ids, err := s.videoIDs(ctx, fmt.Sprintf(`SELECT id FROM videos WHERE status = 'ready' AND id > $1 ORDER BY id LIMIT %d`, maxPerJob), after)
		if err != nil {
			return n, errors.Join(err, b.Abort(context.WithoutCancel(ctx)))
		}
		if len(ids) == 0 {
			break
		}
		docs, err := s.documents(ctx, ids)
		if err == nil {
			err = b.Upsert(ctx, docs...)
		}
		if err != nil {
			return n, errors.Join(fmt.Errorf("feed: rebuild: %w", err), b.Abort(context.WithoutCancel(ctx)))
		}
		n += int64(len(ids))
		after = ids[len(ids)-1]
		if _, err := s.db.ExecContext(ctx, `UPDATE feed_rebuilds SET done = $1 WHERE name = $2`, n, IndexName); err != nil {
			return n, errors.Join(fmt.Errorf("feed: record rebuild progress: %w", err), b.Abort(context.WithoutCancel(ctx)))
		}
		if progress != nil {
			progress(n, max(total, n))
		}
	}
	if err := b.Commit(ctx); err != nil {
		return n, fmt.Errorf("feed: swap in the rebuilt index: %w", err)
	}
	s.ensured.mu.Lock()
	s.ensured.done = false
	s.ensured.mu.Unlock()
	return n, nil
}

// RequestRebuild enqueues a rebuild for the process that runs the job
// queue, and marks it running at once so that a caller following it with
// RebuildProgress never reads the previous rebuild's outcome as its own.
// It returns the job's id.
func (s *Service) RequestRebuild(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_rebuilds (name, state, total, done, error, started_at, finished_at)
			VALUES ($1, $2, 0, 0, '', $3, NULL)
			ON CONFLICT (name) DO UPDATE SET state = excluded.state, total = 0, done = 0, error = '',
				started_at = excluded.started_at, finished_at = NULL`, IndexName, RebuildRunning, s.now()); err != nil {
			return fmt.Errorf("feed: record rebuild: %w", err)
		}
		var err error
		if id, err = s.jobs.Enqueue(ctx, tx, RebuildKind, struct{}{}); err != nil {
			return fmt.Errorf("feed: enqueue rebuild: %w", err)
		}
		return nil
	})
	return id, err
}

// RebuildProgress returns the state of the latest rebuild; db.ErrNoRows
// (wrapped) if there has been none.
func (s *Service) RebuildProgress(ctx context.Context) (RebuildStatus, error) {
	var st RebuildStatus
	var finished sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT state, total, done, error, started_at, finished_at FROM feed_rebuilds WHERE name = $1`,
		IndexName).Scan(&st.State, &st.Total, &st.Done, &st.Error, &st.StartedAt, &finished)
	if err != nil {
		if errors.Is(err, db.ErrNoRows) {
			return st, fmt.Errorf("feed: no rebuild recorded: %w", err)
		}
		return st, fmt.Errorf("feed: load rebuild progress: %w", err)
	}
	if finished.Valid {
		st.FinishedAt = finished.Time.UTC()
	}
	st.StartedAt = st.StartedAt.UTC()
	return st, nil
}
