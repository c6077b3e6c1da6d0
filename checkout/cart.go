package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
)

// CartLine is one SKU in a cart at today's price. A line whose product is
// no longer on sale, whose price changed since it was put, or that asks
// for more than is available is flagged Stale with the reasons; nothing
// in the cart changes by itself.
type CartLine struct {
	SKUID          string    `json:"sku_id"`
	ProductID      string    `json:"product_id"`
	ShopID         string    `json:"shop_id"`
	Title          string    `json:"title"`
	SKUCode        string    `json:"sku_code"`
	Qty            int       `json:"qty"`
	SourceVideoID  *string   `json:"source_video_id"`
	UnitPrice      Money     `json:"unit_price"`
	PriceWhenAdded Money     `json:"price_when_added"`
	Subtotal       Money     `json:"subtotal"`
	StockAvailable int       `json:"stock_available"`
	PriceChanged   bool      `json:"price_changed"`
	Stale          bool      `json:"stale"`
	StaleReasons   []string  `json:"stale_reasons"`
	AddedAt        time.Time `json:"added_at"`
}

// Stale reasons.
const (
	StaleNotForSale   = "not_for_sale"
	StalePriceChanged = "price_changed"
	StaleOutOfStock   = "out_of_stock"
)

// Cart is a user's cart. Total sums the lines that are still for sale at today's prices.
type Cart struct {
	Items     []CartLine `json:"items"`
	ItemCount int        `json:"item_count"`
	Total     Money      `json:"total"`
	Stale     bool       `json:"stale"`
}

// Cart returns userID's cart, oldest line first.
func (s *Service) Cart(ctx context.Context, userID string) (Cart, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.sku_id, k.product_id, p.shop_id, p.title, k.code, c.qty, c.source_video_id,
		k.price_minor, c.price_minor, p.status, k.stock - k.reserved,
		c.added_at
		FROM cart_items c JOIN skus k ON k.id = c.sku_id JOIN products p ON p.id = k.product_id
		WHERE c.user_id = $1 ORDER BY c.added_at, c.sku_id`, userID)
	if err != nil {
		return Cart{}, fmt.Errorf("checkout: load cart: %w", err)
	}
	defer rows.Close()
	cart := Cart{Items: []CartLine{}, Total: s.money(0)}
	for rows.Next() {
		var l CartLine
		var video sql.NullString
		var price, was int64
		var status string
		if err := rows.Scan(&l.SKUID, &l.ProductID, &l.ShopID, &l.Title, &l.SKUCode, &l.Qty, &video, &price, &was, &status,
			&l.StockAvailable, &l.AddedAt); err != nil {
			return Cart{}, fmt.Errorf("checkout: scan cart line: %w", err)
		}
		l.AddedAt = l.AddedAt.UTC()
		l.StockAvailable = max(0, l.StockAvailable)
		if video.Valid {
			l.SourceVideoID = &video.String
		}
		l.UnitPrice, l.PriceWhenAdded, l.Subtotal = s.money(price), s.money(was), s.money(price*int64(l.Qty))
		l.StaleReasons = []string{}
		if catalog.Status(status) != catalog.StatusActive {
			l.StaleReasons = append(l.StaleReasons, StaleNotForSale)
		}
		if price != was {
			l.PriceChanged = true
			l.StaleReasons = append(l.StaleReasons, StalePriceChanged)
		}
		if l.StockAvailable < l.Qty {
			l.StaleReasons = append(l.StaleReasons, StaleOutOfStock)
		}
		l.Stale = len(l.StaleReasons) > 0
		cart.Stale = cart.Stale || l.Stale
		if catalog.Status(status) == catalog.StatusActive {
			cart.Total.AmountMinor += l.Subtotal.AmountMinor
			cart.ItemCount += l.Qty
		}
		cart.Items = append(cart.Items, l)
	}
	return cart, rows.Err()
}

// CartItemInput is PUT /cart/items/{sku_id}.
type CartItemInput struct {
	Qty           int     `json:"qty"`
	SourceVideoID *string `json:"source_video_id"`
}

// MaxCartLines is the most SKUs one cart may hold.
const MaxCartLines = 50

// PutCartItem sets the line for skuID in userID's cart to in.Qty at today's
// price (which also clears a price_changed flag) and returns the cart. It
// returns a validation error, ErrSKUNotFound, catalog.ErrNotForSale, or a
// cart_full conflict.
func (s *Service) PutCartItem(ctx context.Context, userID, skuID string, in CartItemInput) (Cart, error) {
	var bad []reelmart.FieldError
	checkItem(&bad, "", ItemInput{SKUID: skuID, Qty: in.Qty, SourceVideoID: in.SourceVideoID})
	if err := reelmart.Invalid(bad); err != nil {
		return Cart{}, err
	}
	infos, err := s.skuInfos(ctx, s.db, []string{skuID})
	if err != nil {
		return Cart{}, err
	}
	k, ok := infos[skuID]
	if !ok || k.status == string(catalog.StatusDraft) {
		return Cart{}, ErrSKUNotFound
	}
	if k.status != string(catalog.StatusActive) {
		return Cart{}, catalog.ErrNotForSale
	}
	if in.SourceVideoID != nil {
		creators, err := s.videoCreators(ctx, s.db, []string{*in.SourceVideoID})
		if err != nil {
			return Cart{}, err
		}
		if _, ok := creators[*in.SourceVideoID]; !ok {
			return Cart{}, reelmart.Invalid([]reelmart.FieldError{{Field: "source_video_id", Message: "no such video"}})
		}
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cart_items WHERE user_id = $1 AND sku_id <> $2`, userID, skuID).Scan(&n); err != nil {
			return fmt.Errorf("checkout: count cart lines: %w", err)
		}
		if n >= MaxCartLines {
			return reelmart.Errorf(reelmart.KindConflict, "cart_full", "the cart already holds %d SKUs", MaxCartLines)
		}
		// An add-to-cart is a new line, or one now credited to another
		// video; changing the quantity is not.
		var was sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT source_video_id FROM cart_items WHERE user_id = $1 AND sku_id = $2`, userID, skuID).Scan(&was)
		added := errors.Is(err, db.ErrNoRows)
		if err != nil && !added {
			return fmt.Errorf("checkout: read cart line: %w", err)
		}
		if in.SourceVideoID != nil && (!was.Valid || was.String != *in.SourceVideoID) {
			added = true
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cart_items (user_id, sku_id, qty, source_video_id, price_minor, added_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)
			ON CONFLICT (user_id, sku_id) DO UPDATE SET qty = excluded.qty, source_video_id = excluded.source_video_id,
			price_minor = excluded.price_minor, updated_at = excluded.updated_at`,
			userID, skuID, in.Qty, in.SourceVideoID, k.price, now)
		if err != nil {
			return fmt.Errorf("checkout: put cart line: %w", err)
		}
		if in.SourceVideoID != nil && added {
			return s.countSignal(ctx, tx, *in.SourceVideoID, k.productID, 1, 0, 0, 0)
		}
		return nil
	})
	if err != nil {
		return Cart{}, err
	}
	return s.Cart(ctx, userID)
}

// DeleteCartItem removes skuID from userID's cart (nothing if it is not
// there) and returns the cart.
func (s *Service) DeleteCartItem(ctx context.Context, userID, skuID string) (Cart, error) {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM cart_items WHERE user_id = $1 AND sku_id = $2`, userID, skuID); err != nil {
		return Cart{}, fmt.Errorf("checkout: delete cart line: %w", err)
	}
	return s.Cart(ctx, userID)
}
