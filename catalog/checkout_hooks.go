package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// What checkout needs beyond Reserve: holding every line of an order in one
// step (naming all SKUs that are short), turning a paid order's holds into
// sold stock, and putting stock back when a paid order is cancelled or
// refunded. Each takes the SKU row locks first (lockSKU, or LockSKUs for an
// order), in SKU id order so two multi-SKU orders never deadlock, and then
// changes stock or reservations with one conditional statement: the check
// and the write are the same statement, never a read in Go followed by a
// write.

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

// LockedSKU is what an order needs of a SKU, read under the SKU's row lock.
type LockedSKU struct {
	ProductID, Title, Code, ShopID string
	Status                         Status
	PriceMinor                     int64
	CommissionBps                  int
	Stock                          int
}

// LockSKUs takes the row lock of every SKU in ids inside the caller's
// transaction, in id order (so two orders never deadlock), and returns what
// an order needs of each, read under the lock. One statement per SKU:
// locking, reading the SKU and reading its product are the same round trip.
// Unknown ids are left out of the map.
func (s *Service) LockSKUs(ctx context.Context, tx *sql.Tx, ids []string) (map[string]LockedSKU, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make(map[string]LockedSKU, len(ids))
	for _, id := range ids {
		var k LockedSKU
		var status string
		err := tx.QueryRowContext(ctx, `UPDATE skus SET updated_at = updated_at WHERE id = $1
			RETURNING product_id, code, price_minor, stock,
			(SELECT p.title FROM products p WHERE p.id = skus.product_id),
			(SELECT p.shop_id FROM products p WHERE p.id = skus.product_id),
			(SELECT p.status FROM products p WHERE p.id = skus.product_id),
			(SELECT p.commission_bps FROM products p WHERE p.id = skus.product_id)`, id).
			Scan(&k.ProductID, &k.Code, &k.PriceMinor, &k.Stock, &k.Title, &k.ShopID, &status, &k.CommissionBps)
		if errors.Is(err, db.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("catalog: lock sku %s: %w", id, err)
		}
		k.Status = Status(status)
		out[id] = k
	}
	return out, nil
}

// OrderHold is a quantity of one SKU held for one order.
type OrderHold struct {
	OrderID, SKUID string
	Qty            int
}

// ReserveOrders reserves every hold until expiresAt inside the caller's
// transaction, which must already hold the row locks of the holds' SKUs
// (LockSKUs). The reservations are one conditional INSERT for all holds,
// run after the caller's statements in with as one db.Chain (one round
// trip on PostgreSQL; with must not read reservations). Taken after the
// locks, the statement's snapshot sees every committed reservation of the
// SKUs, and none can commit until the transaction ends, so the check in its
// WHERE is the write. Either all are reserved or the caller must roll back: it
// returns ErrNotForSale, or OutOfStock naming every SKU with less available
// than asked (in holds order). A SKU may appear in one hold only.
func (s *Service) ReserveOrders(ctx context.Context, tx *sql.Tx, holds []OrderHold, expiresAt time.Time, with ...db.Stmt) error {
	now := s.now()
	expiresAt = expiresAt.UTC().Truncate(time.Microsecond)
	args := []any{expiresAt, now}
	var values strings.Builder
	for i, h := range holds {
		if i > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "($%d, $%d, CAST($%d AS INTEGER), $%d)", n+1, n+2, n+3, n+4)
		args = append(args, reelmart.NewID(), h.SKUID, h.Qty, h.OrderID)
	}
	reserve := db.Stmt{SQL: `INSERT INTO reservations (id, sku_id, qty, expires_at, order_id, created_at)
		SELECT h.column1, k.id, h.column3, $1, h.column4, $2
		FROM (VALUES ` + values.String() + `) h JOIN skus k ON k.id = h.column2 JOIN products p ON p.id = k.product_id
		WHERE p.status = 'active'
		AND k.stock - (SELECT COALESCE(SUM(r.qty), 0) FROM reservations r WHERE r.sku_id = k.id AND r.expires_at > $2) >= h.column3
		RETURNING sku_id`, Args: args}
	rows, err := s.db.Chain(ctx, tx, append(with, reserve)...)
	if err != nil {
		return fmt.Errorf("catalog: reserve order: %w", err)
	}
	reserved := make(map[string]bool, len(holds))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("catalog: reserve order: %w", err)
		}
		reserved[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: reserve order: %w", err)
	}
	if len(reserved) == len(holds) {
		return nil
	}
	var short []string
	for _, h := range holds {
		if reserved[h.SKUID] {
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
	return OutOfStock(short)
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
