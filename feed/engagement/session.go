package engagement

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// session is a viewer's current view of one video: the window in which a
// view, a completion, a share and each product's click count once, and
// when the previous batch came, which bounds the watch time a batch may
// claim.
type session struct {
	at        time.Time // start of the view window
	lastBatch time.Time // zero before the first batch
	viewed    bool
	completed bool
	shared    bool
	clicked   []string
}

// loadSession reads and locks the session row of viewerID and videoID,
// creating an empty one. The no-op update takes the row lock on
// PostgreSQL, so two batches of one viewer for one video take turns.
func loadSession(ctx context.Context, tx *sql.Tx, viewerID, videoID string, now time.Time) (session, error) {
	var s session
	var clicked string
	var lastBatch time.Time
	err := tx.QueryRowContext(ctx, `INSERT INTO viewer_sessions (viewer_id, video_id, session_at, last_batch_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (viewer_id, video_id) DO UPDATE SET last_batch_at = viewer_sessions.last_batch_at
		RETURNING session_at, last_batch_at, viewed, completed, shared, clicked`, viewerID, videoID, now).
		Scan(&s.at, &lastBatch, &s.viewed, &s.completed, &s.shared, &clicked)
	if err != nil {
		return session{}, fmt.Errorf("engagement: load view session: %w", err)
	}
	if err := json.Unmarshal([]byte(clicked), &s.clicked); err != nil {
		return session{}, fmt.Errorf("engagement: view session clicks: %w", err)
	}
	s.at = s.at.UTC()
	// A row just created has last_batch_at = now: no batch came before.
	if !lastBatch.Equal(now) {
		s.lastBatch = lastBatch.UTC()
	}
	return s, nil
}

func saveSession(ctx context.Context, tx *sql.Tx, viewerID, videoID string, s session, now time.Time) error {
	clicked, _ := json.Marshal(s.clicked)
	_, err := tx.ExecContext(ctx, `UPDATE viewer_sessions SET session_at = $3, last_batch_at = $4, viewed = $5, completed = $6,
		shared = $7, clicked = $8 WHERE viewer_id = $1 AND video_id = $2`,
		viewerID, videoID, s.at, now, s.viewed, s.completed, s.shared, string(clicked))
	if err != nil {
		return fmt.Errorf("engagement: save view session: %w", err)
	}
	return nil
}

// apply runs events through the counting rules of sess at time now and
// returns the session after them and the rows to store:
//
//   - a batch outside the window (Config.ViewWindow after its start) opens a new one;
//   - a view counts if the window has not counted one; a completion and a
//     share likewise, and a product click once per product;
//   - the batch's watch time is credited, event by event, up to the
//     wall-clock time since the previous batch (at most Config.MaxBatchSpan)
//     plus Config.WatchGrace.
func (s *Service) apply(sess session, now time.Time, events []Event) (session, []storedEvent) {
	if sess.at.IsZero() || now.Sub(sess.at) >= s.cfg.ViewWindow {
		sess = session{at: now, lastBatch: sess.lastBatch}
	}
	budget := s.cfg.WatchGrace
	if !sess.lastBatch.IsZero() {
		budget += min(max(now.Sub(sess.lastBatch), 0), s.cfg.MaxBatchSpan)
	}
	left := budget.Milliseconds()
	rows := make([]storedEvent, 0, len(events))
	for _, e := range events {
		counted := true
		switch e.Type {
		case TypeView:
			counted, sess.viewed = !sess.viewed, true
		case TypeComplete:
			counted, sess.completed = !sess.completed, true
		case TypeShare:
			counted, sess.shared = !sess.shared, true
		case TypeProductClick:
			counted = !slices.Contains(sess.clicked, e.ProductID)
			if counted {
				sess.clicked = append(sess.clicked, e.ProductID)
			}
		}
		e.WatchedMS = min(e.WatchedMS, left)
		left -= e.WatchedMS
		rows = append(rows, storedEvent{Event: e, counted: counted, sessionAt: sess.at, at: now})
	}
	sess.lastBatch = now
	return sess, rows
}
