package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// ErrNotForSale is returned by Reserve for a SKU of a product that is not active.
var ErrNotForSale = &reelmart.Error{Kind: reelmart.KindConflict, Code: "product_not_for_sale", Message: "the product is not on sale"}

// StockChange is one recorded change of a SKU's stock.
type StockChange struct {
	SKUID     string    `json:"sku_id"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
	OldStock  int       `json:"old_stock"`
	NewStock  int       `json:"new_stock"`
	Reason    string    `json:"reason"` // "created" or "set"
}

// SetStock sets the absolute stock of the SKU with skuID for its shop's
// owner and records the change. It returns ErrSKUNotFound, ErrNotShopOwner,
// a validation error for a negative or huge stock, or ErrStockBelowReserved
// when live reservations hold more than stock.
func (s *Service) SetStock(ctx context.Context, userID, skuID string, stock int) (SKU, error) {
	var productID string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT k.product_id, s.owner_id FROM skus k
			JOIN products p ON p.id = k.product_id JOIN shops s ON s.id = p.shop_id WHERE k.id = $1`, skuID).Scan(&productID, &owner)
		if errors.Is(err, db.ErrNoRows) {
			return ErrSKUNotFound
		}
		if err != nil {
			return fmt.Errorf("catalog: load sku owner: %w", err)
		}
		if owner != userID {
			return ErrNotShopOwner
		}
		var p problems
		checkStock(&p, "stock", stock)
		if err := p.err(); err != nil {
			return err
		}
		old, err := lockSKU(ctx, tx, skuID)
		if err != nil {
			return err
		}
		now := s.now()
		// The row is locked, so no reservation can be added for it until we
		// commit: Reserve takes the same lock first.
		res, err := tx.ExecContext(ctx, `UPDATE skus SET stock = $1, updated_at = $2 WHERE id = $3
			AND $1 >= (SELECT COALESCE(SUM(qty), 0) FROM reservations WHERE sku_id = $3 AND expires_at > $2)`, stock, now, skuID)
		if err != nil {
			return fmt.Errorf("catalog: set stock: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("catalog: set stock: %w", err)
		} else if n == 0 {
			return ErrStockBelowReserved
		}
		if old == stock {
			return nil
		}
		return recordStockChange(ctx, tx, skuID, userID, now, old, stock, "set")
	})
	if err != nil {
		return SKU{}, err
	}
	s.indexProducts(ctx, productID)
	p, err := s.Product(ctx, userID, productID)
	if err != nil {
		return SKU{}, err
	}
	for _, k := range p.SKUs {
		if k.ID == skuID {
			return k, nil
		}
	}
	return SKU{}, ErrSKUNotFound
}

// lockSKU takes the row lock of a SKU (on PostgreSQL; SQLite transactions
// hold the database write lock from BEGIN) and returns its stock. Every
// write that compares stock with reservations takes this lock first, so
// the comparison sees every committed reservation and none can slip in.
func lockSKU(ctx context.Context, tx *sql.Tx, skuID string) (int, error) {
	var stock int
	err := tx.QueryRowContext(ctx, `UPDATE skus SET updated_at = updated_at WHERE id = $1 RETURNING stock`, skuID).Scan(&stock)
	if errors.Is(err, db.ErrNoRows) {
		return 0, ErrSKUNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("catalog: lock sku: %w", err)
	}
	return stock, nil
}

func recordStockChange(ctx context.Context, tx *sql.Tx, skuID, userID string, at time.Time, old, stock int, reason string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO stock_changes (id, sku_id, changed_by, changed_at, old_stock, new_stock, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, reelmart.NewID(), skuID, userID, at, old, stock, reason)
	if err != nil {
		return fmt.Errorf("catalog: record stock change: %w", err)
	}
	return nil
}

