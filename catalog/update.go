package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// existingSKU is a SKU's row as UpdateProduct changes it.
type existingSKU struct {
	code       string
	attributes map[string]string
	price      int64
	changed    bool
}

// UpdateProduct changes the set fields of the product with id for its
// shop's owner (see ProductPatch for how SKUs are added and changed). A
// status of archived archives it. It returns ErrProductNotFound,
// ErrNotShopOwner, ErrProductArchived, or a validation error naming each bad
// field.
func (s *Service) UpdateProduct(ctx context.Context, userID, id string, patch ProductPatch) (Product, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := lock(ctx, tx, "products", id); err != nil {
			return err
		}
		r, err := s.productForOwner(ctx, tx, userID, id)
		if err != nil {
			return err
		}
		if r.status == StatusArchived {
			return ErrProductArchived
		}
		skus, order, err := s.existingSKUs(ctx, tx, id)
		if err != nil {
			return err
		}
		var p problems
		s.checkProductFields(&p, patch.Title, patch.Description, patch.CommissionBPS)
		if patch.Status != nil {
			switch *patch.Status {
			case StatusDraft, StatusActive, StatusArchived:
			default:
				p.add("status", "must be draft, active or archived")
			}
		}
		added := s.applySKUPatch(&p, patch.SKUs, skus, order)
		if err := p.err(); err != nil {
			return err
		}

		if patch.Title != nil {
			r.title = *patch.Title
		}
		if patch.Description != nil {
			r.description = *patch.Description
		}
		if patch.CommissionBPS != nil {
			r.commissionBPS = *patch.CommissionBPS
		}
		if patch.Status != nil {
			r.status = *patch.Status
		}
		now := s.now()
		_, err = tx.ExecContext(ctx, `UPDATE products SET title = $1, description = $2, commission_bps = $3, status = $4, updated_at = $5,
			archived_at = CASE WHEN $4 = 'archived' THEN $5 ELSE archived_at END WHERE id = $6`,
			r.title, r.description, r.commissionBPS, string(r.status), now, id)
		if err != nil {
			return fmt.Errorf("catalog: update product: %w", err)
		}
		// Codes may be swapped between SKUs in one patch; moving every
		// changed code out of the way first keeps UNIQUE (product_id, code)
		// from tripping on the intermediate state.
		for _, skuID := range order {
			if k := skus[skuID]; k.changed {
				if _, err := tx.ExecContext(ctx, `UPDATE skus SET code = id WHERE id = $1`, skuID); err != nil {
					return fmt.Errorf("catalog: update sku: %w", err)
				}
			}
		}
		for _, skuID := range order {
			k := skus[skuID]
			if !k.changed {
				continue
			}
			raw, err := json.Marshal(k.attributes)
			if err != nil {
				return fmt.Errorf("catalog: encode attributes: %w", err)
			}
			if err := s.updateSKU(ctx, tx, skuID, k.code, string(raw), k.price, now); err != nil {
				return err
			}
		}
		for i, k := range added {
			if err := s.insertSKU(ctx, tx, userID, id, len(order)+i, k, now); err != nil {
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

func (s *Service) updateSKU(ctx context.Context, tx *sql.Tx, id, code, attrs string, price int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE skus SET code = $1, attributes = $2, price_minor = $3, updated_at = $4 WHERE id = $5`,
		code, attrs, price, now, id)
	if _, ok := db.UniqueViolation(err); ok {
		return ErrSKUCodeTaken // a concurrent patch took the code after ours was checked
	}
	if err != nil {
		return fmt.Errorf("catalog: update sku: %w", err)
	}
	return nil
}

// applySKUPatch validates the SKU part of a patch against the product's
// SKUs, applies changes to skus, and returns the SKUs to add.
func (s *Service) applySKUPatch(p *problems, in []SKUInput, skus map[string]*existingSKU, order []string) []SKUInput {
	var added []SKUInput
	seen := map[string]bool{}
	for i := range in {
		k := &in[i]
		if k.ID == "" {
			s.checkSKU(p, i, k, true)
			added = append(added, *k)
			continue
		}
		cur, ok := skus[k.ID]
		if !ok {
			p.add(fmt.Sprintf("skus[%d].id", i), "is not a SKU of this product")
			continue
		}
		if seen[k.ID] {
			p.add(fmt.Sprintf("skus[%d].id", i), "is listed twice")
			continue
		}
		seen[k.ID] = true
		s.checkSKU(p, i, k, false)
		if k.Code != nil {
			cur.code, cur.changed = *k.Code, true
		}
		if k.Attributes != nil {
			cur.attributes, cur.changed = maps.Clone(k.Attributes), true
		}
		if k.Price != nil {
			cur.price, cur.changed = k.Price.AmountMinor, true
		}
	}
	if len(order)+len(added) > MaxSKUs {
		p.add("skus", "a product may have at most %d SKUs", MaxSKUs)
	}
	// Codes must be unique across the SKUs the product will have, counted
	// under their new values, so two SKUs may swap codes in one patch. The
	// error lands on each patched SKU whose code is held twice.
	holders := map[string]int{}
	for _, id := range order {
		holders[skus[id].code]++
	}
	for _, k := range added {
		if k.Code != nil {
			holders[*k.Code]++
		}
	}
	for i, k := range in {
		if k.Code != nil && *k.Code != "" && holders[*k.Code] > 1 && (k.ID == "" || skus[k.ID] != nil) {
			p.add(fmt.Sprintf("skus[%d].code", i), "is the code of another SKU of this product; codes must be unique within a product")
		}
	}
	return added
}

// existingSKUs returns the product's SKUs by id and their ids in position order.
func (s *Service) existingSKUs(ctx context.Context, tx *sql.Tx, productID string) (map[string]*existingSKU, []string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, code, attributes, price_minor FROM skus WHERE product_id = $1 ORDER BY position`, productID)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: load skus: %w", err)
	}
	defer rows.Close()
	skus := map[string]*existingSKU{}
	var order []string
	for rows.Next() {
		var id, attrs string
		k := &existingSKU{}
		if err := rows.Scan(&id, &k.code, &attrs, &k.price); err != nil {
			return nil, nil, fmt.Errorf("catalog: scan sku: %w", err)
		}
		if err := json.Unmarshal([]byte(attrs), &k.attributes); err != nil {
			return nil, nil, fmt.Errorf("catalog: sku %s attributes: %w", id, err)
		}
		skus[id] = k
		order = append(order, id)
	}
	return skus, order, rows.Err()
}
