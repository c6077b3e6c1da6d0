package media

import (
	"context"
	"database/sql"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/blob"
)

// Relink replaces the product links of the video with id. Only its creator
// may (others get ErrNotVideoOwner, or ErrVideoNotFound for a video they
// cannot see). It returns a validation error naming the bad link, and
// ErrProductsUnavailable when no catalog is wired.
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
		return s.products.LinkProducts(ctx, tx, id, userID, links, v.DurationMS)
	})
	if err != nil {
		return Video{}, err
	}
	return s.Video(ctx, id, userID)
}

// Blob is the store the video objects live in, for serving them.
func (s *Service) Blob() blob.Store { return s.blob }
