package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
)

// Variants of a stored image.
const (
	VariantOriginal = "original" // the file as uploaded, without metadata, upright
	VariantDisplay  = "display"  // resized to Config.DisplaySize, JPEG or PNG
)

func (s *Service) imageURL(productID, imageID, variant string) string {
	return s.cfg.ImageURLPrefix + "/products/" + productID + "/images/" + imageID + "/" + variant
}

func imageKey(productID, imageID, name string) string {
	return "products/" + productID + "/images/" + imageID + "/" + name
}

// AddImage stores the image read from r as the last image of the product
// with productID, for its shop's owner. The file must decode as JPEG, PNG or
// WebP (whatever its name or declared type); the original, without its
// metadata and turned upright, and a copy whose longest side is at most
// Config.DisplaySize are stored (see platform/imaging). It returns
// ErrProductNotFound, ErrNotShopOwner, ErrProductArchived, ErrImageTooLarge
// for a file over the size limit, ErrInvalidImage, ErrImageTooManyPx, or
// ErrTooManyImages.
func (s *Service) AddImage(ctx context.Context, userID, productID string, r io.Reader) (Image, error) {
	row, err := s.productForOwner(ctx, s.db, userID, productID)
	if err != nil {
		return Image{}, err
	}
	if row.status == StatusArchived {
		return Image{}, ErrProductArchived
	}
	up, err := s.cfg.Images.Decode(ctx, r)
	if err != nil {
		return Image{}, err
	}
	orig := up.Original()
	display, err := up.Fit(s.cfg.DisplaySize)
	if err != nil {
		return Image{}, err
	}
	// Width and height are as the image is seen, after its EXIF turn.
	im := Image{ID: reelmart.NewID(), Width: orig.Width, Height: orig.Height, CreatedAt: s.now()}
	origKey := imageKey(productID, im.ID, "original."+orig.Ext)
	dispKey := imageKey(productID, im.ID, "display."+display.Ext)
	if err := s.blobs.Put(ctx, origKey, bytes.NewReader(orig.Data), int64(len(orig.Data)), orig.ContentType); err != nil {
		return Image{}, fmt.Errorf("catalog: store image: %w", err)
	}
	if err := s.blobs.Put(ctx, dispKey, bytes.NewReader(display.Data), int64(len(display.Data)), display.ContentType); err != nil {
		s.deleteBlobs(ctx, origKey)
		return Image{}, fmt.Errorf("catalog: store resized image: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Locking the product row serialises concurrent uploads, so each
		// gets its own position and the count limit holds.
		res, err := tx.ExecContext(ctx, `UPDATE products SET updated_at = $1 WHERE id = $2 AND status <> 'archived'`, im.CreatedAt, productID)
		if err != nil {
			return fmt.Errorf("catalog: lock product: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrProductArchived
		}
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(position) + 1, 0) FROM product_images WHERE product_id = $1`, productID).
			Scan(&count, &im.Position); err != nil {
			return fmt.Errorf("catalog: count images: %w", err)
		}
		if count >= s.cfg.MaxImagesPerProduct {
			return ErrTooManyImages
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO product_images (id, product_id, position, original_key, original_type, original_bytes,
			width, height, display_key, display_type, display_width, display_height, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			im.ID, productID, im.Position, origKey, orig.ContentType, len(orig.Data), im.Width, im.Height,
			dispKey, display.ContentType, display.Width, display.Height, im.CreatedAt)
		if err != nil {
			return fmt.Errorf("catalog: insert image: %w", err)
		}
		return nil
	})
	if err != nil {
		s.deleteBlobs(ctx, origKey, dispKey)
		return Image{}, err
	}
	im.URL = s.imageURL(productID, im.ID, VariantDisplay)
	im.OriginalURL = s.imageURL(productID, im.ID, VariantOriginal)
	return im, nil
}

// deleteBlobs removes objects that are no longer referenced, logging
// failures: an orphaned object wastes space but breaks nothing.
func (s *Service) deleteBlobs(ctx context.Context, keys ...string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		if err := s.blobs.Delete(ctx, k); err != nil {
			s.logf(ctx, "catalog: delete image blob", "key", k, "err", err)
		}
	}
}

// ImageBlob returns the store and key of an image variant of a product, so
// the HTTP layer can stream it. Images are served to anyone who has the
// URL: browsers fetch them without credentials, and image ids are random.
// It returns ErrImageNotFound for an unknown image or variant.
func (s *Service) ImageBlob(ctx context.Context, productID, imageID, variant string) (blob.Store, string, error) {
	column := ""
	switch variant {
	case VariantOriginal:
		column = "original_key"
	case VariantDisplay:
		column = "display_key"
	default:
		return nil, "", ErrImageNotFound
	}
	var key string
	err := s.db.QueryRowContext(ctx, `SELECT `+column+` FROM product_images WHERE id = $1 AND product_id = $2`, imageID, productID).Scan(&key)
	if errors.Is(err, db.ErrNoRows) {
		return nil, "", ErrImageNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("catalog: load image: %w", err)
	}
	return s.blobs, key, nil
}

// DeleteImage removes an image of a product for its shop's owner and
// closes the gap in positions. It returns ErrProductNotFound,
// ErrNotShopOwner, ErrProductArchived or ErrImageNotFound.
func (s *Service) DeleteImage(ctx context.Context, userID, productID, imageID string) error {
	var keys []string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := lock(ctx, tx, "products", productID); err != nil {
			return err
		}
		row, err := s.productForOwner(ctx, tx, userID, productID)
		if err != nil {
			return err
		}
		if row.status == StatusArchived {
			return ErrProductArchived
		}
		var orig, disp string
		err = tx.QueryRowContext(ctx, `DELETE FROM product_images WHERE id = $1 AND product_id = $2 RETURNING original_key, display_key`,
			imageID, productID).Scan(&orig, &disp)
		if errors.Is(err, db.ErrNoRows) {
			return ErrImageNotFound
		}
		if err != nil {
			return fmt.Errorf("catalog: delete image: %w", err)
		}
		keys = []string{orig, disp}
		ids, err := imageIDs(ctx, tx, productID)
		if err != nil {
			return err
		}
		return setPositions(ctx, tx, productID, ids)
	})
	if err != nil {
		return err
	}
	s.deleteBlobs(ctx, keys...)
	return nil
}

// ReorderImages puts the images of a product in the order of ids, which
// must list each of its images once. It returns ErrProductNotFound,
// ErrNotShopOwner, ErrProductArchived or a validation error on image_ids.
func (s *Service) ReorderImages(ctx context.Context, userID, productID string, ids []string) ([]Image, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := lock(ctx, tx, "products", productID); err != nil {
			return err
		}
		row, err := s.productForOwner(ctx, tx, userID, productID)
		if err != nil {
			return err
		}
		if row.status == StatusArchived {
			return ErrProductArchived
		}
		current, err := imageIDs(ctx, tx, productID)
		if err != nil {
			return err
		}
		a, b := slices.Clone(current), slices.Clone(ids)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			return reelmart.Invalid([]reelmart.FieldError{{Field: "image_ids", Message: "must list every image of the product exactly once"}})
		}
		return setPositions(ctx, tx, productID, ids)
	})
	if err != nil {
		return nil, err
	}
	p, err := s.Product(ctx, userID, productID)
	if err != nil {
		return nil, err
	}
	return p.Images, nil
}

func imageIDs(ctx context.Context, tx *sql.Tx, productID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM product_images WHERE product_id = $1 ORDER BY position, id`, productID)
	if err != nil {
		return nil, fmt.Errorf("catalog: list images: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("catalog: scan image: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func setPositions(ctx context.Context, tx *sql.Tx, productID string, ids []string) error {
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE product_images SET position = $1 WHERE id = $2 AND product_id = $3`, i, id, productID); err != nil {
			return fmt.Errorf("catalog: reorder images: %w", err)
		}
	}
	return nil
}
