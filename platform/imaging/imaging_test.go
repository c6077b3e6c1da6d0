package imaging_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/reelmart/reelmart/platform/imaging"
)

// picture returns a w×h image whose left half is red and right half blue,
// encoded as format; png gets a transparent corner.
func picture(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		img.Set(0, 0, color.NRGBA{})
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decoded(t *testing.T, e imaging.Encoded) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(e.Data))
	if err != nil {
		t.Fatalf("stored %s does not decode: %v", e.ContentType, err)
	}
	if b := img.Bounds(); b.Dx() != e.Width || b.Dy() != e.Height {
		t.Fatalf("declared %dx%d, encoded %v", e.Width, e.Height, b)
	}
	return img
}

func TestFitAndSquare(t *testing.T) {
	p := imaging.New(imaging.Limits{})
	up, err := p.Decode(context.Background(), bytes.NewReader(picture(t, "jpeg", 1200, 600)))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := up.Size(); w != 1200 || h != 600 {
		t.Fatalf("size %dx%d", w, h)
	}
	fit, err := up.Fit(300)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Width != 300 || fit.Height != 150 || fit.ContentType != "image/jpeg" || fit.Ext != "jpg" {
		t.Fatalf("fit = %dx%d %s", fit.Width, fit.Height, fit.ContentType)
	}
	decoded(t, fit)
	// The centre square of a red|blue picture is red on its left, blue on its right.
	sq, err := up.Square(256)
	if err != nil {
		t.Fatal(err)
	}
	img := decoded(t, sq)
	if sq.Width != 256 || sq.Height != 256 {
		t.Fatalf("square = %dx%d", sq.Width, sq.Height)
	}
	if r, _, b, _ := img.At(20, 128).RGBA(); r < 0xC000 || b > 0x4000 {
		t.Fatalf("left of the square is not red: %v", img.At(20, 128))
	}
	if r, _, b, _ := img.At(235, 128).RGBA(); b < 0xC000 || r > 0x4000 {
		t.Fatalf("right of the square is not blue: %v", img.At(235, 128))
	}
	// Small pictures are never enlarged; transparency keeps PNG.
	small, err := p.Decode(context.Background(), bytes.NewReader(picture(t, "png", 40, 90)))
	if err != nil {
		t.Fatal(err)
	}
	sq, err = small.Square(256)
	if err != nil {
		t.Fatal(err)
	}
	if sq.Width != 40 || sq.Height != 40 || sq.ContentType != "image/png" {
		t.Fatalf("small square = %dx%d %s", sq.Width, sq.Height, sq.ContentType)
	}
	if o := small.Original(); o.ContentType != "image/png" || o.Width != 40 || o.Height != 90 {
		t.Fatalf("original = %+v", o)
	}
}

func TestDecodeRefuses(t *testing.T) {
	p := imaging.New(imaging.Limits{MaxBytes: 50_000, MaxPixels: 500 * 500})
	ctx := context.Background()
	for name, tc := range map[string]struct {
		raw  []byte
		want error
	}{
		"gif":         {picture(t, "gif", 10, 10), imaging.ErrInvalid},
		"text":        {[]byte("hello, not an image"), imaging.ErrInvalid},
		"empty":       {nil, imaging.ErrInvalid},
		"too many px": {picture(t, "png", 600, 600), imaging.ErrTooManyPixels},
		"too large":   {bytes.Repeat([]byte{0xFF}, 50_001), imaging.ErrTooLarge},
		"truncated":   {picture(t, "jpeg", 400, 400)[:600], imaging.ErrInvalid},
	} {
		if _, err := p.Decode(ctx, bytes.NewReader(tc.raw)); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
}
