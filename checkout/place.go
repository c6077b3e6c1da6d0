package checkout

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
)

// Placing an order is one SQL statement on PostgreSQL: one round trip, one
// commit, no transaction held open across the network. Its parts, as CTEs:
//
//	h        the requested lines (position, SKU, quantity, source video,
//	         and a fresh order id per line)
//	hv       (when a line names a video) the lines whose video exists
//	reserved catalog.Reservation: reserve each line's quantity with a
//	         conditional UPDATE of the SKU, returning the price, title,
//	         shop and commission rate under the row lock
//	lines    the lines priced and split by shop: each shop's order takes
//	         the id of its first line and the sum of its lines; a line
//	         earns its video's creator a commission when the video pins
//	         the product and the creator is not the buyer
//	o        INSERT one order per shop (from its first line)
//	l        INSERT the lines; if some line could not be reserved (or
//	         names no video), reelmart_abort fails the whole statement, so
//	         nothing stays reserved
//	cleared  (from the cart) DELETE the cart lines just ordered
//	k        (with an Idempotency-Key) note the orders on the key; if the
//	         request's claim was taken over by a retry, reelmart_abort
//	         fails the statement (idempotency.go)
//
// and the statement returns lines. Every amount is computed once, in SQL,
// and what the response says is what was stored. The statement is kept
// lean because it is the hot path of the shop, where most orders are one
// line bought from a video: no aggregate or sort node; the windows that
// split a cart by shop, and the guard, only when there are several lines
// (one line is reserved or not, so it cannot be half placed); the video
// joins only when a line names a video.
//
// SQLite has no writable CTEs, so there the same parts run as separate
// statements in one transaction (round trips are free in process): note
// the key, reserve and count, then the inserts and the read, with reserved
// read from the tables.
//
// When nothing is placed, explain works out why from a fresh read: an
// unknown SKU or video (422), a product not for sale, or out_of_stock
// naming the short SKUs. Before saying out_of_stock it cancels orders whose
// reservation has expired (their holds count until then) and tries again.

// placeAttempts bounds how often one request retries after a placement
// that failed for a reason that was gone when it looked (stock came back,
// or expired orders were cancelled).
const placeAttempts = 3

// errNotPlaced is a placement that reserved nothing or was aborted;
// errConflict one that PostgreSQL rolled back for a deadlock or a
// serialization failure. Neither wrote anything.
var (
	errNotPlaced = errors.New("checkout: order not placed")
	errConflict  = errors.New("checkout: order placement rolled back by a conflict")
)

func (s *Service) place(ctx context.Context, buyerID string, items []ItemInput, ship Shipping, fromCart bool, claim *Claim) ([]Order, error) {
	if s.batch != nil && len(items) == 1 && !fromCart {
		o, ok, err := s.batch.place(ctx, buyerID, items[0], ship, claim)
		if err != nil {
			return nil, err
		}
		if ok {
			return []Order{o}, nil
		}
	}
	for attempt := 1; ; attempt++ {
		orders, flipped, err := s.placeOnce(ctx, buyerID, items, ship, fromCart, claim)
		if err == nil {
			s.stock.StockChanged(ctx, flipped...)
			if err := s.afterCommit(ctx, "place"); err != nil {
				return nil, err
			}
			return orders, nil
		}
		conflict := errors.Is(err, errConflict)
		if !conflict {
			if !errors.Is(err, errNotPlaced) {
				return nil, err
			}
			if err := s.explain(ctx, items); err != nil {
				return nil, err
			}
		}
		if attempt == placeAttempts {
			if conflict {
				return nil, err
			}
			skus := make([]string, len(items))
			for i, it := range items {
				skus[i] = it.SKUID
			}
			return nil, catalog.OutOfStock(skus)
		}
	}
}

// placement is one statement's worth of SQL and its parameters.
type placement struct {
	p       db.Params
	now     time.Time
	n       int
	videos  bool     // some line names a source video
	h       string   // the CTE of requested lines
	hParams int      // how many of p h (and the buyer) take
	buyer   string   // placeholder of the buyer id
	oids    []string // the order id each line would give its order
}

