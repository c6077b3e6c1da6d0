package catalog_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/s3"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/testenv"
)

// testImage returns a w×h image encoded as format ("png" with a
// transparent corner, "jpeg", or "gif").
func testImage(t testing.TB, format string, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		img.Set(0, 0, color.NRGBA{0, 0, 0, 0})
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stored decodes the object at the image variant's key and returns its
// format and size.
func stored(t *testing.T, e *env, productID, imageID, variant string) (string, image.Point, blob.Info) {
	t.Helper()
	st, key, err := e.svc.ImageBlob(ctx, productID, imageID, variant)
	if err != nil {
		t.Fatal(err)
	}
	rc, info, err := st.Get(ctx, key, blob.Whole)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	raw, _ := io.ReadAll(rc)
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s does not decode: %v", key, err)
	}
	return format, image.Pt(cfg.Width, cfg.Height), info
}

func TestImages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { testImages(t, newEnv(t, d)) })
}

// One run on MinIO proves the keys and types work on S3 too.
func TestImagesOnS3(t *testing.T) {
	st, err := s3.Open(t.Context(), testenv.S3(t))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, dbtest.Open(t, db.SQLite), withBlobs(st))
	t.Cleanup(func() { removeProducts(t, st) })
	testImages(t, e)
}

// removeProducts deletes the objects this test wrote under products/ of the
// shared test bucket.
func removeProducts(t *testing.T, st blob.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for info, err := range st.List(ctx, "products/") {
		if err != nil {
			t.Errorf("list: %v", err)
			return
		}
		if err := st.Delete(ctx, info.Key); err != nil {
			t.Errorf("delete %s: %v", info.Key, err)
		}
	}
}