// StockChanges returns the recorded stock changes of the SKU with skuID,
// oldest first, for its shop's owner. It returns ErrSKUNotFound or
// ErrNotShopOwner.
func (s *Service) StockChanges(ctx context.Context, userID, skuID string) ([]StockChange, error) {
	var owner string
	err := s.db.QueryRowContext(ctx, `SELECT s.owner_id FROM skus k JOIN products p ON p.id = k.product_id
		JOIN shops s ON s.id = p.shop_id WHERE k.id = $1`, skuID).Scan(&owner)
	if errors.Is(err, db.ErrNoRows) {
		return nil, ErrSKUNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: load sku owner: %w", err)
	}
	if owner != userID {
		return nil, ErrNotShopOwner
	}
	rows, err := s.db.QueryContext(ctx, `SELECT sku_id, changed_by, changed_at, old_stock, new_stock, reason
		FROM stock_changes WHERE sku_id = $1 ORDER BY changed_at, id`, skuID)
	if err != nil {
		return nil, fmt.Errorf("catalog: list stock changes: %w", err)
	}
	defer rows.Close()
	out := []StockChange{}
	for rows.Next() {
		var c StockChange
		if err := rows.Scan(&c.SKUID, &c.ChangedBy, &c.ChangedAt, &c.OldStock, &c.NewStock, &c.Reason); err != nil {
			return nil, fmt.Errorf("catalog: scan stock change: %w", err)
		}
		c.ChangedAt = c.ChangedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// Reserve holds r.Qty of SKU r.SKUID until r.ExpiresAt inside the caller's
// transaction (checkout's order creation), and returns the reservation with
// its id. It returns ErrSKUNotFound, ErrNotForSale for a product that is
// not active, or ErrOutOfStock when less than r.Qty is available. After the
// transaction commits, call StockChanged so search sees the new
// availability.
func (s *Service) Reserve(ctx context.Context, tx *sql.Tx, r Reservation) (Reservation, error) {
	if r.Qty <= 0 {
		return Reservation{}, reelmart.Invalid([]reelmart.FieldError{{Field: "qty", Message: "must be at least 1"}})
	}
	stock, err := lockSKU(ctx, tx, r.SKUID)
	if err != nil {
		return Reservation{}, err
	}
	now := s.now()
	var status string
	var reserved int
	err = tx.QueryRowContext(ctx, `SELECT p.status,
		COALESCE((SELECT SUM(qty) FROM reservations WHERE sku_id = $1 AND expires_at > $2), 0)
		FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = $1`, r.SKUID, now).Scan(&status, &reserved)
	if err != nil {
		return Reservation{}, fmt.Errorf("catalog: load availability: %w", err)
	}
	if Status(status) != StatusActive {
		return Reservation{}, ErrNotForSale
	}
	if stock-reserved < r.Qty {
		return Reservation{}, ErrOutOfStock
	}
	r.ID = reelmart.NewID()
	r.ExpiresAt = r.ExpiresAt.UTC().Truncate(time.Microsecond)
	var orderID any
	if r.OrderID != "" {
		orderID = r.OrderID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO reservations (id, sku_id, qty, expires_at, order_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, r.SKUID, r.Qty, r.ExpiresAt, orderID, now)
	if err != nil {
		return Reservation{}, fmt.Errorf("catalog: insert reservation: %w", err)
	}
	return r, nil
}

// ReleaseOrder deletes the reservations of orderID inside the caller's
// transaction (order cancelled or expired) and returns the SKUs they held,
// to pass to StockChanged after the commit.
func (s *Service) ReleaseOrder(ctx context.Context, tx *sql.Tx, orderID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM reservations WHERE order_id = $1 RETURNING sku_id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("catalog: release reservations: %w", err)
	}
	defer rows.Close()
	var skus []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("catalog: release reservations: %w", err)
		}
		skus = append(skus, id)
	}
	return skus, rows.Err()
}

// StockChanged updates the search documents of the products of skuIDs
// after availability changed outside the catalog (a reservation committed
// or released). Failures are logged, not returned: the database is right
// and Reindex repairs the index.
func (s *Service) StockChanged(ctx context.Context, skuIDs ...string) {
	if len(skuIDs) == 0 {
		return
	}
	in, args := inList(skuIDs, 1)
	ids, err := s.productIDs(ctx, `SELECT DISTINCT product_id FROM skus WHERE id IN (`+in+`)`, args...)
	if err != nil {
		s.logf(ctx, "catalog: find products of skus", "err", err)
		return
	}
	s.indexProducts(ctx, ids...)
}
