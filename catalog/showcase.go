package catalog

import (
	"context"
	"fmt"
	"time"
)

// ShowcaseItem is one product in a creator's showcase, with the video of
// its newest pin (where a shopper can see it, and which a purchase from the
// showcase can name as its source_video_id).
type ShowcaseItem struct {
	Product  Product   `json:"product"`
	VideoID  string    `json:"video_id"`
	PinnedAt time.Time `json:"pinned_at"`
}

// Showcase lists the active products creatorID has pinned to their ready
// videos, each once, the most recently pinned first, as viewerID sees them.
// cursor is "" or the NextCursor of the previous page; limit is 1 to
// MaxLimit, 0 for DefaultLimit. It returns a validation error naming cursor
// or limit. A creator with no such pins, or no account, has an empty
// showcase: telling a missing user apart is the caller's job.
//
// The order key is the newest pin's id (a UUIDv7, so its creation order),
// which is unique, so the keyset cursor is that one id. Processing and
// failed videos, archived and draft products do not count; they come back
// into the showcase if they become ready or active again.
func (s *Service) Showcase(ctx context.Context, viewerID, creatorID, cursor string, limit int) (Page[ShowcaseItem], error) {
	var p problems
	after, msg := decodeCursor(cursor)
	if msg != "" {
		p.add("cursor", "%s", msg)
	}
	limit = checkLimit(&p, limit)
	if err := p.err(); err != nil {
		return Page[ShowcaseItem]{}, err
	}
	// Reading videos.creator_id and status by a join, as media reads users
	// for a video's creator, costs one query instead of a call per video.
	rows, err := s.db.QueryContext(ctx, `SELECT x.newest, pn.product_id, pn.video_id, pn.created_at FROM (
			SELECT MAX(pn.id) AS newest FROM pins pn
			JOIN videos v ON v.id = pn.video_id
			JOIN products pr ON pr.id = pn.product_id
			WHERE v.creator_id = $1 AND v.status = 'ready' AND pr.status = 'active'
			GROUP BY pn.product_id
			HAVING $2 = '' OR MAX(pn.id) < $2
		) x JOIN pins pn ON pn.id = x.newest
		ORDER BY x.newest DESC LIMIT $3`, creatorID, after, limit+1)
	if err != nil {
		return Page[ShowcaseItem]{}, fmt.Errorf("catalog: load showcase: %w", err)
	}
	defer rows.Close()
	var items []ShowcaseItem
	var pinIDs, productIDs []string
	for rows.Next() {
		var pinID string
		var it ShowcaseItem
		if err := rows.Scan(&pinID, &it.Product.ID, &it.VideoID, &it.PinnedAt); err != nil {
			return Page[ShowcaseItem]{}, fmt.Errorf("catalog: scan showcase: %w", err)
		}
		it.PinnedAt = it.PinnedAt.UTC()
		items = append(items, it)
		pinIDs = append(pinIDs, pinID)
		productIDs = append(productIDs, it.Product.ID)
	}
	if err := rows.Err(); err != nil {
		return Page[ShowcaseItem]{}, fmt.Errorf("catalog: load showcase: %w", err)
	}
	rows.Close()

	page := Page[ShowcaseItem]{Items: []ShowcaseItem{}}
	if len(items) > limit {
		items, productIDs = items[:limit], productIDs[:limit]
		page.NextCursor = encodeCursor(pinIDs[limit-1])
	}
	products, err := s.loadProducts(ctx, s.db, viewerID, productIDs)
	if err != nil {
		return Page[ShowcaseItem]{}, err
	}
	byID := make(map[string]Product, len(products))
	for _, pr := range products {
		byID[pr.ID] = pr
	}
	for _, it := range items {
		// A product archived since the first query is left out of this page.
		if pr, ok := byID[it.Product.ID]; ok && pr.Status == StatusActive {
			it.Product = pr
			page.Items = append(page.Items, it)
		}
	}
	return page, nil
}
