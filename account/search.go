package account

import (
	"context"
	"fmt"
	"strings"

	"github.com/reelmart/reelmart/platform/db"
)

// Followees returns the ids of up to limit users userID follows, most
// recently followed first (the feed's following sources).
func (s *Service) Followees(ctx context.Context, userID string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT followee_id FROM follows WHERE follower_id = $1
		ORDER BY created_at DESC, followee_id LIMIT %d`, max(limit, 0)), userID)
	if err != nil {
		return nil, fmt.Errorf("account: list followees: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("account: list followees: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SearchUsers finds users whose handle starts with q (a leading @ is
// ignored) or whose display name contains it, ignoring case: an exact
// handle first, then handle prefixes, then display names, each by follower
// count. It returns one page (offset, limit) of profiles as viewerID sees
// them, leaving out exclude, and the total number of matches. Case is
// folded for ASCII letters on SQLite and for all letters on PostgreSQL.
func (s *Service) SearchUsers(ctx context.Context, q, viewerID string, exclude []string, offset, limit int) ([]Profile, int, error) {
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	if q == "" {
		return []Profile{}, 0, nil
	}
	var count db.Params
	where, _ := userMatch(&count, q, exclude)
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE `+where, count...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("account: count users: %w", err)
	}
	var p db.Params
	exact, viewer := p.Add(q), p.Add(viewerID)
	where, prefix := userMatch(&p, q, exclude)
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT u.id, u.handle, u.display_name, u.created_at,
		(SELECT COUNT(*) FROM follows f WHERE f.followee_id = u.id) AS followers,
		(SELECT COUNT(*) FROM follows f WHERE f.follower_id = u.id),
		(SELECT COUNT(*) FROM follows f WHERE f.follower_id = %s AND f.followee_id = u.id)
		FROM users u WHERE %s
		ORDER BY CASE WHEN u.handle = %s THEN 0 WHEN u.handle LIKE %s ESCAPE '\' THEN 1 ELSE 2 END, followers DESC, u.handle
		LIMIT %d OFFSET %d`, viewer, where, exact, prefix, max(limit, 0), max(offset, 0)), p...)
	if err != nil {
		return nil, 0, fmt.Errorf("account: search users: %w", err)
	}
	defer rows.Close()
	out := []Profile{}
	for rows.Next() {
		var p Profile
		var following int
		if err := rows.Scan(&p.ID, &p.Handle, &p.DisplayName, &p.CreatedAt, &p.FollowerCount, &p.FollowingCount, &following); err != nil {
			return nil, 0, fmt.Errorf("account: search users: %w", err)
		}
		p.CreatedAt = p.CreatedAt.UTC()
		p.IsFollowing = following > 0
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// userMatch adds to p the condition of a user search for q, leaving out
// exclude, and returns it with the placeholder of the handle prefix pattern.
func userMatch(p *db.Params, q string, exclude []string) (where, prefix string) {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
	prefix = p.Add(esc + "%")
	where = `(u.handle LIKE ` + prefix + ` ESCAPE '\' OR lower(u.display_name) LIKE ` + p.Add("%"+esc+"%") + ` ESCAPE '\')`
	if len(exclude) > 0 {
		marks := make([]string, len(exclude))
		for i, id := range exclude {
			marks[i] = p.Add(id)
		}
		where += ` AND u.id NOT IN (` + strings.Join(marks, ", ") + `)`
	}
	return where, prefix
}