func testImages(t *testing.T, e *env) {
	ana, bo := e.user("ana"), e.user("bo")
	sh := e.shop(ana, "Ana")
	p := e.product(ana, sh.ID, "Poster", catalog.StatusActive)

	big, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(testImage(t, "jpeg", 1600, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	if big.Width != 1600 || big.Height != 1000 || big.Position != 0 || big.URL == "" || big.OriginalURL == "" {
		t.Fatalf("jpeg image = %+v", big)
	}
	if f, size, info := stored(t, e, p.ID, big.ID, catalog.VariantDisplay); f != "jpeg" || size != image.Pt(800, 500) || info.ContentType != "image/jpeg" {
		t.Fatalf("display copy: %s %v %s", f, size, info.ContentType)
	}
	if f, size, info := stored(t, e, p.ID, big.ID, catalog.VariantOriginal); f != "jpeg" || size != image.Pt(1600, 1000) || info.ContentType != "image/jpeg" {
		t.Fatalf("original: %s %v %s", f, size, info.ContentType)
	}
	// A tall PNG with transparency stays PNG; the long side is the height.
	tall, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(testImage(t, "png", 300, 1200)))
	if err != nil {
		t.Fatal(err)
	}
	if f, size, _ := stored(t, e, p.ID, tall.ID, catalog.VariantDisplay); f != "png" || size != image.Pt(200, 800) || tall.Position != 1 {
		t.Fatalf("tall png display: %s %v (position %d)", f, size, tall.Position)
	}
	// WebP is decoded, not trusted; a small one is not enlarged.
	webp, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(readFile(t, "../platform/imaging/testdata/large.webp")))
	if err != nil {
		t.Fatal(err)
	}
	if f, size, _ := stored(t, e, p.ID, webp.ID, catalog.VariantDisplay); f != "jpeg" || size != image.Pt(600, 400) {
		t.Fatalf("webp display: %s %v", f, size)
	}
	if f, _, info := stored(t, e, p.ID, webp.ID, catalog.VariantOriginal); f != "webp" || info.ContentType != "image/webp" {
		t.Fatalf("webp original: %s %s", f, info.ContentType)
	}
	alpha, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(readFile(t, "../platform/imaging/testdata/alpha.webp")))
	if err != nil {
		t.Fatal(err)
	}
	if f, size, _ := stored(t, e, p.ID, alpha.ID, catalog.VariantDisplay); f != "png" || size != image.Pt(75, 100) {
		t.Fatalf("webp with alpha display: %s %v", f, size)
	}

	// Files that do not decode as an accepted format are refused.
	truncated := testImage(t, "png", 50, 50)
	for name, raw := range map[string][]byte{
		"text":          []byte("definitely not an image"),
		"gif":           testImage(t, "gif", 10, 10),
		"truncated png": truncated[:len(truncated)/2],
		"empty":         nil,
	} {
		if _, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(raw)); code(err) != "invalid_image" {
			t.Errorf("%s: %v, want invalid_image", name, err)
		}
	}
	if _, err := e.svc.AddImage(ctx, bo, p.ID, bytes.NewReader(testImage(t, "png", 5, 5))); code(err) != "not_shop_owner" {
		t.Fatalf("bo uploads: %v", err)
	}
	if _, err := e.svc.AddImage(ctx, ana, "missing", bytes.NewReader(testImage(t, "png", 5, 5))); code(err) != "product_not_found" {
		t.Fatalf("missing product: %v", err)
	}

	// Order: as uploaded, then reordered, then with a gap closed.
	order := func() []string {
		t.Helper()
		v, err := e.svc.Product(ctx, "", p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i, im := range v.Images {
			if im.Position != i {
				t.Fatalf("positions %+v", v.Images)
			}
			ids = append(ids, im.ID)
		}
		return ids
	}
	if got := order(); !slices.Equal(got, []string{big.ID, tall.ID, webp.ID, alpha.ID}) {
		t.Fatalf("upload order %v", got)
	}
	want := []string{alpha.ID, big.ID, webp.ID, tall.ID}
	if _, err := e.svc.ReorderImages(ctx, ana, p.ID, want); err != nil {
		t.Fatal(err)
	}
	if got := order(); !slices.Equal(got, want) {
		t.Fatalf("after reorder %v, want %v", got, want)
	}
	if _, err := e.svc.ReorderImages(ctx, ana, p.ID, want[:3]); !slices.Equal(fields(err), []string{"image_ids"}) {
		t.Fatalf("reorder with one missing: %v", err)
	}
	if _, err := e.svc.ReorderImages(ctx, bo, p.ID, want); code(err) != "not_shop_owner" {
		t.Fatalf("bo reorders: %v", err)
	}
	if err := e.svc.DeleteImage(ctx, bo, p.ID, big.ID); code(err) != "not_shop_owner" {
		t.Fatalf("bo deletes: %v", err)
	}
	if err := e.svc.DeleteImage(ctx, ana, p.ID, big.ID); err != nil {
		t.Fatal(err)
	}
	if got := order(); !slices.Equal(got, []string{alpha.ID, webp.ID, tall.ID}) {
		t.Fatalf("after delete %v", got)
	}
	if _, _, err := e.svc.ImageBlob(ctx, p.ID, big.ID, catalog.VariantDisplay); code(err) != "image_not_found" {
		t.Fatalf("deleted image still served: %v", err)
	}
	for info, err := range e.blobs.List(ctx, "products/"+p.ID+"/images/"+big.ID+"/") {
		t.Fatalf("blob of deleted image left: %v %v", info.Key, err)
	}
	if err := e.svc.DeleteImage(ctx, ana, p.ID, big.ID); code(err) != "image_not_found" {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestImageLimits(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), withConfig(catalog.Config{MaxImageBytes: 20_000, MaxImagePixels: 100 * 100, MaxImagesPerProduct: 2}))
	ana := e.user("ana")
	sh := e.shop(ana, "Ana")
	p := e.product(ana, sh.ID, "Poster", catalog.StatusActive)
	if _, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(make([]byte, 20_001))); code(err) != "image_too_large" {
		t.Fatalf("over the byte limit: %v", err)
	}
	if _, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(testImage(t, "png", 101, 100))); code(err) != "image_dimensions_too_large" {
		t.Fatalf("over the pixel limit: %v", err)
	}
	for i := 0; i < 2; i++ {
		if _, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(testImage(t, "png", 100, 100))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(testImage(t, "png", 10, 10))); code(err) != "too_many_images" {
		t.Fatalf("third image: %v", err)
	}
	if err := e.svc.ArchiveProduct(ctx, ana, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(testImage(t, "png", 10, 10))); code(err) != "product_archived" {
		t.Fatalf("image on archived product: %v", err)
	}
}
