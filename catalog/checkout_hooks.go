package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
)

// What checkout needs beyond Reserve: holding every line of an order in one
// step (naming all SKUs that are short), turning a paid order's holds into
// sold stock, and putting stock back when a paid order is cancelled or
// refunded. Each takes the SKU row lock first (lockSKU), in SKU id order so
// two multi-SKU orders never deadlock, and then changes stock or
// reservations with one conditional statement: the check and the write are
// the same statement, never a read in Go followed by a write.

// Hold is a quantity of one SKU.
type Hold struct {
	SKUID string
	Qty   int
}

// ErrReservationLapsed is returned by SellOrder when an order's reservation
// expired and its stock has since been reserved by someone else.
var ErrReservationLapsed = &reelmart.Error{Kind: reelmart.KindConflict, Code: "reservation_expired",
	Message: "the order's reservation expired and the stock is no longer available"}

// OutOfStock returns the out_of_stock error naming skuIDs: one entry in
// Fields per SKU (field "sku_id", the message carries the id).
func OutOfStock(skuIDs []string) *reelmart.Error {
	e := &reelmart.Error{Kind: reelmart.KindConflict, Code: "out_of_stock",
		Message: "not enough stock is available for SKU " + strings.Join(skuIDs, ", ")}
	for _, id := range skuIDs {
		e.Fields = append(e.Fields, reelmart.FieldError{Field: "sku_id", Message: id})
	}
	return e
}

// mergeHolds sums holds per SKU and sorts them by SKU id (the lock order).
func mergeHolds(holds []Hold) []Hold {
	sum := map[string]int{}
	for _, h := range holds {
		sum[h.SKUID] += h.Qty
	}
	out := make([]Hold, 0, len(sum))
	for id, q := range sum {
		out = append(out, Hold{SKUID: id, Qty: q})
	}
	slices.SortFunc(out, func(a, b Hold) int { return strings.Compare(a.SKUID, b.SKUID) })
	return out
}

// ReserveOrder reserves every hold for orderID until expiresAt inside the
// caller's transaction. Either all are reserved or the caller must roll
// back: it returns ErrSKUNotFound, ErrNotForSale, or OutOfStock naming every
// SKU with less available than asked.
func (s *Service) ReserveOrder(ctx context.Context, tx *sql.Tx, orderID string, holds []Hold, expiresAt time.Time) error {
	now := s.now()
	expiresAt = expiresAt.UTC().Truncate(time.Microsecond)
	var short []string
	for _, h := range mergeHolds(holds) {
		if _, err := lockSKU(ctx, tx, h.SKUID); err != nil {
			return err
		}
		// With the row lock held, this statement's snapshot sees every
		// committed reservation of the SKU (READ COMMITTED takes a new
		// snapshot per statement), and no other reservation can commit
		// until this transaction ends.
		res, err := tx.ExecContext(ctx, `INSERT INTO reservations (id, sku_id, qty, expires_at, order_id, created_at)
			SELECT $1, k.id, $3, $4, $5, $6 FROM skus k JOIN products p ON p.id = k.product_id
			WHERE k.id = $2 AND p.status = 'active'
			AND k.stock - (SELECT COALESCE(SUM(r.qty), 0) FROM reservations r WHERE r.sku_id = $2 AND r.expires_at > $6) >= $7`,
			reelmart.NewID(), h.SKUID, h.Qty, expiresAt, orderID, now, h.Qty)
		if err != nil {
			return fmt.Errorf("catalog: reserve %s: %w", h.SKUID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("catalog: reserve %s: %w", h.SKUID, err)
		} else if n == 1 {
			continue
		}
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT p.status FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`,
			h.SKUID).Scan(&status); err != nil {
			return fmt.Errorf("catalog: load product status: %w", err)
		}
		if Status(status) != StatusActive {
			return ErrNotForSale
		}
		short = append(short, h.SKUID)
	}
	if len(short) > 0 {
		return OutOfStock(short)
	}
	return nil
}

// SellOrder turns the reservations of orderID into sold stock inside the
// caller's transaction (the order was paid): each SKU's stock goes down by
// the reserved quantity, recorded in stock_changes with reason "sold" by
// userID, and the reservations are deleted. It returns the SKUs changed, or
// ErrReservationLapsed when a reservation expired and the stock went to
// someone else meanwhile.
func (s *Service) SellOrder(ctx context.Context, tx *sql.Tx, orderID, userID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT sku_id, SUM(qty) FROM reservations WHERE order_id = $1 GROUP BY sku_id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("catalog: load order reservations: %w", err)
	}
	var holds []Hold
	for rows.Next() {
		var h Hold
		if err := rows.Scan(&h.SKUID, &h.Qty); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: load order reservations: %w", err)
		}
		holds = append(holds, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: load order reservations: %w", err)
	}
	if len(holds) == 0 {
		return nil, ErrReservationLapsed
	}
	now := s.now()
	var skus []string
	for _, h := range mergeHolds(holds) {
		old, err := lockSKU(ctx, tx, h.SKUID)
		if err != nil {
			return nil, err
		}
		// Others' live reservations must still fit in what is left.
		res, err := tx.ExecContext(ctx, `UPDATE skus SET stock = stock - $1, updated_at = $2 WHERE id = $3 AND stock - $1 >=
			(SELECT COALESCE(SUM(qty), 0) FROM reservations WHERE sku_id = $3 AND expires_at > $2 AND (order_id IS NULL OR order_id <> $4))`,
			h.Qty, now, h.SKUID, orderID)
		if err != nil {
			return nil, fmt.Errorf("catalog: sell %s: %w", h.SKUID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("catalog: sell %s: %w", h.SKUID, err)
		} else if n == 0 {
			return nil, ErrReservationLapsed
		}
		if err := recordStockChange(ctx, tx, h.SKUID, userID, now, old, old-h.Qty, "sold"); err != nil {
			return nil, err
		}
		skus = append(skus, h.SKUID)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reservations WHERE order_id = $1`, orderID); err != nil {
		return nil, fmt.Errorf("catalog: delete sold reservations: %w", err)
	}
	return skus, nil
}

// Restock puts holds back into stock inside the caller's transaction (a
// paid order was cancelled or refunded), recording each change with reason
// and userID. It returns the SKUs changed.
func (s *Service) Restock(ctx context.Context, tx *sql.Tx, holds []Hold, userID, reason string) ([]string, error) {
	now := s.now()
	var skus []string
	for _, h := range mergeHolds(holds) {
		old, err := lockSKU(ctx, tx, h.SKUID)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE skus SET stock = stock + $1, updated_at = $2 WHERE id = $3`, h.Qty, now, h.SKUID); err != nil {
			return nil, fmt.Errorf("catalog: restock %s: %w", h.SKUID, err)
		}
		if err := recordStockChange(ctx, tx, h.SKUID, userID, now, old, old+h.Qty, reason); err != nil {
			return nil, err
		}
		skus = append(skus, h.SKUID)
	}
	return skus, nil
}