func (s *Service) newPlacement(buyerID string, items []ItemInput) *placement {
	pl := &placement{n: len(items), now: s.now()}
	pl.buyer = pl.p.Add(buyerID)
	// Rows in SKU order, so that with the usual plan (a nested loop over
	// h) the reservation locks SKUs in that order and two placements
	// rarely deadlock (one that does is tried again); pos keeps the order
	// the buyer gave.
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(items[a].SKUID, items[b].SKUID) })
	rows := make([]string, len(items))
	for j, i := range order {
		it := items[i]
		var video any
		if it.SourceVideoID != nil {
			video = *it.SourceVideoID
			pl.videos = true
		}
		oid := reelmart.NewID()
		pl.oids = append(pl.oids, oid)
		rows[j] = fmt.Sprintf("(CAST(%s AS INTEGER), %s, CAST(%s AS INTEGER), CAST(%s AS TEXT), %s)",
			pl.p.Add(i), pl.p.Add(it.SKUID), pl.p.Add(it.Qty), pl.p.Add(video), pl.p.Add(oid))
	}
	pl.h = `h (pos, sku_id, qty, video_id, oid) AS (VALUES ` + strings.Join(rows, ", ") + `)`
	pl.hParams = len(pl.p)
	return pl
}

// reserve is the relation the reservation reads: h, or when a line names
// a video, hv, the lines whose video exists (a line naming a missing video
// is not reserved, so the placement fails as if it were short).
func (pl *placement) reserve() (rel, cte string) {
	if !pl.videos {
		return "h", ""
	}
	return "hv", `, ` + linesWithVideoCTE
}

// linesWithVideoCTE is hv: the rows of h whose video, if they name one, exists.
const linesWithVideoCTE = `hv AS (SELECT h.* FROM h LEFT JOIN videos AS v ON v.id = h.video_id WHERE h.video_id IS NULL OR v.id IS NOT NULL)`

// lines is the CTE that prices the reserved lines (take) and splits them
// by shop; fee is the placeholder of the platform fee in basis points.
func (pl *placement) lines(fee string) string {
	return linesSQL("h", pl.buyer, fee, "", pl.n > 1, pl.videos)
}

// linesSQL is the lines CTE over the requested lines rel joined to
// catalog.Reserved:
// each line priced, with its order id and position (with split, each
// shop's order takes the id of its first line, and the sum of its lines as
// total; without, every line is an order of its own), the platform fee,
// and (with videos) the commission of a pinned product's creator unless
// the creator is the buyer, whose id buyer is (a placeholder or a column).
// extra lists more columns of rel to carry, each followed by a comma.
func linesSQL(rel, buyer, fee, extra string, split, videos bool) string {
	creator, join := `CAST(NULL AS TEXT) AS creator_id`, ``
	if videos {
		creator = `CASE WHEN v.creator_id <> ` + buyer + ` AND EXISTS (SELECT 1 FROM pins AS pn
			WHERE pn.video_id = v.id AND pn.product_id = t.product_id) THEN v.creator_id END AS creator_id`
		join = ` LEFT JOIN videos AS v ON v.id = h.video_id`
	}
	order, window := `h.oid AS order_id, 0 AS position, t.price_minor * h.qty AS total`, ``
	if split {
		order = `first_value(h.oid) OVER w AS order_id, (row_number() OVER w) - 1 AS position,
			CAST(SUM(t.price_minor * h.qty) OVER shop AS BIGINT) AS total`
		window = ` WINDOW shop AS (PARTITION BY t.shop_id), w AS (shop ORDER BY h.pos)`
	}
	return `lines AS (SELECT x.*, x.total * ` + fee + ` / 10000 AS fee_minor,
		CASE WHEN x.creator_id IS NULL THEN 0 ELSE x.price_minor * x.qty * x.commission_bps / 10000 END AS commission_minor
		FROM (SELECT ` + extra + ` h.pos, h.qty, h.video_id, t.sku_id, t.product_id, t.code, t.price_minor, t.title, t.shop_id,
			t.commission_bps, t.available, ` + order + `, ` + creator + `
			FROM ` + rel + ` AS h JOIN ` + catalog.Reserved + ` AS t ON t.sku_id = h.sku_id` + join + window + `) AS x)`
}

