package catalog

import (
	"context"
	"database/sql"
	"fmt"
)

// VideoIndexer re-indexes videos whose search document shows something of
// a product (its title, whether it is on sale and in stock); feed.Service
// satisfies it. VideosChanged bumps each video's document version and
// enqueues the durable job that rewrites it, inside tx (its own
// transaction when tx is nil).
type VideoIndexer interface {
	VideosChanged(ctx context.Context, tx *sql.Tx, videoIDs ...string) error
}

// reindexPinningVideos asks the feed to re-index every video that pins one
// of productIDs, after a change to them committed: their documents carry
// the products' titles and whether any is in stock, so a product that
// sells out or comes back (an order, a refund, an expiry, a restock) moves
// the videos that pin it. Like the product index, a failure is logged, not
// returned: the change stands, and reindex repairs the index.
func (s *Service) reindexPinningVideos(ctx context.Context, productIDs []string) {
	if s.cfg.Videos == nil || len(productIDs) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	in, args := inList(productIDs, 1)
	ids, err := s.productIDs(ctx, `SELECT DISTINCT video_id FROM pins WHERE product_id IN (`+in+`)`, args...)
	if err == nil && len(ids) > 0 {
		err = s.cfg.Videos.VideosChanged(ctx, nil, ids...)
	}
	if err != nil {
		s.logf(ctx, "catalog: re-index videos pinning changed products; run reindex to repair", "products", productIDs, "err", fmt.Errorf("catalog: %w", err))
	}
}
