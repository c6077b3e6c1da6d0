package engagement

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Export is what engagement keeps about one user, for GET /me/export.
type Export struct {
	Likes           []LikeRecord    `json:"likes"`
	Comments        []CommentRecord `json:"comments"`
	WatchHistory    []WatchRecord   `json:"watch_history"`
	InterestProfile Profile         `json:"interest_profile"`
}

// LikeRecord is one video the user likes.
type LikeRecord struct {
	VideoID string    `json:"video_id"`
	LikedAt time.Time `json:"liked_at"`
}

// CommentRecord is one comment the user wrote.
type CommentRecord struct {
	ID        string    `json:"id"`
	VideoID   string    `json:"video_id"`
	ParentID  *string   `json:"parent_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// WatchRecord is the user's history with one video.
type WatchRecord struct {
	VideoID        string    `json:"video_id"`
	FirstWatchedAt time.Time `json:"first_watched_at"`
	LastWatchedAt  time.Time `json:"last_watched_at"`
	Views          int64     `json:"views"`
	WatchMS        int64     `json:"watch_ms"`
	Completions    int64     `json:"completions"`
}

// Export returns everything engagement keeps about userID: likes, comments,
// watch history (most recent first) and the whole interest profile.
func (s *Service) Export(ctx context.Context, userID string) (Export, error) {
	ex := Export{Likes: []LikeRecord{}, Comments: []CommentRecord{}, WatchHistory: []WatchRecord{}}
	err := each(ctx, s.db, `SELECT video_id, created_at FROM video_likes WHERE user_id = $1 ORDER BY created_at`, []any{userID},
		func(rows *sql.Rows) error {
			var l LikeRecord
			err := rows.Scan(&l.VideoID, &l.LikedAt)
			l.LikedAt = l.LikedAt.UTC()
			ex.Likes = append(ex.Likes, l)
			return err
		})
	if err != nil {
		return Export{}, fmt.Errorf("engagement: export likes: %w", err)
	}
	err = each(ctx, s.db, `SELECT id, video_id, parent_id, body, created_at FROM comments WHERE author_id = $1 ORDER BY created_at, id`, []any{userID},
		func(rows *sql.Rows) error {
			var c CommentRecord
			var parent sql.NullString
			err := rows.Scan(&c.ID, &c.VideoID, &parent, &c.Body, &c.CreatedAt)
			if parent.Valid {
				c.ParentID = &parent.String
			}
			c.CreatedAt = c.CreatedAt.UTC()
			ex.Comments = append(ex.Comments, c)
			return err
		})
	if err != nil {
		return Export{}, fmt.Errorf("engagement: export comments: %w", err)
	}
	err = each(ctx, s.db, `SELECT video_id, first_at, last_at, views, watch_ms, completions FROM watch_history
		WHERE viewer_id = $1 ORDER BY last_at DESC, video_id`, []any{userID},
		func(rows *sql.Rows) error {
			var w WatchRecord
			err := rows.Scan(&w.VideoID, &w.FirstWatchedAt, &w.LastWatchedAt, &w.Views, &w.WatchMS, &w.Completions)
			w.FirstWatchedAt, w.LastWatchedAt = w.FirstWatchedAt.UTC(), w.LastWatchedAt.UTC()
			ex.WatchHistory = append(ex.WatchHistory, w)
			return err
		})
	if err != nil {
		return Export{}, fmt.Errorf("engagement: export watch history: %w", err)
	}
	all, err := s.weights(ctx, userID)
	if err != nil {
		return Export{}, err
	}
	ex.InterestProfile = Profile{Hashtags: []TagWeight{}, Creators: []CreatorWeight{}, HalfLifeHours: s.cfg.ProfileHalfLife.Hours()}
	for _, w := range all {
		if w.kind == kindTag {
			ex.InterestProfile.Hashtags = append(ex.InterestProfile.Hashtags, TagWeight{Tag: w.key, Weight: w.weight})
		} else {
			ex.InterestProfile.Creators = append(ex.InterestProfile.Creators, CreatorWeight{CreatorID: w.key, Weight: w.weight})
		}
	}
	return ex, nil
}

// each runs query and calls fn for every row.
func each(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EraseUser removes everything engagement keeps about userID inside tx,
// the transaction that deletes the account: likes and comments (with the
// replies to them) come off their videos' counters; events, watch history,
// view sessions and the interest profile go. Views and watch time already
// counted stay in the videos' counters, which name nobody. The videos
// whose likes or comments changed are re-indexed.
func (s *Service) EraseUser(ctx context.Context, tx *sql.Tx, userID string) error {
	if err := lockAggregation(ctx, tx); err != nil {
		return err
	}
	changed := map[string]bool{}
	videoOf := func(count map[string]int64) func(*sql.Rows) error {
		return func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			changed[id] = true
			if count != nil {
				count[id]++
			}
			return err
		}
	}
	if err := each(ctx, tx, `SELECT video_id FROM video_likes WHERE user_id = $1`, []any{userID}, videoOf(nil)); err != nil {
		return fmt.Errorf("engagement: find likes of %s: %w", userID, err)
	}
	// The user's threads are locked first (as a reply locks its thread),
	// so no reply can slip in between counting and deleting.
	comments := map[string]int64{}
	for _, q := range []struct {
		sql string
		fn  func(*sql.Rows) error
	}{
		{`UPDATE video_stats SET likes = likes - 1 WHERE video_id IN (SELECT video_id FROM video_likes WHERE user_id = $1)`, nil},
		{`DELETE FROM video_likes WHERE user_id = $1`, nil},
		{`UPDATE comments SET body = body WHERE author_id = $1 AND parent_id IS NULL`, nil},
		{`DELETE FROM comments WHERE parent_id IN (SELECT id FROM comments WHERE author_id = $1) RETURNING video_id`, videoOf(comments)},
		{`DELETE FROM comments WHERE author_id = $1 RETURNING video_id`, videoOf(comments)},
	} {
		var err error
		if q.fn == nil {
			_, err = tx.ExecContext(ctx, q.sql, userID)
		} else {
			err = each(ctx, tx, q.sql, []any{userID}, q.fn)
		}
		if err != nil {
			return fmt.Errorf("engagement: erase likes and comments of %s: %w", userID, err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(comments)) {
		if _, err := tx.ExecContext(ctx, `UPDATE video_stats SET comments = comments - $2 WHERE video_id = $1`, id, comments[id]); err != nil {
			return fmt.Errorf("engagement: count erased comments: %w", err)
		}
	}
	for _, table := range []string{"video_events", "viewer_event_ids", "viewer_sessions", "watch_history", "interest_weights"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE viewer_id = $1`, userID); err != nil {
			return fmt.Errorf("engagement: erase %s of %s: %w", table, userID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_rates WHERE key = $1 OR key = $2`, "viewer:"+userID, "comment:"+userID); err != nil {
		return fmt.Errorf("engagement: erase rates of %s: %w", userID, err)
	}
	if len(changed) == 0 || s.reindex == nil {
		return nil
	}
	if err := s.reindex.VideosChanged(ctx, tx, slices.Sorted(maps.Keys(changed))...); err != nil {
		return fmt.Errorf("engagement: re-index videos of erased likes and comments: %w", err)
	}
	return nil
}

// Sweep deletes what has served its time: event ids past the dedupe
// window, rate windows and view sessions long over, aggregated events
// past Config.EventRetention (watch histories keep their sums), and
// interest weights that have decayed below a thousandth of what they
// were. It returns how many rows it removed.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	now := s.now()
	var total int64
	for _, q := range []struct {
		sql    string
		cutoff time.Time
	}{
		{`DELETE FROM viewer_event_ids WHERE seen_at <= $1`, now.Add(-s.cfg.DedupeWindow)},
		{`DELETE FROM event_rates WHERE window_start <= $1`, now.Add(-time.Hour)},
		{`DELETE FROM viewer_sessions WHERE last_batch_at <= $1 AND session_at <= $1`, now.Add(-s.cfg.ViewWindow - s.cfg.MaxBatchSpan)},
		{`DELETE FROM video_events WHERE aggregated = TRUE AND created_at <= $1`, now.Add(-s.cfg.EventRetention)},
		{`DELETE FROM interest_weights WHERE updated_at <= $1`, now.Add(-10 * s.cfg.ProfileHalfLife)},
	} {
		res, err := s.db.ExecContext(ctx, q.sql, q.cutoff)
		if err != nil {
			return total, fmt.Errorf("engagement: sweep: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
