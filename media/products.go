package media

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/blob"
)

// Relink replaces the product links of the video with id and returns the
// video with its new products. Only its creator may (others get
// ErrNotVideoOwner, or ErrVideoNotFound for a video they cannot see). It
// returns a *reelmart.Error naming the bad link (from media's checks or the
// ProductLinker's), and ErrProductsUnavailable when no catalog is wired.
func (s *Service) Relink(ctx context.Context, id, userID string, links []ProductLink) (Video, error) {
	if err := reelmart.Invalid(checkLinks(links)); err != nil {
		return Video{}, err
	}
	v, err := s.Video(ctx, id, userID)
	if err != nil {
		return Video{}, err
	}
	if v.Creator.ID != userID {
		return Video{}, ErrNotVideoOwner
	}
	if s.products == nil {
		return Video{}, ErrProductsUnavailable
	}
	if links == nil {
		links = []ProductLink{}
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Locking the video row makes concurrent relinks of one video take
		// turns (on PostgreSQL each would otherwise replace the set it saw,
		// and the two sets could add up past MaxProducts), and finds a
		// video deleted since it was read.
		res, err := tx.ExecContext(ctx, `UPDATE videos SET updated_at = updated_at WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("media: lock video %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrVideoNotFound
		}
		if err := s.products.LinkProducts(ctx, tx, id, userID, links, v.DurationMS); err != nil {
			return err
		}
		return s.reindex(ctx, tx, id) // the document lists the pinned products
	})
	if err != nil {
		return Video{}, err
	}
	return s.Video(ctx, id, userID)
}

// Blob is the store the video objects live in, for serving them.
func (s *Service) Blob() blob.Store { return s.blob }
