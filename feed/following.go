package feed

import (
	"context"
	"fmt"
	"time"
)

// followingCursor is a keyset position in the following feed.
type followingCursor struct {
	At int64  `json:"t"` // created_at, unix microseconds
	ID string `json:"i"`
}

// Following returns a page of the ready videos of the creators viewerID
// follows (the most recently followed maxFollowees of them), newest first,
// from the database: it never depends on the search engine. Creators the
// viewer must not see are left out. It returns a validation error naming
// cursor for a cursor it did not issue to this viewer, and a limit outside
// 1..MaxLimit.
func (s *Service) Following(ctx context.Context, viewerID, cursor string, limit int) (Page, error) {
	limit, err := checkLimit(limit)
	if err != nil {
		return Page{}, err
	}
	var cur followingCursor
	if cursor != "" {
		if err := s.keys.open(ctx, kindFollowing, viewerID, cursor, &cur); err != nil {
			return Page{}, cursorError(err)
		}
	}
	followees, err := s.follows.Followees(ctx, viewerID, maxFollowees)
	if err != nil {
		return Page{}, fmt.Errorf("feed: load followees: %w", err)
	}
	hidden, err := s.hidden(ctx, viewerID)
	if err != nil {
		return Page{}, fmt.Errorf("feed: load hidden creators: %w", err)
	}
	skip := set(hidden)
	var creators []string
	for _, id := range followees {
		if !skip[id] {
			creators = append(creators, id)
		}
	}
	page := Page{Items: []Item{}}
	if len(creators) == 0 {
		return page, nil
	}
	in, args := inList(creators, 1)
	q := `SELECT id, created_at FROM videos WHERE status = 'ready' AND creator_id IN (` + in + `)`
	if cursor != "" {
		n := len(args)
		q += fmt.Sprintf(` AND (created_at < $%d OR (created_at = $%d AND id < $%d))`, n+1, n+1, n+2)
		args = append(args, time.UnixMicro(cur.At).UTC(), cur.ID)
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("feed: list following videos: %w", err)
	}
	defer rows.Close()
	var entries []batchItem
	var last followingCursor
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return Page{}, fmt.Errorf("feed: list following videos: %w", err)
		}
		if len(entries) < limit {
			entries = append(entries, batchItem{ID: id})
			last = followingCursor{At: at.UnixMicro(), ID: id}
		} else if page.NextCursor, err = s.keys.seal(ctx, kindFollowing, viewerID, last); err != nil {
			return Page{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("feed: list following videos: %w", err)
	}
	if page.Items, err = s.items(ctx, viewerID, entries, false, nil); err != nil {
		return Page{}, err
	}
	return page, nil
}
