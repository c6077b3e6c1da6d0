package imaging

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

// fuzzSeeds returns small valid files of each format, some carrying
// metadata, for the fuzzers to mutate.
func fuzzSeeds(t testing.TB) [][]byte {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 9))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.NRGBA{})
	var p, j bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	seeds := [][]byte{p.Bytes(), j.Bytes()}
	exif := append([]byte("\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"), j.Bytes()[2:]...)
	seeds = append(seeds, append([]byte{0xff, 0xd8}, exif...))
	pngText := append([]byte{}, p.Bytes()[:33]...)
	pngText = append(pngText, 0, 0, 0, 5)
	pngText = append(pngText, "tEXta\x00bcd"...)
	pngText = binary.BigEndian.AppendUint32(pngText, crc32.ChecksumIEEE([]byte("tEXta\x00bcd")))
	seeds = append(seeds, append(pngText, p.Bytes()[33:]...))
	for _, name := range []string{"testdata/large.webp", "testdata/alpha.webp"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzStripMetadata checks that hostile bytes never crash the stripper and
// that what it returns is a fixed point: stripping again changes nothing,
// so no metadata chunk survived by hiding behind another.
func FuzzStripMetadata(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, format := range []string{"jpeg", "png", "webp"} {
			out, o, err := stripMetadata(raw, format)
			if err != nil {
				continue
			}
			if o < 1 || o > 8 {
				t.Fatalf("%s: orientation %d", format, o)
			}
			again, _, err := stripMetadata(out, format)
			if err != nil {
				t.Fatalf("%s: stripped output does not strip again: %v", format, err)
			}
			if !bytes.Equal(again, out) {
				t.Fatalf("%s: stripping is not idempotent", format)
			}
		}
	})
}

// A file that decoded but that the stripper cannot walk is re-encoded from
// its pixels, never stored as it came.
func TestPrepareOriginalFallback(t *testing.T) {
	seeds := fuzzSeeds(t)
	img, err := png.Decode(bytes.NewReader(seeds[0]))
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte("\x89PNG\r\n\x1a\nsecret-place"), seeds[0][8:]...)
	got, err := prepareOriginal(img, raw, "png")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got.data, []byte("secret-place")) || got.contentType != "image/png" || got.orientation != 1 {
		t.Fatalf("fallback kept the upload: %s, orientation %d", got.contentType, got.orientation)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(got.data))
	if err != nil || cfg.Width != 16 || cfg.Height != 9 {
		t.Fatalf("fallback original: %+v, %v", cfg, err)
	}
}
