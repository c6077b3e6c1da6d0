package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
)

// originalQuality is the JPEG quality of an original that has to be
// re-encoded: high, because buyers zoom into originals.
const originalQuality = 95

// storedOriginal is the original of an image as it is stored.
type storedOriginal struct {
	data        []byte
	contentType string
	ext         string
	orientation int // the EXIF orientation the upload asked for, now applied
}

// prepareOriginal returns the original to store: never the upload as it
// came, because phone photos carry GPS positions and other metadata in
// EXIF, XMP and IPTC. Metadata is cut out of the file without touching the
// compressed pixels when the file is upright and its structure is walked
// with confidence (stripMetadata). Otherwise the decoded pixels are turned
// upright and re-encoded (JPEG at originalQuality, PNG lossless; WebP, for
// which there is no Go encoder, as PNG when it has transparency and JPEG
// otherwise), since an original without its orientation tag must already
// be upright. It returns an error only when encoding fails.
func prepareOriginal(img image.Image, raw []byte, format string) (storedOriginal, error) {
	clean, orientation, err := stripMetadata(raw, format)
	if err != nil {
		orientation = 1
	}
	if err == nil && orientation == 1 && sameShape(clean, img, format) {
		return storedOriginal{data: clean, contentType: accepted[format][0], ext: accepted[format][1], orientation: 1}, nil
	}
	contentType, ext := accepted[format][0], accepted[format][1]
	if format == "webp" {
		contentType, ext = "image/jpeg", "jpg"
		if !isOpaque(img) {
			contentType, ext = "image/png", "png"
		}
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	dst = orient(dst, orientation)
	var buf bytes.Buffer
	if contentType == "image/png" {
		err = png.Encode(&buf, dst)
	} else {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: originalQuality})
	}
	if err != nil {
		return storedOriginal{}, fmt.Errorf("imaging: encode original: %w", err)
	}
	return storedOriginal{data: buf.Bytes(), contentType: contentType, ext: ext, orientation: orientation}, nil
}

// sameShape reports whether the stripped file still declares the format
// and size of the decoded upload: a last guard against a stripper that
// cut something the decoder needed.
func sameShape(clean []byte, img image.Image, format string) bool {
	cfg, f, err := image.DecodeConfig(bytes.NewReader(clean))
	return err == nil && f == format && cfg.Width == img.Bounds().Dx() && cfg.Height == img.Bounds().Dy()
}

// isOpaque reports whether img has no transparent pixels, as far as its
// type can tell cheaply.
func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return true
}
