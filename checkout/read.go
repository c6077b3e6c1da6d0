package checkout

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/reelmart/reelmart/platform/db"
)

// load reads the order with id, lines and events included, or returns ErrOrderNotFound.
func (s *Service) load(ctx context.Context, q db.Querier, id string) (Order, error) {
	var o Order
	var ship string
	var method string
	var total int64
	err := q.QueryRowContext(ctx, `SELECT id, buyer_id, shop_id, state, total_minor, fee_minor, shipping, carrier, tracking,
		payment_method, expires_at, created_at, updated_at FROM orders WHERE id = $1`, id).Scan(
		&o.ID, &o.BuyerID, &o.ShopID, &o.State, &total, &o.fee, &ship, &o.Carrier, &o.Tracking, &method, &o.ExpiresAt, &o.CreatedAt, &o.UpdatedAt)
	if errors.Is(err, db.ErrNoRows) {
		return Order{}, ErrOrderNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("checkout: load order: %w", err)
	}
	o.Total = s.money(total)
	o.ExpiresAt, o.CreatedAt, o.UpdatedAt = o.ExpiresAt.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if method != "" {
		o.PaymentMethod = &method
	}
	if err := json.Unmarshal([]byte(ship), &o.Shipping); err != nil {
		return Order{}, fmt.Errorf("checkout: decode shipping: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT sku_id, product_id, title, sku_code, qty, unit_price_minor, commission_minor,
		source_video_id, creator_id FROM order_lines WHERE order_id = $1 ORDER BY position`, id)
	if err != nil {
		return Order{}, fmt.Errorf("checkout: load order lines: %w", err)
	}
	for rows.Next() {
		var l Line
		var price int64
		var video, creator sql.NullString
		if err := rows.Scan(&l.SKUID, &l.ProductID, &l.Title, &l.SKUCode, &l.Qty, &price, &l.commission, &video, &creator); err != nil {
			rows.Close()
			return Order{}, fmt.Errorf("checkout: scan order line: %w", err)
		}
		l.UnitPrice, l.Subtotal = s.money(price), s.money(price*int64(l.Qty))
		if video.Valid {
			l.SourceVideoID = &video.String
		}
		l.creatorID = creator.String
		o.Lines = append(o.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Order{}, fmt.Errorf("checkout: load order lines: %w", err)
	}
	rows, err = q.QueryContext(ctx, `SELECT from_state, to_state, actor_id, at FROM order_events WHERE order_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return Order{}, fmt.Errorf("checkout: load order events: %w", err)
	}
	defer rows.Close()
	o.Events = []Event{creationEvent(o.BuyerID, o.CreatedAt)}
	for rows.Next() {
		var e Event
		var from string
		if err := rows.Scan(&from, &e.To, &e.ActorID, &e.At); err != nil {
			return Order{}, fmt.Errorf("checkout: scan order event: %w", err)
		}
		if from != "" {
			f := State(from)
			e.From = &f
		}
		e.At = e.At.UTC()
		o.Events = append(o.Events, e)
	}
	return o, rows.Err()
}

// shopOwner returns the owner of shopID, or ErrShopNotFound.
func (s *Service) shopOwner(ctx context.Context, q db.Querier, shopID string) (string, error) {
	var owner string
	err := q.QueryRowContext(ctx, `SELECT owner_id FROM shops WHERE id = $1`, shopID).Scan(&owner)
	if errors.Is(err, db.ErrNoRows) {
		return "", ErrShopNotFound
	}
	if err != nil {
		return "", fmt.Errorf("checkout: load shop owner: %w", err)
	}
	return owner, nil
}

// Order returns the order with id to its buyer or its shop's owner; to
// anyone else it returns ErrOrderNotFound, hiding that it exists.
func (s *Service) Order(ctx context.Context, userID, id string) (Order, error) {
	o, err := s.load(ctx, s.db, id)
	if err != nil {
		return Order{}, err
	}
	if o.BuyerID == userID {
		return o, nil
	}
	owner, err := s.shopOwner(ctx, s.db, o.ShopID)
	if err != nil {
		return Order{}, err
	}
	if owner != userID {
		return Order{}, ErrOrderNotFound
	}
	return o, nil
}

// Orders returns buyerID's orders, newest first, after cursor.
func (s *Service) Orders(ctx context.Context, buyerID, cursor string, limit int) (Page[Order], error) {
	return s.listOrders(ctx, `buyer_id = $1`, buyerID, cursor, limit)
}

// ShopOrders returns the orders of shopID to its owner, newest first. It
// returns ErrShopNotFound or ErrNotShopOwner.
func (s *Service) ShopOrders(ctx context.Context, userID, shopID, cursor string, limit int) (Page[Order], error) {
	owner, err := s.shopOwner(ctx, s.db, shopID)
	if err != nil {
		return Page[Order]{}, err
	}
	if owner != userID {
		return Page[Order]{}, ErrNotShopOwner
	}
	return s.listOrders(ctx, `shop_id = $1`, shopID, cursor, limit)
}

func (s *Service) listOrders(ctx context.Context, where, arg, cursor string, limit int) (Page[Order], error) {
	limit = pageLimit(limit)
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM orders WHERE `+where+` AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`,
		arg, cursor, limit+1)
	if err != nil {
		return Page[Order]{}, fmt.Errorf("checkout: list orders: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Page[Order]{}, fmt.Errorf("checkout: list orders: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page[Order]{}, fmt.Errorf("checkout: list orders: %w", err)
	}
	out := Page[Order]{Items: []Order{}}
	if len(ids) > limit {
		ids = ids[:limit]
		out.NextCursor = ids[limit-1]
	}
	for _, id := range ids {
		o, err := s.load(ctx, s.db, id)
		if err != nil {
			return Page[Order]{}, err
		}
		out.Items = append(out.Items, o)
	}
	return out, nil
}

// inList returns "$from, $from+1, …" for len(ids) parameters and ids as args.
func inList(ids []string, from int) (string, []any) { return db.InList(ids, from) }
