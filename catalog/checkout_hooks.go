package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// What checkout needs of stock. A SKU's reserved column is the quantity
// held by unpaid orders; its available stock is stock - reserved, and the
// table's CHECK keeps 0 <= reserved <= stock. Every change is one
// conditional UPDATE per SKU: the check and the write are the same
// statement, never a read in Go followed by a write, so PostgreSQL's row
// lock and re-check of the WHERE clause decide between concurrent buyers.
// Statements that touch several SKUs do so in SKU id order, so two of them
// never deadlock.

// Hold is a quantity of one SKU.
type Hold struct {
	SKUID string
	Qty   int
}

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

// ReserveSQL returns the statement that reserves, for each row of the
// relation named rel (columns sku_id and qty, one row per SKU), qty units
// of a SKU of an active product that has them available. It returns one row
// per SKU it reserved, with what an order freezes of it (sku_id,
// product_id, code, price_minor, title, shop_id and commission_bps) and
// what is still available after it.
// Checkout runs it as the first part of placing an order (on PostgreSQL as
// a writable CTE of the same statement that writes the order); a caller
// that gets fewer rows than rel has must not commit.
//
// SQLite cannot return columns of the FROM tables from an UPDATE, so there
// it returns sku_id only; ReservedSKUsSQL reads the rest.
func ReserveSQL(dialect db.Dialect, rel string) string {
	returning := `k.id AS sku_id, k.product_id, k.code, k.price_minor, p.title, p.shop_id, p.commission_bps,
		k.stock - k.reserved AS available`
	if dialect == db.SQLite {
		returning = `id AS sku_id` // SQLite's RETURNING names the target table's columns bare
	}
	return `UPDATE skus AS k SET reserved = k.reserved + h.qty
		FROM ` + rel + ` AS h, products AS p
		WHERE k.id = h.sku_id AND p.id = k.product_id AND p.status = 'active' AND k.stock - k.reserved >= h.qty
		RETURNING ` + returning
}

// FreeRowsSQL (PostgreSQL only) selects the rows of rel (which has a
// column sku_id) whose SKU no other transaction holds locked at the
// moment, and locks those SKUs without waiting for any: a statement that
// reserves from it never waits for a lock, and so can neither be held up
// by a slow transaction nor deadlock. The rows whose
// SKU was locked are simply left out. Reserving from it re-checks each SKU
// against its latest version, as ReserveSQL always does.
func FreeRowsSQL(rel string) string {
	return `SELECT h.* FROM ` + rel + ` AS h JOIN skus AS k ON k.id = h.sku_id FOR NO KEY UPDATE OF k SKIP LOCKED`
}

// ReservedSKUsSQL selects for each row of rel the same columns as
// ReserveSQL returns on PostgreSQL, for SQLite to read after reserving (its
// transaction holds the database, so they are the values reserved).
func ReservedSKUsSQL(rel string) string {
	return `SELECT k.id AS sku_id, k.product_id, k.code, k.price_minor, p.title, p.shop_id, p.commission_bps,
		k.stock - k.reserved AS available
		FROM ` + rel + ` AS h JOIN skus AS k ON k.id = h.sku_id JOIN products AS p ON p.id = k.product_id`
}

// Availability is what a buyer may know of a SKU: whether its product is
// on sale and how much is available.
type Availability struct {
	Status    Status
	Available int
}

// Availabilities returns the availability of every existing SKU of ids.
// Outside a transaction it is a moment's view: use it to explain a
// reservation that failed, not to decide one.
func (s *Service) Availabilities(ctx context.Context, q db.Querier, ids []string) (map[string]Availability, error) {
	out := make(map[string]Availability, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT k.id, p.status, k.stock - k.reserved FROM skus k JOIN products p ON p.id = k.product_id
		WHERE k.id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: load availability: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var a Availability
		if err := rows.Scan(&id, &status, &a.Available); err != nil {
			return nil, fmt.Errorf("catalog: load availability: %w", err)
		}
		a.Status = Status(status)
		out[id] = a
	}
	return out, rows.Err()
}

// Reserve reserves every hold inside the caller's transaction, all or
// nothing: on failure the caller must roll back. It returns ErrSKUNotFound,
// ErrNotForSale, or OutOfStock naming every SKU with less available than
// asked. After the transaction commits, call StockChanged so search sees
// the new availability.
func (s *Service) Reserve(ctx context.Context, tx *sql.Tx, holds []Hold) error {
	holds = mergeHolds(holds)
	var p db.Params
	rows := make([]string, len(holds))
	ids := make([]string, len(holds))
	for i, h := range holds {
		if h.Qty <= 0 {
			return reelmart.Invalid([]reelmart.FieldError{{Field: "qty", Message: "must be at least 1"}})
		}
		rows[i] = "(" + p.Add(h.SKUID) + ", CAST(" + p.Add(h.Qty) + " AS INTEGER))"
		ids[i] = h.SKUID
	}
	got, err := tx.QueryContext(ctx, `WITH h (sku_id, qty) AS (VALUES `+strings.Join(rows, ", ")+`) `+
		ReserveSQL(s.db.Dialect(), "h"), p...)
	if err != nil {
		return fmt.Errorf("catalog: reserve: %w", err)
	}
	// ReserveSQL returns sku_id first, and more columns on PostgreSQL.
	names, err := got.Columns()
	if err != nil {
		got.Close()
		return fmt.Errorf("catalog: reserve: %w", err)
	}
	var id string
	cols := []any{&id}
	for range names[1:] {
		cols = append(cols, new(any))
	}
	reserved := map[string]bool{}
	for got.Next() {
		if err := got.Scan(cols...); err != nil {
			got.Close()
			return fmt.Errorf("catalog: reserve: %w", err)
		}
		reserved[id] = true
	}
	got.Close()
	if err := got.Err(); err != nil {
		return fmt.Errorf("catalog: reserve: %w", err)
	}
	if len(reserved) == len(holds) {
		return nil
	}
	avail, err := s.Availabilities(ctx, tx, ids)
	if err != nil {
		return err
	}
	// The SKUs the statement did reserve are not short (their availability
	// now counts this reservation); the caller rolls it all back.
	var short []string
	for _, h := range holds {
		a, ok := avail[h.SKUID]
		switch {
		case reserved[h.SKUID]:
		case !ok:
			return ErrSKUNotFound
		case a.Status != StatusActive:
			return ErrNotForSale
		default:
			short = append(short, h.SKUID)
		}
	}
	return OutOfStock(short)
}

