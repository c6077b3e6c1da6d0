package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// VideoIndexer re-indexes videos whose search document shows something of
// a product (its title, whether it is on sale and in stock); feed.Service
// satisfies it. VideosChanged bumps each video's document version and
// enqueues the durable job that rewrites it, inside tx (its own
// transaction when tx is nil).
type VideoIndexer interface {
	VideosChanged(ctx context.Context, tx *sql.Tx, videoIDs ...string) error
}

// pinningVideosChanged hands the videos that pin one of productIDs to the
// feed's indexer inside tx.
func (s *Service) pinningVideosChanged(ctx context.Context, tx *sql.Tx, productIDs []string) error {
	if s.cfg.Videos == nil || len(productIDs) == 0 {
		return nil
	}
	var videoIDs []string
	for chunk := range slices.Chunk(productIDs, indexJobSize) {
		in, args := inList(chunk, 1)
		ids, err := queryIDs(ctx, tx, `SELECT DISTINCT video_id FROM pins WHERE product_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		videoIDs = append(videoIDs, ids...)
	}
	if len(videoIDs) == 0 {
		return nil
	}
	// VideosChanged sorts, dedupes and chunks them.
	if err := s.cfg.Videos.VideosChanged(ctx, tx, videoIDs...); err != nil {
		return fmt.Errorf("catalog: re-index videos pinning changed products: %w", err)
	}
	return nil
}
