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

// Reservation is the part of checkout's placement statement that reserves
// stock. Placing an order is one statement on PostgreSQL (reserve, price,
// insert, as writable CTEs), so that it costs one round trip and one
// commit; a reservation of its own would give that up. So catalog does not
// reserve by a call: it writes the reserving part of checkout's statement,
// and this type is the whole of that boundary.
//
// The input is a relation of the caller's statement, named by Wanted, with
// the columns sku_id (TEXT) and qty (INTEGER), one row per SKU unless
// SumPerSKU. The output is the relation named Reserved: one row per SKU
// reserved, with the columns ReservedColumns lists. A wanted SKU that is
// missing, not on sale or short gets no row, and a caller that gets fewer
// rows than it wanted must not commit (checkout aborts its statement, or
// rolls its transaction back). Every reservation is one conditional UPDATE
// per SKU (WHERE stock - reserved >= qty): the check is the write.
//
// On PostgreSQL the caller puts CTEs into its WITH clause. SQLite has no
// writable CTEs and its UPDATE … RETURNING cannot name the columns of FROM
// tables, so there the caller runs Update as a statement of its own and
// reads the reserved SKUs with ReadReserved in the next statements of the
// same transaction (which holds the database, so they are the values
// reserved).
type Reservation struct {
	// Wanted names the relation of quantities to reserve.
	Wanted string
	// SkipLocked (PostgreSQL) reserves only the SKUs that no other
	// transaction holds locked at the moment, and locks them without
	// waiting for any: the statement can neither be held up by a slow
	// transaction nor deadlock. The rows of Wanted left out are not in
	// Free, which names the rows taken.
	SkipLocked bool
	// SumPerSKU lets several rows of Wanted name one SKU; they reserve
	// their sum, all or none.
	SumPerSKU bool
}

// Relations a Reservation defines in the caller's statement.
const (
	// Reserved is the relation of SKUs reserved, with ReservedColumns.
	Reserved = "reserved"
	// Free (with SkipLocked) is the rows of Wanted whose SKU was free, as
	// they were in Wanted.
	Free = "free"
	// ReservedColumns are the columns of Reserved: what an order freezes of
	// a SKU, and what is still available after the reservation.
	ReservedColumns = "sku_id, product_id, code, price_minor, title, shop_id, commission_bps, available"
)

// CTEs returns, for PostgreSQL, the entries of a WITH clause that reserve
// Wanted's quantities, to follow the entry that defines Wanted: Free (with
// SkipLocked), the sum per SKU (with SumPerSKU), and Reserved, the
// conditional UPDATE returning ReservedColumns.
func (r Reservation) CTEs() string {
	from, ctes := r.Wanted, ""
	if r.SkipLocked {
		ctes = Free + ` AS (SELECT w.* FROM ` + from + ` AS w JOIN skus AS k ON k.id = w.sku_id FOR NO KEY UPDATE OF k SKIP LOCKED), `
		from = Free
	}
	if r.SumPerSKU {
		ctes += `wanted_sum AS (SELECT sku_id, CAST(SUM(qty) AS INTEGER) AS qty FROM ` + from + ` GROUP BY sku_id), `
		from = "wanted_sum"
	}
	return ctes + Reserved + ` AS (` + r.update(from) + ` RETURNING k.id AS sku_id, k.product_id, k.code, k.price_minor,
		p.title, p.shop_id, p.commission_bps, k.stock - k.reserved AS available)`
}

// Update returns, for SQLite, the reserving UPDATE as a statement of its
// own, to follow a WITH clause that defines Wanted. It returns one row
// (sku_id) per SKU reserved. SkipLocked and SumPerSKU do not apply: a
// SQLite transaction holds the whole database.
func (r Reservation) Update() string {
	return r.update(r.Wanted) + ` RETURNING id AS sku_id`
}

// ReadReserved returns, for SQLite, the WITH entry that defines Reserved
// in the statements after Update in the same transaction.
func (r Reservation) ReadReserved() string {
	return Reserved + ` AS (SELECT k.id AS sku_id, k.product_id, k.code, k.price_minor, p.title, p.shop_id, p.commission_bps,
		k.stock - k.reserved AS available
		FROM ` + r.Wanted + ` AS w JOIN skus AS k ON k.id = w.sku_id JOIN products AS p ON p.id = k.product_id)`
}

// update is the reservation itself: each SKU of from takes its quantity
// if its product is on sale and it has that much available.
func (r Reservation) update(from string) string {
	return `UPDATE skus AS k SET reserved = k.reserved + w.qty
		FROM ` + from + ` AS w, products AS p
		WHERE k.id = w.sku_id AND p.id = k.product_id AND p.status = 'active' AND k.stock - k.reserved >= w.qty`
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
