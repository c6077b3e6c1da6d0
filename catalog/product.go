package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// CreateProduct adds a product with its SKUs to a shop the caller owns. It
// returns ErrNotShopOwner for someone else's shop and a validation error
// naming each bad field (skus[2].price), a missing shop included.
func (s *Service) CreateProduct(ctx context.Context, userID string, in ProductInput) (Product, error) {
	var p problems
	in.ShopID = strings.TrimSpace(in.ShopID)
	if in.ShopID == "" {
		p.add("shop_id", "is required")
	} else {
		switch err := s.owned(ctx, s.db, userID, in.ShopID); {
		case errors.Is(err, ErrShopNotFound):
			p.add("shop_id", "is not an existing shop")
		case err != nil:
			return Product{}, err
		}
	}
	s.checkProductFields(&p, &in.Title, &in.Description, &in.CommissionBPS)
	if in.Status == "" {
		in.Status = StatusDraft
	}
	if in.Status != StatusDraft && in.Status != StatusActive {
		p.add("status", "must be draft or active")
	}
	switch {
	case len(in.SKUs) == 0:
		p.add("skus", "must have at least one SKU")
	case len(in.SKUs) > MaxSKUs:
		p.add("skus", "may have at most %d SKUs", MaxSKUs)
	}
	codes := map[string]int{}
	for i := range in.SKUs {
		k := &in.SKUs[i]
		if k.ID != "" {
			p.add(fmt.Sprintf("skus[%d].id", i), "must not be set for a new SKU")
		}
		s.checkSKU(&p, i, k, true)
		checkDuplicateCode(&p, codes, i, k.Code)
	}
	if err := p.err(); err != nil {
		return Product{}, err
	}

	now := s.now()
	id := reelmart.NewID()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO products (id, shop_id, title, description, commission_bps, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, id, in.ShopID, in.Title, in.Description, in.CommissionBPS, string(in.Status), now)
		if err != nil {
			return fmt.Errorf("catalog: insert product: %w", err)
		}
		for i, k := range in.SKUs {
			if err := s.insertSKU(ctx, tx, userID, id, i, k, now); err != nil {
				return err
			}
		}
		return s.searchChanged(ctx, tx, id)
	})
	if err != nil {
		return Product{}, err
	}
	s.indexProducts(ctx, id)
	return s.Product(ctx, userID, id)
}

func checkDuplicateCode(p *problems, codes map[string]int, i int, code *string) {
	if code == nil || *code == "" {
		return
	}
	if j, dup := codes[*code]; dup {
		p.add(fmt.Sprintf("skus[%d].code", i), "repeats the code of skus[%d]; codes must be unique within a product", j)
		return
	}
	codes[*code] = i
}

// insertSKU adds a validated new SKU at position and records its opening stock.
func (s *Service) insertSKU(ctx context.Context, tx *sql.Tx, userID, productID string, position int, k SKUInput, now time.Time) error {
	attrs := k.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return fmt.Errorf("catalog: encode attributes: %w", err)
	}
	skuID := reelmart.NewID()
	_, err = tx.ExecContext(ctx, `INSERT INTO skus (id, product_id, code, attributes, price_minor, stock, position, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, skuID, productID, *k.Code, string(raw), k.Price.AmountMinor, *k.Stock, position, now)
	if _, ok := db.UniqueViolation(err); ok {
		return ErrSKUCodeTaken
	}
	if err != nil {
		return fmt.Errorf("catalog: insert sku: %w", err)
	}
	return recordStockChange(ctx, tx, skuID, userID, now, 0, *k.Stock, "created")
}

// Product returns the product with id as viewerID ("" for anonymous) may
// see it: drafts only to the shop owner, who also sees stock and reserved
// counts. It returns ErrProductNotFound for a missing or hidden product.
func (s *Service) Product(ctx context.Context, viewerID, id string) (Product, error) {
	ps, err := s.ProductsByID(ctx, viewerID, []string{id})
	if err != nil {
		return Product{}, err
	}
	if len(ps) == 0 {
		return Product{}, ErrProductNotFound
	}
	return ps[0], nil
}

// ProductsByID returns the products with ids that viewerID may see, in the
// order of ids, leaving out missing and hidden ones. Pins and checkout use
// it to show products and to check that they are active.
func (s *Service) ProductsByID(ctx context.Context, viewerID string, ids []string) ([]Product, error) {
	ps, err := s.loadProducts(ctx, s.db, viewerID, ids)
	if err != nil {
		return nil, err
	}
	visible := ps[:0]
	for _, p := range ps {
		if p.Status != StatusDraft || p.ownerID == viewerID && viewerID != "" {
			visible = append(visible, p)
		}
	}
	return visible, nil
}

// productRow is what a write needs to know about a product before changing it.
type productRow struct {
	id, shopID, ownerID, title, description string
	commissionBPS                           int
	status                                  Status
}

// productForOwner loads the product with id and checks that userID owns its
// shop. It returns ErrProductNotFound or ErrNotShopOwner.
func (s *Service) productForOwner(ctx context.Context, q db.Querier, userID, id string) (productRow, error) {
	var r productRow
	var status string
	err := q.QueryRowContext(ctx, `SELECT p.id, p.shop_id, s.owner_id, p.title, p.description, p.commission_bps, p.status
		FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id = $1`, id).
		Scan(&r.id, &r.shopID, &r.ownerID, &r.title, &r.description, &r.commissionBPS, &status)
	if errors.Is(err, db.ErrNoRows) {
		return productRow{}, ErrProductNotFound
	}
	if err != nil {
		return productRow{}, fmt.Errorf("catalog: load product: %w", err)
	}
	r.status = Status(status)
	if r.ownerID != userID {
		return productRow{}, ErrNotShopOwner
	}
	return r, nil
}

// ArchiveProduct archives the product with id for its shop's owner: it
// stays readable for old orders, leaves search and shop listings, and can
// no longer change. Archiving twice is not an error. It returns
// ErrProductNotFound or ErrNotShopOwner.
func (s *Service) ArchiveProduct(ctx context.Context, userID, id string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := lock(ctx, tx, "products", id); err != nil {
			return err
		}
		r, err := s.productForOwner(ctx, tx, userID, id)
		if err != nil || r.status == StatusArchived {
			return err
		}
		now := s.now()
		_, err = tx.ExecContext(ctx, `UPDATE products SET status = 'archived', archived_at = $1, updated_at = $1 WHERE id = $2`, now, id)
		if err != nil {
			return fmt.Errorf("catalog: archive product: %w", err)
		}
		return s.searchChanged(ctx, tx, id)
	})
	if err != nil {
		return err
	}
	s.indexProducts(ctx, id)
	return nil
}
