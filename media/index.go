package media

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Indexer keeps the search documents of videos in line with the database;
// feed.Service satisfies it. VideosChanged bumps the version of each
// video's document and enqueues the job that rewrites it, inside tx, so
// that the index follows every committed change and no rolled-back one.
type Indexer interface {
	VideosChanged(ctx context.Context, tx *sql.Tx, videoIDs ...string) error
}

// Videos returns the videos with ids, whatever their status, each with its
// pinned products, in a fixed number of queries however many are asked
// for. Missing ids are left out of the map. It is for the parts of the
// service that index and show videos: what a viewer may see is the
// caller's rule (only ready videos, to anyone but their creator).
func (s *Service) Videos(ctx context.Context, ids []string) (map[string]Video, error) {
	out := make(map[string]Video, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+videoColumns+videoFrom+` WHERE v.id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("media: load videos: %w", err)
	}
	defer rows.Close()
	var list []Video
	for rows.Next() {
		v, err := s.scanVideo(rows)
		if err != nil {
			return nil, fmt.Errorf("media: scan video: %w", err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("media: load videos: %w", err)
	}
	if err := s.addProducts(ctx, list); err != nil {
		return nil, err
	}
	for _, v := range list {
		out[v.ID] = v
	}
	return out, nil
}

// reindex tells the indexer, inside tx, that the videos changed; without
// one (a deployment or test with no feed) there is nothing to keep in line.
func (s *Service) reindex(ctx context.Context, tx *sql.Tx, ids ...string) error {
	if s.index == nil {
		return nil
	}
	if err := s.index.VideosChanged(ctx, tx, ids...); err != nil {
		return fmt.Errorf("media: reindex %v: %w", ids, err)
	}
	return nil
}