// insertOrders writes one order per shop, from the first line of each.
func (pl *placement) insertOrders(s *Service, ship []byte) string {
	return insertOrdersSQL(pl.buyer, pl.p.Add(s.cfg.Currency), pl.p.Add(string(ship)),
		pl.p.Add(pl.now.Add(s.cfg.ReservationTTL)), pl.p.Add(pl.now))
}

// insertOrdersSQL writes an order for each line of lines at position 0;
// the arguments are placeholders or columns.
func insertOrdersSQL(buyer, currency, ship, expires, now string) string {
	return `INSERT INTO orders (id, buyer_id, shop_id, state, currency, total_minor, fee_minor, shipping, expires_at, created_at, updated_at)
		SELECT order_id, ` + buyer + `, shop_id, 'pending_payment', ` + currency + `, total, fee_minor, ` + ship + `, ` +
		expires + `, ` + now + `, ` + now + `
		FROM lines WHERE position = 0`
}

// insertLines writes the lines. It aborts the statement if keyed and the
// note on the key (CTE k) found the claim taken over, or if there are
// several lines and not every one was reserved.
func (pl *placement) insertLines(keyed bool) string {
	var guards []string
	if keyed {
		guards = append(guards, `WHEN NOT EXISTS (SELECT 1 FROM k) THEN reelmart_abort('`+abortSuperseded+`')`)
	}
	if pl.n > 1 {
		guards = append(guards, `WHEN (SELECT COUNT(*) FROM `+catalog.Reserved+`) <> `+pl.p.Add(pl.n)+` THEN reelmart_abort('order incomplete')`)
	}
	if len(guards) == 0 {
		return insertLinesSQL(`position`)
	}
	return insertLinesSQL(`CASE ` + strings.Join(guards, ` `) + ` ELSE position END`)
}

// insertLinesSQL writes the lines of lines, each at position (an expression).
func insertLinesSQL(position string) string {
	return `INSERT INTO order_lines (order_id, position, sku_id, product_id, title, sku_code, qty, unit_price_minor,
		commission_bps, commission_minor, source_video_id, creator_id)
		SELECT order_id, ` + position + `, sku_id, product_id, title, code, qty, price_minor, commission_bps, commission_minor,
		video_id, creator_id FROM lines`
}

// placedCols are the columns of lines the placement returns.
const placedCols = `order_id, position, sku_id, product_id, title, code, qty, price_minor, commission_bps, commission_minor,
	video_id, creator_id, shop_id, total, fee_minor, available`

