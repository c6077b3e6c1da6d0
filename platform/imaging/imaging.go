// Package imaging turns an uploaded picture into the files Reelmart stores:
// it checks the size and the header before decoding, proves the file by
// decoding it, strips the metadata a phone photo carries (GPS positions,
// EXIF, XMP, IPTC, text) from the original, turns it upright, and makes
// resized copies. Product images and avatars both go through it.
package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"runtime"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP with image.Decode

	"github.com/reelmart/reelmart"
)

// Errors with stable codes that clients can act on.
var (
	ErrInvalid       = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "invalid_image", Message: "the file is not a JPEG, PNG or WebP image that can be decoded"}
	ErrTooLarge      = &reelmart.Error{Kind: reelmart.KindTooLarge, Code: "image_too_large", Message: "the image file is larger than the limit"}
	ErrTooManyPixels = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "image_dimensions_too_large", Message: "the image has more pixels than the limit"}
)

// accepted maps the formats image.Decode names to their content type and
// file extension. Other registered decoders (GIF, BMP…) are refused.
var accepted = map[string][2]string{
	"jpeg": {"image/jpeg", "jpg"},
	"png":  {"image/png", "png"},
	"webp": {"image/webp", "webp"},
}

// Limits bound what an upload may be. Zero fields take the defaults.
type Limits struct {
	MaxBytes  int64 // largest accepted file; default 10 MiB
	MaxPixels int   // largest accepted width×height; default 40 megapixels
}

// Processor decodes uploads within Limits. It bounds how many decodes run at
// once, because each may hold MaxPixels×4 bytes: a burst of uploads queues
// instead of exhausting memory. It is safe for concurrent use; one is meant
// to be shared by every part of the process that takes images.
type Processor struct {
	lim   Limits
	slots chan struct{}
}

// New returns a Processor with lim, allowing one decode per CPU at a time.
func New(lim Limits) *Processor {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = 10 << 20
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = 40_000_000
	}
	return &Processor{lim: lim, slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

// MaxBytes is the largest file Decode accepts, so an HTTP layer can size its body limit.
func (p *Processor) MaxBytes() int64 { return p.lim.MaxBytes }

// Upload is a decoded, accepted image file.
type Upload struct {
	raw    []byte
	img    image.Image
	format string // as image.Decode names it: jpeg, png or webp
	orig   Encoded
	turn   int // EXIF orientation, applied to every copy
}

// Encoded is one stored file: its bytes, type, file extension and size in pixels.
type Encoded struct {
	Data        []byte
	ContentType string
	Ext         string
	Width       int
	Height      int
}

// Decode reads an image file from r and accepts it when it is a JPEG, PNG
// or WebP (whatever its name or declared type) within the limits. The
// header is checked first (format, then size, so a small file that claims
// 100k×100k pixels is refused before memory is spent on it); decoding the
// whole image then proves the file is what it says. It returns ErrTooLarge,
// ErrInvalid, ErrTooManyPixels, the context's error while waiting for a
// decode slot, or an error reading r.
func (p *Processor) Decode(ctx context.Context, r io.Reader) (*Upload, error) {
	raw, err := io.ReadAll(io.LimitReader(r, p.lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("imaging: read upload: %w", err)
	}
	if int64(len(raw)) > p.lim.MaxBytes {
		return nil, ErrTooLarge
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || accepted[format][0] == "" {
		return nil, ErrInvalid
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrInvalid
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(p.lim.MaxPixels) {
		return nil, ErrTooManyPixels
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, ErrInvalid
	}
	u := &Upload{raw: raw, img: img, format: format}
	stored, err := prepareOriginal(img, raw, format)
	if err != nil {
		return nil, err
	}
	u.turn = stored.orientation
	u.orig = Encoded{Data: stored.data, ContentType: stored.contentType, Ext: stored.ext}
	u.orig.Width, u.orig.Height = u.Size()
	return u, nil
}

// Size returns the width and height of the image as it is seen, after its EXIF turn.
func (u *Upload) Size() (int, int) {
	b := u.img.Bounds()
	if swapsSides(u.turn) {
		return b.Dy(), b.Dx()
	}
	return b.Dx(), b.Dy()
}

// Original returns the original to store: never the upload as it came (see
// prepareOriginal), but upright and without metadata.
func (u *Upload) Original() Encoded { return u.orig }

// Fit returns a copy whose longest side is at most size, keeping the aspect
// ratio and never enlarging, turned upright. It is PNG when the image has
// transparency and JPEG otherwise.
func (u *Upload) Fit(size int) (Encoded, error) {
	b := u.img.Bounds()
	w, h := b.Dx(), b.Dy()
	if long := max(w, h); long > size {
		w = max(1, (w*size+long/2)/long)
		h = max(1, (h*size+long/2)/long)
	}
	return u.scaled(b, w, h)
}

// Square returns a size×size copy of the centre square of the image (the
// largest one it holds), turned upright; smaller images give a smaller
// square, never an enlarged one. Avatars are shown in circles and squares,
// so cropping once here saves every client from doing it.
func (u *Upload) Square(size int) (Encoded, error) {
	b := u.img.Bounds()
	side := min(b.Dx(), b.Dy())
	crop := image.Rect(0, 0, side, side).Add(b.Min).Add(image.Pt((b.Dx()-side)/2, (b.Dy()-side)/2))
	out := min(side, size)
	return u.scaled(crop, out, out)
}

// scaled draws the src rectangle of the image into w×h, turns it upright and encodes it.
func (u *Upload) scaled(src image.Rectangle, w, h int) (Encoded, error) {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == src.Dx() && h == src.Dy() {
		draw.Draw(dst, dst.Bounds(), u.img, src.Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), u.img, src, draw.Src, nil)
	}
	dst = orient(dst, u.turn)
	e := Encoded{ContentType: "image/jpeg", Ext: "jpg", Width: dst.Bounds().Dx(), Height: dst.Bounds().Dy()}
	if !isOpaque(u.img) {
		e.ContentType, e.Ext = "image/png", "png"
	}
	var buf bytes.Buffer
	if err := encode(&buf, dst, e.ContentType); err != nil {
		return Encoded{}, err
	}
	e.Data = buf.Bytes()
	return e, nil
}

func encode(w io.Writer, img image.Image, contentType string) error {
	var err error
	if contentType == "image/png" {
		err = png.Encode(w, img)
	} else {
		err = jpeg.Encode(w, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return fmt.Errorf("imaging: encode resized image: %w", err)
	}
	return nil
}
