package feed

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/reelmart/reelmart/platform/db"
)

// maxServedExcluded is how many recently served videos a ranking leaves
// out at most (the newest); older ones may come back as candidates.
const maxServedExcluded = 1000

// viewer loads, in parallel, what a ranking needs to know of the viewer.
func (s *Service) viewer(ctx context.Context, id string, now time.Time) (viewerState, error) {
	v := viewerState{id: id}
	if id == "" {
		return v, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		v.hidden, err = s.hidden(gctx, id)
		return err
	})
	g.Go(func() (err error) {
		v.followees, err = s.follows.Followees(gctx, id, maxFollowees)
		return err
	})
	g.Go(func() (err error) {
		v.profile, err = s.signals.Profile(gctx, id)
		return err
	})
	g.Go(func() (err error) {
		v.interactions, err = s.signals.Interactions(gctx, id)
		return err
	})
	g.Go(func() (err error) {
		v.served, err = s.servedSince(gctx, id, now.Add(-s.cfg.ServedFor))
		return err
	})
	if err := g.Wait(); err != nil {
		return viewerState{}, fmt.Errorf("feed: load viewer: %w", err)
	}
	return v, nil
}

// servedSince returns the videos served to the viewer since, newest first.
func (s *Service) servedSince(ctx context.Context, viewer string, since time.Time) ([]string, error) {
	return s.videoIDs(ctx, fmt.Sprintf(`SELECT video_id FROM feed_served WHERE viewer_key = $1 AND served_at >= $2
		ORDER BY served_at DESC, video_id LIMIT %d`, maxServedExcluded), viewer, since)
}

// servedAgain is the batch of a session that has seen every candidate: the
// viewer's served videos not in this session, least recently served first.
func (s *Service) servedAgain(ctx context.Context, v viewerState, inSession map[string]bool) ([]Scored, error) {
	if v.id == "" {
		return nil, nil
	}
	ids, err := s.videoIDs(ctx, fmt.Sprintf(`SELECT video_id FROM feed_served WHERE viewer_key = $1
		ORDER BY served_at, video_id LIMIT %d`, batchSize+len(inSession)), v.id)
	if err != nil {
		return nil, err
	}
	var out []Scored
	for _, id := range ids {
		if !inSession[id] && len(out) < batchSize {
			out = append(out, Scored{Candidate: Candidate{ID: id, Sources: SourceServed}})
		}
	}
	return out, nil
}

// recordServed notes that the page was served to the viewer, in one
// statement. Items are a microsecond apart, in page order, so that "least
// recently served first" replays a page in the order it was shown. A
// viewer with no identity has no history to keep.
func (s *Service) recordServed(ctx context.Context, viewer string, entries []batchItem, now time.Time) error {
	if viewer == "" || len(entries) == 0 {
		return nil
	}
	var p db.Params
	rows := make([]string, len(entries))
	for i, e := range entries {
		rows[i] = "(" + p.Add(viewer) + ", " + p.Add(e.ID) + ", " + p.Add(now.Add(time.Duration(i)*time.Microsecond)) + ")"
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO feed_served (viewer_key, video_id, served_at) VALUES `+strings.Join(rows, ", ")+`
		ON CONFLICT (viewer_key, video_id) DO UPDATE SET served_at = excluded.served_at`, p...)
	if err != nil {
		return fmt.Errorf("feed: record served videos: %w", err)
	}
	return nil
}

// MergeViewer moves the served history of a signed-out viewer into the
// account they signed in to, inside tx (engagement's merge at sign-in).
// Where both saw a video, the later time stays.
func (s *Service) MergeViewer(ctx context.Context, tx *sql.Tx, from, to string) error {
	if from == "" || to == "" || from == to {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO feed_served (viewer_key, video_id, served_at)
		SELECT $1, video_id, served_at FROM feed_served WHERE viewer_key = $2
		ON CONFLICT (viewer_key, video_id) DO UPDATE SET served_at = CASE
			WHEN excluded.served_at > feed_served.served_at THEN excluded.served_at ELSE feed_served.served_at END`, to, from); err != nil {
		return fmt.Errorf("feed: merge served history: %w", err)
	}
	return s.ForgetViewer(ctx, tx, from)
}

// ForgetViewer deletes the viewer's sessions and served history inside tx
// (account deletion, and the signed-out side of a merge).
func (s *Service) ForgetViewer(ctx context.Context, tx *sql.Tx, viewer string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM feed_served WHERE viewer_key = $1`, viewer); err != nil {
		return fmt.Errorf("feed: forget served history: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM feed_sessions WHERE viewer_key = $1`, viewer); err != nil {
		return fmt.Errorf("feed: forget sessions: %w", err)
	}
	return nil
}

// Sweep deletes sessions past their lifetime and served history past
// KeepServed, and returns how many rows went.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	now := s.now()
	var total int64
	for _, q := range []struct {
		sql    string
		before time.Time
	}{
		{`DELETE FROM feed_sessions WHERE created_at < $1`, now.Add(-s.cfg.SessionTTL)},
		{`DELETE FROM feed_served WHERE served_at < $1`, now.Add(-s.cfg.KeepServed)},
	} {
		res, err := s.db.ExecContext(ctx, q.sql, q.before)
		if err != nil {
			return total, fmt.Errorf("feed: sweep: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// videoIDs runs a query whose rows are one id each.
func (s *Service) videoIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("feed: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
