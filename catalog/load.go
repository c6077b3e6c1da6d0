package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/reelmart/reelmart/platform/db"
)

// inList returns "$from, $from+1, …" for len(ids) parameters and ids as args.
func inList(ids []string, from int) (string, []any) { return db.InList(ids, from) }

// loadProducts returns the products with ids, with SKUs (and their
// availability now) and images, in the order of ids; missing ids are left
// out. Stock and reserved counts are filled in for the shop owner only.
func (s *Service) loadProducts(ctx context.Context, q db.Querier, viewerID string, ids []string) ([]Product, error) {
	if len(ids) == 0 {
		return []Product{}, nil
	}
	in, args := inList(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.shop_id, s.name, s.owner_id, p.title, p.description, p.commission_bps,
		p.status, p.created_at, p.updated_at, p.archived_at
		FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: load products: %w", err)
	}
	byID := map[string]*Product{}
	for rows.Next() {
		p := &Product{SKUs: []SKU{}, Images: []Image{}}
		var status string
		var archived sql.NullTime
		if err := rows.Scan(&p.ID, &p.ShopID, &p.ShopName, &p.ownerID, &p.Title, &p.Description, &p.CommissionBPS,
			&status, &p.CreatedAt, &p.UpdatedAt, &archived); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: scan product: %w", err)
		}
		p.Status = Status(status)
		p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
		if archived.Valid {
			t := archived.Time.UTC()
			p.ArchivedAt = &t
		}
		byID[p.ID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: load products: %w", err)
	}
	if err := s.loadSKUs(ctx, q, viewerID, ids, byID); err != nil {
		return nil, err
	}
	if err := s.loadImages(ctx, q, ids, byID); err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(byID))
	for _, id := range ids {
		if p, ok := byID[id]; ok {
			out = append(out, *p)
			delete(byID, id) // a repeated id is returned once
		}
	}
	return out, nil
}

func (s *Service) loadSKUs(ctx context.Context, q db.Querier, viewerID string, ids []string, byID map[string]*Product) error {
	in, args := inList(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT k.id, k.product_id, k.code, k.attributes, k.price_minor, k.stock, k.reserved
		FROM skus k WHERE k.product_id IN (`+in+`) ORDER BY k.product_id, k.position`, args...)
	if err != nil {
		return fmt.Errorf("catalog: load skus: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k SKU
		var attrs string
		var stock, reserved int
		if err := rows.Scan(&k.ID, &k.ProductID, &k.Code, &attrs, &k.Price.AmountMinor, &stock, &reserved); err != nil {
			return fmt.Errorf("catalog: scan sku: %w", err)
		}
		if err := json.Unmarshal([]byte(attrs), &k.Attributes); err != nil {
			return fmt.Errorf("catalog: sku %s attributes: %w", k.ID, err)
		}
		k.Price.Currency = s.cfg.Currency
		k.StockAvailable = max(0, stock-reserved)
		p := byID[k.ProductID]
		if p == nil {
			continue
		}
		if viewerID != "" && viewerID == p.ownerID {
			k.Stock, k.Reserved = &stock, &reserved
		}
		p.SKUs = append(p.SKUs, k)
		if len(p.SKUs) == 1 || k.Price.AmountMinor < p.PriceMin.AmountMinor {
			p.PriceMin = k.Price
		}
		if k.Price.AmountMinor > p.PriceMax.AmountMinor {
			p.PriceMax = k.Price
		}
		p.InStock = p.InStock || k.StockAvailable > 0
	}
	return rows.Err()
}

func (s *Service) loadImages(ctx context.Context, q db.Querier, ids []string, byID map[string]*Product) error {
	in, args := inList(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT id, product_id, position, width, height, created_at
		FROM product_images WHERE product_id IN (`+in+`) ORDER BY product_id, position, id`, args...)
	if err != nil {
		return fmt.Errorf("catalog: load images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var im Image
		var productID string
		if err := rows.Scan(&im.ID, &productID, &im.Position, &im.Width, &im.Height, &im.CreatedAt); err != nil {
			return fmt.Errorf("catalog: scan image: %w", err)
		}
		im.CreatedAt = im.CreatedAt.UTC()
		im.URL = s.imageURL(productID, im.ID, VariantDisplay)
		im.OriginalURL = s.imageURL(productID, im.ID, VariantOriginal)
		if p := byID[productID]; p != nil {
			p.Images = append(p.Images, im)
		}
	}
	return rows.Err()
}