// placeOnce places the orders, or returns errNotPlaced or errConflict
// with nothing written (or ErrKeySuperseded, when claim was taken over).
// It also returns the SKUs the orders left with nothing available, for the
// search index. With a claim, the orders are noted on its key as the line
// ids joined by commas (the orders' ids are among them).
func (s *Service) placeOnce(ctx context.Context, buyerID string, items []ItemInput, ship Shipping, fromCart bool, claim *Claim) ([]Order, []string, error) {
	shipJSON, err := json.Marshal(ship)
	if err != nil {
		return nil, nil, fmt.Errorf("checkout: encode shipping: %w", err)
	}
	pl := s.newPlacement(buyerID, items)
	fee := pl.p.Add(int64(s.cfg.PlatformFeeBps))
	if s.db.Dialect() == db.Postgres {
		rel, hv := pl.reserve()
		q := `WITH ` + pl.h + hv + `, ` + catalog.Reservation{Wanted: rel}.CTEs() + `, ` + pl.lines(fee) +
			`, o AS (` + pl.insertOrders(s, shipJSON) + `), ` + catalog.StockFlipsCTE("lines", pl.p.Add(pl.now))
		if claim != nil {
			q += `, ` + claim.noteCTE(&pl.p, strings.Join(pl.oids, ","), "lines")
		}
		q += `, l AS (` + pl.insertLines(claim != nil) + `)`
		if fromCart {
			q += `, cleared AS (DELETE FROM cart_items WHERE user_id = ` + pl.buyer + ` AND sku_id IN (SELECT sku_id FROM ` + catalog.Reserved + `))`
		}
		rows, err := s.db.QueryContext(ctx, q+` SELECT `+placedCols+` FROM lines`, pl.p...)
		if err != nil {
			return nil, nil, placeErr(err)
		}
		return s.scanPlaced(rows, buyerID, ship, pl)
	}
	var orders []Order
	var flipped []string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := claim.note(ctx, tx, strings.Join(pl.oids, ",")); err != nil {
			return err
		}
		rel, hv := pl.reserve()
		res, err := tx.ExecContext(ctx, `WITH `+pl.h+hv+` `+catalog.Reservation{Wanted: rel}.Update(), pl.p[:pl.hParams]...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if int(n) != pl.n {
			return errNotPlaced
		}
		// Each statement is built on the parameters of h and the fee, and
		// adds its own. Every line of h was reserved (hv, if any, had them
		// all), so the reserved SKUs are read over h.
		base := slices.Clone(pl.p)
		with := `WITH ` + pl.h + `, ` + catalog.Reservation{Wanted: "h"}.ReadReserved() + `, ` + pl.lines(fee) + ` `
		for _, build := range []func() string{
			func() string { return pl.insertOrders(s, shipJSON) },
			func() string { return pl.insertLines(false) },
		} {
			pl.p = slices.Clone(base)
			if _, err := tx.ExecContext(ctx, with+build(), pl.p...); err != nil {
				return placeErr(err)
			}
		}
		if fromCart {
			if _, err := tx.ExecContext(ctx, `WITH `+pl.h+` DELETE FROM cart_items WHERE user_id = `+pl.buyer+
				` AND sku_id IN (SELECT sku_id FROM h)`, base[:pl.hParams]...); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, with+`SELECT `+placedCols+` FROM lines`, base...)
		if err != nil {
			return err
		}
		if orders, flipped, err = s.scanPlaced(rows, buyerID, ship, pl); err != nil {
			return err
		}
		return catalog.RecordStockFlips(ctx, tx, flipped, pl.now)
	})
	return orders, flipped, err
}

// placedLine is one row of placedCols.
type placedLine struct {
	Line
	orderID, shopID string
	position        int
	total, fee      int64
	available       int // the SKU's availability after the placement
}

// scanPlacedLine scans the current row of placedCols.
func (s *Service) scanPlacedLine(rows *sql.Rows) (placedLine, error) {
	var l placedLine
	var price int64
	var video, creator sql.NullString
	if err := rows.Scan(&l.orderID, &l.position, &l.SKUID, &l.ProductID, &l.Title, &l.SKUCode, &l.Qty, &price,
		&l.bps, &l.commission, &video, &creator, &l.shopID, &l.total, &l.fee, &l.available); err != nil {
		return l, err
	}
	l.UnitPrice, l.Subtotal = s.money(price), s.money(price*int64(l.Qty))
	if video.Valid {
		l.SourceVideoID = &video.String
	}
	l.creatorID = creator.String
	return l, nil
}

// newOrder is an order just placed, before its lines are added.
func (s *Service) newOrder(l placedLine, buyerID string, ship Shipping, now time.Time) Order {
	return Order{ID: l.orderID, BuyerID: buyerID, ShopID: l.shopID, State: StatePendingPayment,
		Total: s.money(l.total), Shipping: ship, ExpiresAt: now.Add(s.cfg.ReservationTTL), CreatedAt: now,
		UpdatedAt: now, Events: []Event{creationEvent(buyerID, now)}, fee: l.fee}
}

