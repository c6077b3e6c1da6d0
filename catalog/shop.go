package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// CreateShop opens a shop owned by ownerID. It returns a validation error
// naming each bad field, or ErrShopNameTaken when another shop has the name
// in any letter case.
func (s *Service) CreateShop(ctx context.Context, ownerID string, in ShopInput) (Shop, error) {
	in.normalize()
	if err := in.validate(); err != nil {
		return Shop{}, err
	}
	now := s.now()
	sh := Shop{ID: reelmart.NewID(), OwnerID: ownerID, Name: in.Name, Description: in.Description, CreatedAt: now, UpdatedAt: now}
	_, err := s.db.ExecContext(ctx, `INSERT INTO shops (id, owner_id, name, name_norm, description, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, sh.ID, sh.OwnerID, sh.Name, normShopName(sh.Name), sh.Description, now)
	if _, ok := db.UniqueViolation(err); ok {
		return Shop{}, ErrShopNameTaken
	}
	if err != nil {
		return Shop{}, fmt.Errorf("catalog: insert shop: %w", err)
	}
	return sh, nil
}

// Shop returns the shop with id, or ErrShopNotFound.
func (s *Service) Shop(ctx context.Context, id string) (Shop, error) {
	return s.shop(ctx, s.db, id)
}

func (s *Service) shop(ctx context.Context, q db.Querier, id string) (Shop, error) {
	var sh Shop
	err := q.QueryRowContext(ctx, `SELECT id, owner_id, name, description, created_at, updated_at FROM shops WHERE id = $1`, id).
		Scan(&sh.ID, &sh.OwnerID, &sh.Name, &sh.Description, &sh.CreatedAt, &sh.UpdatedAt)
	if errors.Is(err, db.ErrNoRows) {
		return Shop{}, ErrShopNotFound
	}
	if err != nil {
		return Shop{}, fmt.Errorf("catalog: load shop: %w", err)
	}
	sh.CreatedAt, sh.UpdatedAt = sh.CreatedAt.UTC(), sh.UpdatedAt.UTC()
	return sh, nil
}

// ShopsOf returns the shops ownerID owns, oldest first.
func (s *Service) ShopsOf(ctx context.Context, ownerID string) ([]Shop, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM shops WHERE owner_id = $1 ORDER BY created_at, id`, ownerID)
	if err != nil {
		return nil, fmt.Errorf("catalog: list shops of owner: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: list shops of owner: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: list shops of owner: %w", err)
	}
	shops := make([]Shop, 0, len(ids))
	for _, id := range ids {
		sh, err := s.shop(ctx, s.db, id)
		if err != nil {
			return nil, err
		}
		shops = append(shops, sh)
	}
	return shops, nil
}

// UpdateShop changes the set fields of the shop with id for its owner. It
// returns ErrShopNotFound, ErrNotShopOwner, a validation error or
// ErrShopNameTaken. A new name is copied into the search documents of the
// shop's active products.
func (s *Service) UpdateShop(ctx context.Context, userID, id string, patch ShopPatch) (Shop, error) {
	var sh Shop
	renamed := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := lock(ctx, tx, "shops", id); err != nil {
			return err
		}
		var err error
		if sh, err = s.shop(ctx, tx, id); err != nil {
			return err
		}
		if sh.OwnerID != userID {
			return ErrNotShopOwner
		}
		in := ShopInput{Name: sh.Name, Description: sh.Description}
		if patch.Name != nil {
			in.Name = *patch.Name
		}
		if patch.Description != nil {
			in.Description = *patch.Description
		}
		in.normalize()
		if err := in.validate(); err != nil {
			return err
		}
		renamed = in.Name != sh.Name
		sh.Name, sh.Description, sh.UpdatedAt = in.Name, in.Description, s.now()
		_, err = tx.ExecContext(ctx, `UPDATE shops SET name = $1, name_norm = $2, description = $3, updated_at = $4 WHERE id = $5`,
			sh.Name, normShopName(sh.Name), sh.Description, sh.UpdatedAt, sh.ID)
		if _, ok := db.UniqueViolation(err); ok {
			return ErrShopNameTaken
		}
		if err != nil {
			return fmt.Errorf("catalog: update shop: %w", err)
		}
		return nil
	})
	if err != nil {
		return Shop{}, err
	}
	if renamed {
		ids, err := s.productIDs(ctx, `SELECT id FROM products WHERE shop_id = $1 AND status = 'active'`, sh.ID)
		if err != nil {
			s.logf(ctx, "catalog: reindex renamed shop", "shop_id", sh.ID, "err", err)
		} else {
			s.indexProducts(ctx, ids...)
		}
	}
	return sh, nil
}

// ShopProducts lists the products of a shop, newest first. Anyone sees the
// active ones; the owner sees every status, or only status when it is set.
// Another caller asking for a status other than active gets ErrNotShopOwner.
func (s *Service) ShopProducts(ctx context.Context, viewerID, shopID string, status Status, cursor string, limit int) (Page[Product], error) {
	sh, err := s.Shop(ctx, shopID)
	if err != nil {
		return Page[Product]{}, err
	}
	var p problems
	switch status {
	case "", StatusDraft, StatusActive, StatusArchived:
	default:
		p.add("status", "must be draft, active or archived")
	}
	after, lerr := decodeCursor(cursor)
	if lerr != "" {
		p.add("cursor", "%s", lerr)
	}
	limit = checkLimit(&p, limit)
	if err := p.err(); err != nil {
		return Page[Product]{}, err
	}
	owner := viewerID != "" && viewerID == sh.OwnerID
	if !owner {
		if status != "" && status != StatusActive {
			return Page[Product]{}, ErrNotShopOwner
		}
		status = StatusActive
	}
	query := `SELECT id FROM products WHERE shop_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR id < $3)
		ORDER BY id DESC LIMIT $4`
	ids, err := s.productIDs(ctx, query, shopID, string(status), after, limit+1)
	if err != nil {
		return Page[Product]{}, err
	}
	page := Page[Product]{}
	if len(ids) > limit {
		ids = ids[:limit]
		page.NextCursor = encodeCursor(ids[limit-1])
	}
	if page.Items, err = s.loadProducts(ctx, s.db, viewerID, ids); err != nil {
		return Page[Product]{}, err
	}
	return page, nil
}

func (s *Service) productIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: list products: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("catalog: scan product id: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
