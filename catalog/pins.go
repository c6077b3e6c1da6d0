package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/db"
)

// MaxPins is how many products one video may have pinned.
const MaxPins = media.MaxProducts

// ErrProductNotLinkable is returned for a pin to a product that is missing,
// a draft or archived; Fields names each such link (products[1].product_id).
var ErrProductNotLinkable = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "product_not_linkable",
	Message: "only active products can be pinned to a video"}

// Pins stores the products pinned to videos and shows them with the videos.
// It is the catalog's side of media.ProductLinker: media calls it inside the
// transaction that creates or relinks a video.
type Pins struct{ s *Service }

var _ media.ProductLinker = Pins{}

// Pins returns the linker media needs (media.Deps.Products).
func (s *Service) Pins() Pins { return Pins{s} }

// LinkProducts replaces the products pinned to videoID with links, in their
// order, inside tx. Every product must be active; a span must lie within
// [0, durationMS]. A product that stays pinned keeps its pin (and so its
// place in the creator's showcase); pins not listed are removed.
//
// It returns a validation error naming each bad field (too many links, a
// duplicate, a span outside the video, a span on a video whose length is
// not known) and ErrProductNotLinkable naming each product that cannot be
// pinned.
func (p Pins) LinkProducts(ctx context.Context, tx *sql.Tx, videoID, _ string, links []media.ProductLink, durationMS int64) error {
	if err := checkPins(links, durationMS); err != nil {
		return err
	}
	ids := make([]string, len(links))
	for i, l := range links {
		ids[i] = l.ProductID
	}
	if err := p.checkLinkable(ctx, tx, ids); err != nil {
		return err
	}
	del := `DELETE FROM pins WHERE video_id = $1`
	args := []any{videoID}
	if len(ids) > 0 {
		in, inArgs := inList(ids, 2)
		del += ` AND product_id NOT IN (` + in + `)`
		args = append(args, inArgs...)
	}
	if _, err := tx.ExecContext(ctx, del, args...); err != nil {
		return fmt.Errorf("catalog: unpin products of video %s: %w", videoID, err)
	}
	now := p.s.now()
	// New pins get time-ordered ids, and the showcase lists the newest
	// first; inserting from the last link back makes the pins of one
	// request appear there in the creator's order.
	for i := len(links) - 1; i >= 0; i-- {
		l := links[i]
		var start, end sql.NullInt64
		if l.HasSpan() {
			start, end = sql.NullInt64{Int64: l.StartMS, Valid: true}, sql.NullInt64{Int64: l.EndMS, Valid: true}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pins (id, video_id, product_id, position, start_ms, end_ms, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (video_id, product_id) DO UPDATE SET position = excluded.position, start_ms = excluded.start_ms, end_ms = excluded.end_ms`,
			reelmart.NewID(), videoID, l.ProductID, i, start, end, now)
		if err != nil {
			return fmt.Errorf("catalog: pin product %s to video %s: %w", l.ProductID, videoID, err)
		}
	}
	return nil
}

// checkPins checks what can be checked without the database: the count,
// duplicates and each span against the video's length.
func checkPins(links []media.ProductLink, durationMS int64) error {
	var p problems
	if len(links) > MaxPins {
		p.add("products", "may pin at most %d products", MaxPins)
		return p.err()
	}
	seen := map[string]int{}
	for i, l := range links {
		field := func(name string) string { return fmt.Sprintf("products[%d].%s", i, name) }
		if strings.TrimSpace(l.ProductID) == "" {
			p.add(field("product_id"), "is required")
		} else if j, dup := seen[l.ProductID]; dup {
			p.add(field("product_id"), "repeats products[%d]; a product is pinned to a video once", j)
		} else {
			seen[l.ProductID] = i
		}
		if !l.HasSpan() {
			continue
		}
		switch {
		case l.StartMS < 0:
			p.add(field("start_ms"), "must not be negative")
		case l.EndMS <= l.StartMS:
			p.add(field("end_ms"), "must be after start_ms")
		case durationMS <= 0:
			// Only a video the probe refused has no length; it never plays.
			p.add(field("end_ms"), "cannot be checked: the video's length is not known, so pin the whole video")
		case l.EndMS > durationMS:
			p.add(field("end_ms"), "must be at most the video's length, %d ms", durationMS)
		}
	}
	return p.err()
}

// checkLinkable returns ErrProductNotLinkable naming each of ids that is not
// an active product. A product archived by a transaction that commits
// after this check is harmless: reads show active products only.
func (p Pins) checkLinkable(ctx context.Context, q db.Querier, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT id, status FROM products WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return fmt.Errorf("catalog: load products to pin: %w", err)
	}
	defer rows.Close()
	status := map[string]Status{}
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			return fmt.Errorf("catalog: scan product to pin: %w", err)
		}
		status[id] = Status(st)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: load products to pin: %w", err)
	}
	var bad problems
	for i, id := range ids {
		field := fmt.Sprintf("products[%d].product_id", i)
		switch status[id] {
		case StatusActive:
		case StatusArchived:
			bad.add(field, "is archived and can no longer be pinned")
		default: // missing, or a draft: the same answer, so drafts stay private
			bad.add(field, "is not an active product")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	e := *ErrProductNotLinkable
	e.Fields = bad
	return &e
}

// LinkedProducts returns the active products pinned to each of videoIDs, in
// the creator's order, with title, first image, lowest price and stock
// available now. Pins of products that are no longer active (archived, or
// back to draft) stay stored but are left out. It runs two queries however
// many videos are asked for.
func (p Pins) LinkedProducts(ctx context.Context, videoIDs []string) (map[string][]media.PinnedProduct, error) {
	out := map[string][]media.PinnedProduct{}
	if len(videoIDs) == 0 {
		return out, nil
	}
	in, args := inList(videoIDs, 1)
	rows, err := p.s.db.QueryContext(ctx, `SELECT pn.video_id, pn.product_id, pn.start_ms, pn.end_ms, pr.title,
		(SELECT i.id FROM product_images i WHERE i.product_id = pr.id ORDER BY i.position, i.id LIMIT 1)
		FROM pins pn JOIN products pr ON pr.id = pn.product_id
		WHERE pn.video_id IN (`+in+`) AND pr.status = 'active'
		ORDER BY pn.video_id, pn.position`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: load pins: %w", err)
	}
	type ref struct {
		video string
		i     int
	}
	var refs = map[string][]ref{} // product id → where it is pinned
	var productIDs []string
	for rows.Next() {
		var videoID string
		var pp media.PinnedProduct
		var start, end sql.NullInt64
		var imageID sql.NullString
		if err := rows.Scan(&videoID, &pp.ProductID, &start, &end, &pp.Title, &imageID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: scan pin: %w", err)
		}
		if start.Valid && end.Valid {
			pp.StartMS, pp.EndMS = &start.Int64, &end.Int64
		}
		if imageID.Valid {
			u := p.s.imageURL(pp.ProductID, imageID.String, VariantDisplay)
			pp.ImageURL = &u
		}
		pp.Price.Currency = p.s.cfg.Currency
		if _, ok := refs[pp.ProductID]; !ok {
			productIDs = append(productIDs, pp.ProductID)
		}
		refs[pp.ProductID] = append(refs[pp.ProductID], ref{videoID, len(out[videoID])})
		out[videoID] = append(out[videoID], pp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: load pins: %w", err)
	}
	offers, err := p.s.offers(ctx, productIDs)
	if err != nil {
		return nil, err
	}
	for id, o := range offers {
		for _, r := range refs[id] {
			pp := &out[r.video][r.i]
			pp.Price.AmountMinor, pp.StockAvailable = o.priceMin, o.available
		}
	}
	return out, nil
}

// offer is what a product card shows of a product's SKUs.
type offer struct {
	priceMin  int64
	available int // sum over SKUs of stock minus reserved
}

// offers returns the lowest price and the stock available now of each of
// productIDs, in one query.
func (s *Service) offers(ctx context.Context, productIDs []string) (map[string]offer, error) {
	out := map[string]offer{}
	if len(productIDs) == 0 {
		return out, nil
	}
	in, args := inList(productIDs, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT k.product_id, k.price_minor, k.stock, k.reserved
		FROM skus k WHERE k.product_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: load prices and stock: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var price int64
		var stock, reserved int
		if err := rows.Scan(&id, &price, &stock, &reserved); err != nil {
			return nil, fmt.Errorf("catalog: scan price and stock: %w", err)
		}
		o, seen := out[id]
		if !seen || price < o.priceMin {
			o.priceMin = price
		}
		o.available += max(0, stock-reserved)
		out[id] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: load prices and stock: %w", err)
	}
	return out, nil
}