// scanPlaced builds the orders from the placed lines, sorted by shop id,
// lines in position order. A placement aborted by reelmart_abort, or that
// returned no line, is errNotPlaced.
func (s *Service) scanPlaced(rows *sql.Rows, buyerID string, ship Shipping, pl *placement) ([]Order, []string, error) {
	defer rows.Close()
	var got []placedLine
	var flipped []string
	for rows.Next() {
		l, err := s.scanPlacedLine(rows)
		if err != nil {
			return nil, nil, placeErr(err)
		}
		if l.available <= 0 && l.available+l.Qty > 0 {
			flipped = append(flipped, l.SKUID)
		}
		got = append(got, l)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, placeErr(err)
	}
	if len(got) == 0 {
		return nil, nil, errNotPlaced
	}
	if len(got) != pl.n {
		return nil, nil, fmt.Errorf("checkout: placement returned %d lines for %d requested", len(got), pl.n)
	}
	slices.SortFunc(got, func(a, b placedLine) int {
		return cmp.Or(strings.Compare(a.shopID, b.shopID), cmp.Compare(a.position, b.position))
	})
	var out []Order
	for _, l := range got {
		if l.position == 0 {
			out = append(out, s.newOrder(l, buyerID, ship, pl.now))
		}
		o := &out[len(out)-1]
		o.Lines = append(o.Lines, l.Line)
	}
	return out, flipped, nil
}

// placeErr is errNotPlaced for a placement aborted by reelmart_abort (or
// ErrKeySuperseded when the fence stopped it), and errConflict for one
// rolled back by a deadlock or serialization failure.
func placeErr(err error) error {
	if reason, ok := db.Aborted(err); ok {
		if reason == abortSuperseded {
			return ErrKeySuperseded
		}
		return errNotPlaced
	}
	if db.Retryable(err) {
		return fmt.Errorf("%w: %w", errConflict, err)
	}
	return fmt.Errorf("checkout: place order: %w", err)
}

// explain finds out why a placement of items failed, from a fresh read, and
// returns the error to give the buyer; nil means nothing is wrong any more
// (the stock came back, or expired orders were just cancelled to free it)
// and the placement is worth another try.
func (s *Service) explain(ctx context.Context, items []ItemInput) error {
	skus := make([]string, len(items))
	var videos []string
	for i, it := range items {
		skus[i] = it.SKUID
		if it.SourceVideoID != nil {
			videos = append(videos, *it.SourceVideoID)
		}
	}
	avail, err := s.stock.Availabilities(ctx, s.db, skus)
	if err != nil {
		return err
	}
	found, err := s.existingVideos(ctx, videos)
	if err != nil {
		return err
	}
	var bad []reelmart.FieldError
	for i, it := range items {
		if _, ok := avail[it.SKUID]; !ok {
			bad = append(bad, reelmart.FieldError{Field: fmt.Sprintf("items[%d].sku_id", i), Message: "no such SKU"})
		}
		if it.SourceVideoID != nil && !found[*it.SourceVideoID] {
			bad = append(bad, reelmart.FieldError{Field: fmt.Sprintf("items[%d].source_video_id", i), Message: "no such video"})
		}
	}
	if err := reelmart.Invalid(bad); err != nil {
		return err
	}
	var short []string
	for _, it := range items {
		a := avail[it.SKUID]
		if a.Status != catalog.StatusActive {
			return catalog.ErrNotForSale
		}
		if a.Available < it.Qty {
			short = append(short, it.SKUID)
		}
	}
	if len(short) == 0 {
		return nil
	}
	// Orders past their expiry hold stock until they are cancelled; do
	// that now rather than turn this buyer away.
	n, err := s.Sweep(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return catalog.OutOfStock(short)
}

// existingVideos reports which of ids are videos.
func (s *Service) existingVideos(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids, 1)
	found, err := s.ids(ctx, "load videos", `SELECT id FROM videos WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
