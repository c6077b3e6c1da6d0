package engagement

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
)

// MergeViewer moves everything kept about the signed-out viewer
// signedOutID (events, watch history, view sessions, interest profile)
// into the account userID, for a viewer who has just signed in or
// registered, and runs Deps.Mergers in the same transaction. A video both
// had watched counts one unique viewer fewer.
// Merging again, or an id that is not a signed-out one, does nothing.
func (s *Service) MergeViewer(ctx context.Context, signedOutID, userID string) error {
	if !IsSignedOut(signedOutID) || userID == "" || IsSignedOut(userID) {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := lockAggregation(ctx, tx); err != nil {
			return err
		}
		both, one := []any{signedOutID, userID}, []any{signedOutID}
		for _, step := range []struct {
			what, sql string
			args      []any
		}{
			{"events", `UPDATE video_events SET viewer_id = $2 WHERE viewer_id = $1`, both},
			{"event ids", `INSERT INTO viewer_event_ids (viewer_id, event_id, seen_at)
				SELECT $2, event_id, seen_at FROM viewer_event_ids WHERE viewer_id = $1
				ON CONFLICT (viewer_id, event_id) DO NOTHING`, both},
			{"event ids", `DELETE FROM viewer_event_ids WHERE viewer_id = $1`, one},
			{"view sessions", `INSERT INTO viewer_sessions (viewer_id, video_id, session_at, last_batch_at, viewed, completed, shared, clicked)
				SELECT $2, video_id, session_at, last_batch_at, viewed, completed, shared, clicked FROM viewer_sessions WHERE viewer_id = $1
				ON CONFLICT (viewer_id, video_id) DO NOTHING`, both},
			{"view sessions", `DELETE FROM viewer_sessions WHERE viewer_id = $1`, one},
			{"unique viewers", `UPDATE video_stats SET unique_viewers = unique_viewers - 1 WHERE video_id IN (
				SELECT a.video_id FROM watch_history a JOIN watch_history u ON u.video_id = a.video_id AND u.viewer_id = $2
				WHERE a.viewer_id = $1)`, both},
			{"watch history", `INSERT INTO watch_history (viewer_id, video_id, first_at, last_at, views, watch_ms, completions, session_at, reach_ms)
				SELECT $2, video_id, first_at, last_at, views, watch_ms, completions, session_at, reach_ms FROM watch_history WHERE viewer_id = $1
				ON CONFLICT (viewer_id, video_id) DO UPDATE SET
					first_at = CASE WHEN excluded.first_at < watch_history.first_at THEN excluded.first_at ELSE watch_history.first_at END,
					last_at = CASE WHEN excluded.last_at > watch_history.last_at THEN excluded.last_at ELSE watch_history.last_at END,
					views = watch_history.views + excluded.views, watch_ms = watch_history.watch_ms + excluded.watch_ms,
					completions = watch_history.completions + excluded.completions,
					reach_ms = CASE WHEN excluded.session_at > watch_history.session_at THEN excluded.reach_ms ELSE watch_history.reach_ms END,
					session_at = CASE WHEN excluded.session_at > watch_history.session_at THEN excluded.session_at ELSE watch_history.session_at END`, both},
			{"watch history", `DELETE FROM watch_history WHERE viewer_id = $1`, one},
		} {
			if _, err := tx.ExecContext(ctx, step.sql, step.args...); err != nil {
				return fmt.Errorf("engagement: merge %s of %s into %s: %w", step.what, signedOutID, userID, err)
			}
		}
		if err := s.mergeInterests(ctx, tx, signedOutID, userID); err != nil {
			return err
		}
		for _, merge := range s.mergers {
			if err := merge(ctx, tx, signedOutID, userID); err != nil {
				return fmt.Errorf("engagement: merge %s into %s: %w", signedOutID, userID, err)
			}
		}
		return nil
	})
}

// mergeInterests adds the signed-out viewer's interest weights to the
// user's, each decayed to the later of the two times.
func (s *Service) mergeInterests(ctx context.Context, tx *sql.Tx, from, to string) error {
	theirs, err := interestsOf(ctx, tx, from)
	if err != nil || len(theirs) == 0 {
		return err
	}
	mine, err := interestsOf(ctx, tx, to)
	if err != nil {
		return err
	}
	var rows [][]any
	for _, k := range sortedInterestKeys(maps.Keys(theirs)) {
		w := theirs[k]
		k.viewer = to
		if old, ok := mine[k]; ok {
			w = combine(old, w, s.cfg.ProfileHalfLife)
		}
		rows = append(rows, []any{to, k.kind, k.key, w.weight, w.at})
	}
	if err := writeWeights(ctx, tx, rows); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM interest_weights WHERE viewer_id = $1`, from); err != nil {
		return fmt.Errorf("engagement: merge interests of %s: %w", from, err)
	}
	return nil
}
