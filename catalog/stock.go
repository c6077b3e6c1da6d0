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

// ErrNotForSale is the error for buying a SKU of a product that is not active.
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
// when unpaid orders hold more than stock.
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
		// Unpaid orders' holds must still fit: the check is in the WHERE.
		res, err := tx.ExecContext(ctx, `UPDATE skus SET stock = $1, updated_at = $2 WHERE id = $3 AND $1 >= reserved`, stock, now, skuID)
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
		if err := recordStockChange(ctx, tx, skuID, userID, now, old, stock, "set"); err != nil {
			return err
		}
		return s.searchChanged(ctx, tx, productID)
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
// hold the database write lock from BEGIN) and returns its stock, so the
// stock recorded as the old value is the one this transaction replaces.
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

// StockChanged updates the search documents of the products of skuIDs
// after availability changed outside the catalog (a reservation committed
// or released), in a transaction of its own (see StockChangedTx, which
// leaves no gap after the caller's commit) and then at once, taking the
// SKUs' sold-out records (StockFlipsCTE). Failures are logged, not
// returned: the database is right, and the index job, SweepStockFlips or
// Reindex repairs the index.
func (s *Service) StockChanged(ctx context.Context, skuIDs ...string) {
	if len(skuIDs) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	var ids []string
	err := s.db.Tx(ctx, func(tx *sql.Tx) (err error) {
		ids, err = s.takeStockFlips(ctx, tx, skuIDs)
		return err
	})
	if err != nil {
		s.logf(ctx, "catalog: record stock change for search", "skus", skuIDs, "err", err)
		return
	}
	s.indexProducts(ctx, ids...)
}
