// Package catalog owns what merchants sell: shops, products with their SKUs
// (variants) and stock, product images, and the product search index.
//
// The database is the source of truth. Active products are copied into the
// "products" search index after every change; Reindex rebuilds it. Stock
// available to buy is a SKU's stock minus what unpaid orders hold (its
// reserved count), which checkout keeps with Reservation, Release and Sell.
//
// A Pin ties an active product to a video, optionally to a moment of it; Pins
// implements media.ProductLinker, and a creator's showcase is the active
// products pinned in their ready videos.
package catalog

import (
	"time"
)

// Status is where a product is in its life.
type Status string

const (
	// StatusDraft products are visible only to the shop owner.
	StatusDraft Status = "draft"
	// StatusActive products are public, searchable and linkable.
	StatusActive Status = "active"
	// StatusArchived products stay readable (old orders point at them) but
	// are hidden from search, shop listings and new links, and are frozen.
	StatusArchived Status = "archived"
)

// Money is an amount in the minor unit of Currency (cents for USD).
type Money struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

// Shop is a merchant's storefront. OwnerID is the user who manages it.
type Shop struct {
	ID          string    `json:"id"`
	OwnerID     string    `json:"owner_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ShopInput is the body of POST /shops.
type ShopInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ShopPatch changes the fields that are set.
type ShopPatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// Product is a thing a shop sells, in one or more SKUs. PriceMin and
// PriceMax span its SKUs' prices; InStock says whether any SKU has stock
// available.
type Product struct {
	ID            string     `json:"id"`
	ShopID        string     `json:"shop_id"`
	ShopName      string     `json:"shop_name"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	CommissionBPS int        `json:"commission_bps"`
	Status        Status     `json:"status"`
	PriceMin      Money      `json:"price_min"`
	PriceMax      Money      `json:"price_max"`
	InStock       bool       `json:"in_stock"`
	SKUs          []SKU      `json:"skus"`
	Images        []Image    `json:"images"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ArchivedAt    *time.Time `json:"archived_at,omitempty"`

	ownerID string
}

// SKU is one variant of a product. Stock and Reserved are shown only to
// the shop owner; StockAvailable (stock minus reserved, never below
// zero) to everyone.
type SKU struct {
	ID             string            `json:"id"`
	ProductID      string            `json:"product_id"`
	Code           string            `json:"code"`
	Attributes     map[string]string `json:"attributes"`
	Price          Money             `json:"price"`
	Stock          *int              `json:"stock,omitempty"`
	Reserved       *int              `json:"reserved,omitempty"`
	StockAvailable int               `json:"stock_available"`
}

// Image is a product picture. URL is the resized copy (longest side at
// most Config.DisplaySize); OriginalURL the full-size file as uploaded, upright
// and with its metadata (EXIF, GPS, XMP, text chunks) removed.
type Image struct {
	ID          string    `json:"id"`
	Position    int       `json:"position"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	URL         string    `json:"url"`
	OriginalURL string    `json:"original_url"`
	CreatedAt   time.Time `json:"created_at"`
}

// ProductInput is the body of POST /products. Status "" means draft.
type ProductInput struct {
	ShopID        string     `json:"shop_id"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	CommissionBPS int        `json:"commission_bps"`
	Status        Status     `json:"status"`
	SKUs          []SKUInput `json:"skus"`
}

// SKUInput describes a new SKU, or with ID set (in a ProductPatch) changes
// an existing one. Stock is required for a new SKU and refused for an
// existing one: stock changes go through SetStock so they are checked
// against what is reserved and recorded.
type SKUInput struct {
	ID         string            `json:"id,omitempty"`
	Code       *string           `json:"code"`
	Attributes map[string]string `json:"attributes"`
	Price      *Money            `json:"price"`
	Stock      *int              `json:"stock"`
}

// ProductPatch changes the fields that are set. SKUs listed with an id are
// updated (code, attributes, price); SKUs without one are added; SKUs not
// listed are left alone. SKUs are never removed: set their stock to 0.
type ProductPatch struct {
	Title         *string    `json:"title"`
	Description   *string    `json:"description"`
	CommissionBPS *int       `json:"commission_bps"`
	Status        *Status    `json:"status"`
	SKUs          []SKUInput `json:"skus"`
}

// Page is one page of a list and the cursor of the next ("" at the end).
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"-"`
}