// Release gives back holds that an unpaid order held (it was cancelled or
// expired) inside the caller's transaction. It returns the SKUs changed.
func (s *Service) Release(ctx context.Context, tx *sql.Tx, holds []Hold) ([]string, error) {
	now := s.now()
	var skus []string
	for _, h := range mergeHolds(holds) {
		res, err := tx.ExecContext(ctx, `UPDATE skus SET reserved = reserved - $1, updated_at = $2 WHERE id = $3 AND reserved >= $1`,
			h.Qty, now, h.SKUID)
		if err != nil {
			return nil, fmt.Errorf("catalog: release %s: %w", h.SKUID, err)
		}
		if err := oneRow(res, "release", h); err != nil {
			if !s.skuExists(ctx, tx, h.SKUID) {
				continue // deleted with its shop: nothing left to give back
			}
			return nil, err
		}
		skus = append(skus, h.SKUID)
	}
	return skus, nil
}

// Sell turns holds into sold stock inside the caller's transaction (the
// order that held them was paid): stock and reserved both go down, so what
// is available does not change. Each change is recorded in stock_changes
// with reason "sold" by userID. It returns the SKUs changed.
func (s *Service) Sell(ctx context.Context, tx *sql.Tx, holds []Hold, userID string) ([]string, error) {
	return s.moveStock(ctx, tx, holds, -1, userID, "sold")
}

// Restock puts holds back into stock inside the caller's transaction (a
// paid order was cancelled or refunded), recording each change with reason
// and userID. It returns the SKUs changed.
func (s *Service) Restock(ctx context.Context, tx *sql.Tx, holds []Hold, userID, reason string) ([]string, error) {
	return s.moveStock(ctx, tx, holds, 1, userID, reason)
}

func (s *Service) moveStock(ctx context.Context, tx *sql.Tx, holds []Hold, sign int, userID, reason string) ([]string, error) {
	now := s.now()
	var skus []string
	for _, h := range mergeHolds(holds) {
		// Selling takes the quantity out of reserved as well; restocking
		// adds to stock only.
		var stock int
		q := `UPDATE skus SET stock = stock + $1, updated_at = $2 WHERE id = $3 RETURNING stock`
		if sign < 0 {
			q = `UPDATE skus SET stock = stock - $1, reserved = reserved - $1, updated_at = $2 WHERE id = $3 AND reserved >= $1 RETURNING stock`
		}
		err := tx.QueryRowContext(ctx, q, h.Qty, now, h.SKUID).Scan(&stock)
		if errors.Is(err, db.ErrNoRows) {
			if !s.skuExists(ctx, tx, h.SKUID) {
				// Deleted with its shop: it cannot be sold, and there is
				// nothing to put stock back into.
				if sign < 0 {
					return nil, ErrNotForSale
				}
				continue
			}
			return nil, fmt.Errorf("catalog: %s %s: less reserved than %d", reason, h.SKUID, h.Qty)
		}
		if err != nil {
			return nil, fmt.Errorf("catalog: %s %s: %w", reason, h.SKUID, err)
		}
		if err := recordStockChange(ctx, tx, h.SKUID, userID, now, stock-sign*h.Qty, stock, reason); err != nil {
			return nil, err
		}
		skus = append(skus, h.SKUID)
	}
	return skus, nil
}

// skuExists reports whether the SKU is still there (a merchant's account
// deletion takes its shop, products and SKUs; orders outlive them).
func (s *Service) skuExists(ctx context.Context, tx *sql.Tx, id string) bool {
	var one int
	return tx.QueryRowContext(ctx, `SELECT 1 FROM skus WHERE id = $1`, id).Scan(&one) == nil
}

// oneRow turns a conditional UPDATE that matched nothing into an error: the
// caller's bookkeeping and the SKU disagree, which is a bug, not a client
// error.
func oneRow(res sql.Result, what string, h Hold) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("catalog: %s %s: %w", what, h.SKUID, err)
	}
	if n != 1 {
		return fmt.Errorf("catalog: %s %s: no such SKU, or less reserved than %d", what, h.SKUID, h.Qty)
	}
	return nil
}
