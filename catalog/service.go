package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/imaging"
	"github.com/reelmart/reelmart/platform/search"
)

// Config holds the catalog rules an operator may tune.
type Config struct {
	// Currency is the ISO 4217 code of every price in this deployment (required).
	Currency string

	// Images decodes uploads. Nil means a processor of the catalog's own
	// with MaxImageBytes and MaxImagePixels; the process shares one so that
	// every kind of upload counts against the same decode slots.
	Images *imaging.Processor

	MaxImageBytes       int64 // largest accepted image file when Images is nil; default 10 MiB
	MaxImagePixels      int   // largest accepted width×height when Images is nil; default 40 megapixels
	MaxImagesPerProduct int   // default 20
	DisplaySize         int   // longest side of the resized copy; default 800

	// ImageURLPrefix is put before "/products/<id>/images/<image id>/<variant>"
	// to make the URLs of images. Default "/api/v1", where the API serves them.
	ImageURLPrefix string

	// Log receives failures that do not fail the request, such as a search
	// index that could not be updated after a committed change.
	Log *slog.Logger

	// Jobs, when set, makes search index writes durable: every change
	// enqueues an IndexKind job in its transaction, which the queue retries
	// until the index takes it. Without it a failed write is only logged,
	// and reindex repairs the index.
	Jobs Jobs

	// Videos, when set, re-indexes the videos that pin a product after the
	// product changes (the feed's documents show its title and stock).
	Videos VideoIndexer
}

func (c Config) withDefaults() Config {
	if c.Images == nil {
		c.Images = imaging.New(imaging.Limits{MaxBytes: c.MaxImageBytes, MaxPixels: c.MaxImagePixels})
	}
	if c.MaxImagesPerProduct <= 0 {
		c.MaxImagesPerProduct = 20
	}
	if c.DisplaySize <= 0 {
		c.DisplaySize = 800
	}
	if c.ImageURLPrefix == "" {
		c.ImageURLPrefix = "/api/v1"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Service manages shops, products, stock and images, and keeps the product
// search index in step with the database.
type Service struct {
	db    *db.DB
	blobs blob.Store
	index search.Index
	cfg   Config
	now   func() time.Time

	ensureMu sync.Mutex
	ensured  bool
}

// NewService returns a Service on d, storing images in blobs and indexing
// active products in index. now is the clock (time.Now in production). It
// panics if cfg.Currency is not a three-letter code: that is a wiring error.
func NewService(d *db.DB, blobs blob.Store, index search.Index, cfg Config, now func() time.Time) *Service {
	if len(cfg.Currency) != 3 {
		panic(fmt.Sprintf("catalog: currency %q is not a three-letter ISO 4217 code", cfg.Currency))
	}
	if now == nil {
		now = time.Now
	}
	return &Service{
		db: d, blobs: blobs, index: index, cfg: cfg.withDefaults(),
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
}

// MaxImageBytes is the largest image file AddImage accepts, so the HTTP
// layer can size its body limit for uploads.
func (s *Service) MaxImageBytes() int64 { return s.cfg.Images.MaxBytes() }

// Errors with stable codes that clients can act on.
var (
	ErrShopNotFound       = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "shop_not_found", Message: "no such shop"}
	ErrProductNotFound    = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "product_not_found", Message: "no such product"}
	ErrSKUNotFound        = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "sku_not_found", Message: "no such SKU"}
	ErrImageNotFound      = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "image_not_found", Message: "no such image"}
	ErrNotShopOwner       = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "not_shop_owner", Message: "only the shop's owner may do this"}
	ErrShopNameTaken      = &reelmart.Error{Kind: reelmart.KindConflict, Code: "shop_name_taken", Message: "a shop with this name already exists"}
	ErrProductArchived    = &reelmart.Error{Kind: reelmart.KindConflict, Code: "product_archived", Message: "the product is archived and can no longer be changed"}
	ErrStockBelowReserved = &reelmart.Error{Kind: reelmart.KindConflict, Code: "stock_below_reserved",
		Message: "the stock cannot be set below the quantity reserved by pending orders"}
	ErrTooManyImages  = &reelmart.Error{Kind: reelmart.KindConflict, Code: "too_many_images", Message: "the product has as many images as it may have"}
	ErrSKUCodeTaken   = &reelmart.Error{Kind: reelmart.KindConflict, Code: "sku_code_taken", Message: "another SKU of this product has this code"}
	ErrInvalidImage   = imaging.ErrInvalid
	ErrImageTooLarge  = imaging.ErrTooLarge
	ErrImageTooManyPx = imaging.ErrTooManyPixels
)

// owned checks that userID owns the shop with shopID. It returns
// ErrShopNotFound or ErrNotShopOwner.
func (s *Service) owned(ctx context.Context, q db.Querier, userID, shopID string) error {
	var owner string
	err := q.QueryRowContext(ctx, `SELECT owner_id FROM shops WHERE id = $1`, shopID).Scan(&owner)
	if errors.Is(err, db.ErrNoRows) {
		return ErrShopNotFound
	}
	if err != nil {
		return fmt.Errorf("catalog: load shop owner: %w", err)
	}
	if owner != userID {
		return ErrNotShopOwner
	}
	return nil
}

// lock takes the row lock of the row with id in table (shops or products)
// for the rest of tx, so a read-modify-write of that row cannot lose a
// concurrent change on PostgreSQL. (SQLite write transactions already hold
// the database lock from BEGIN.) A missing row is not an error here: the
// read that follows reports it.
func lock(ctx context.Context, tx *sql.Tx, table, id string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET updated_at = updated_at WHERE id = $1`, id); err != nil {
		return fmt.Errorf("catalog: lock %s row: %w", table, err)
	}
	return nil
}

// logf reports a failure that must not fail the caller's request.
func (s *Service) logf(ctx context.Context, msg string, args ...any) {
	s.cfg.Log.ErrorContext(ctx, msg, args...)
}
