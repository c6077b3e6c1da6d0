package catalog_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"testing"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// gpsLatitude is the RATIONAL triple 48/1 51/1 2959/100 (Paris) as stored
// big-endian in the EXIF GPS IFD: finding it in a stored file means the
// position leaked.
var gpsLatitude = []byte{0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1, 0, 0, 0x0b, 0x8f, 0, 0, 0, 100}

// secrets are byte strings planted in metadata that no stored file may hold.
var secrets = [][]byte{
	[]byte("Exif\x00\x00"), []byte("MM\x00\x2a"), gpsLatitude,
	[]byte("secret-place"), []byte("http://ns.adobe.com/xap/1.0/"), []byte("Photoshop 3.0"),
	[]byte("tEXt"), []byte("zTXt"), []byte("iTXt"), []byte("eXIf"), []byte("EXIF"), []byte("XMP "),
}

// exifTIFF returns a big-endian TIFF header whose IFD0 holds orientation o
// and a GPS IFD with GPSLatitudeRef "N" and GPSLatitude.
func exifTIFF(o uint16) []byte {
	be := binary.BigEndian
	t := []byte("MM\x00\x2a\x00\x00\x00\x08")
	entry := func(tag, typ uint16, count, value uint32) {
		t = be.AppendUint16(t, tag)
		t = be.AppendUint16(t, typ)
		t = be.AppendUint32(t, count)
		t = be.AppendUint32(t, value)
	}
	t = be.AppendUint16(t, 2)
	entry(0x0112, 3, 1, uint32(o)<<16) // Orientation, SHORT, left-justified
	entry(0x8825, 4, 1, 38)            // GPSInfo IFD pointer
	t = be.AppendUint32(t, 0)
	t = be.AppendUint16(t, 2)            // GPS IFD at 38
	entry(0x0001, 2, 2, uint32('N')<<24) // GPSLatitudeRef "N\0"
	entry(0x0002, 5, 3, 68)              // GPSLatitude, 3 RATIONALs at 68
	t = be.AppendUint32(t, 0)
	return append(t, gpsLatitude...)
}

// jpegSegment returns a marker segment with payload.
func jpegSegment(marker byte, payload string) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// jpegWithMetadata puts EXIF (orientation o, GPS), XMP, IPTC and a comment
// right after the start-of-image marker of jpg, and an EXIF trailer after
// its end.
func jpegWithMetadata(jpg []byte, o uint16) []byte {
	out := append([]byte{}, jpg[:2]...)
	out = append(out, jpegSegment(0xE1, "Exif\x00\x00"+string(exifTIFF(o)))...)
	out = append(out, jpegSegment(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>secret-place</x:xmpmeta>")...)
	out = append(out, jpegSegment(0xED, "Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10secret-place")...)
	out = append(out, jpegSegment(0xFE, "secret-place")...)
	out = append(out, jpg[2:]...)
	// After EOI, as phones append MPF second images with their own EXIF.
	return append(out, "\xff\xd8\xff\xe1\x00\x16Exif\x00\x00secret-place\xff\xd9"...)
}

// pngChunk returns a PNG chunk with its CRC.
func pngChunk(typ, data string) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ+data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE([]byte(typ+data)))
}

// pngWithMetadata puts text chunks and an eXIf chunk (orientation o, GPS)
// after the IHDR chunk of p.
func pngWithMetadata(p []byte, o uint16) []byte {
	const ihdrEnd = 8 + 12 + 13
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", "Comment\x00secret-place")...)
	out = append(out, pngChunk("zTXt", "Comment\x00\x00x\x9c+N-.J-\xd1-\xc8IL\x06\x00\x1c\xa0\x04\xa9")...)
	out = append(out, pngChunk("iTXt", "XML:com.adobe.xmp\x00\x00\x00\x00\x00http://ns.adobe.com/xap/1.0/ secret-place")...)
	out = append(out, pngChunk("eXIf", string(exifTIFF(o)))...)
	return append(out, p[ihdrEnd:]...)
}

// webpWithMetadata turns the simple (VP8) WebP file w of size width×height
// into an extended one with EXIF (orientation o, GPS) and XMP chunks.
func webpWithMetadata(w []byte, width, height int, o uint16) []byte {
	chunk := func(fourcc string, data []byte) []byte {
		c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	vp8x := []byte{0x08 | 0x04, 0, 0, 0,
		byte(width - 1), byte((width - 1) >> 8), byte((width - 1) >> 16),
		byte(height - 1), byte((height - 1) >> 8), byte((height - 1) >> 16)}
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", vp8x)...)
	body = append(body, w[12:]...)
	body = append(body, chunk("EXIF", exifTIFF(o))...)
	body = append(body, chunk("XMP ", []byte("<x:xmpmeta>secret-place</x:xmpmeta>"))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// storedBytes returns the bytes and content type of an image variant.
func storedBytes(t *testing.T, e *env, productID, imageID, variant string) ([]byte, string) {
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
	raw, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return raw, info.ContentType
}

// clean fails the test when raw holds any planted secret.
func clean(t *testing.T, name string, raw []byte) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(raw, s) {
			t.Errorf("%s still holds %q", name, s)
		}
	}
}

// quarters returns a w×h JPEG, red in the top-left quarter, blue elsewhere.
func quarters(t *testing.T, w, h int) []byte {
	t.Helper()
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{255, 0, 0, 255}
			}
			src.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func isRed(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	return r > 0xc000 && b < 0x4000
}

// No stored file, original or display copy, keeps the uploader's metadata;
// an upright file keeps its compressed pixels byte for byte, and one that
// asked to be turned is stored turned.
func TestImageMetadataStripped(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	ana := e.user("ana")
	sh := e.shop(ana, "Ana")
	p := e.product(ana, sh.ID, "Photo", catalog.StatusActive)
	upload := func(raw []byte) catalog.Image {
		t.Helper()
		im, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	check := func(name string, im catalog.Image, wantType string, w, h int) []byte {
		t.Helper()
		orig, ct := storedBytes(t, e, p.ID, im.ID, catalog.VariantOriginal)
		disp, _ := storedBytes(t, e, p.ID, im.ID, catalog.VariantDisplay)
		clean(t, name+" original", orig)
		clean(t, name+" display copy", disp)
		cfg, _, err := image.DecodeConfig(bytes.NewReader(orig))
		if err != nil {
			t.Fatalf("%s original does not decode: %v", name, err)
		}
		if ct != wantType || cfg.Width != w || cfg.Height != h || im.Width != w || im.Height != h {
			t.Errorf("%s original: %s %d×%d (reported %d×%d), want %s %d×%d", name, ct, cfg.Width, cfg.Height, im.Width, im.Height, wantType, w, h)
		}
		return orig
	}

	plainJPEG := quarters(t, 1600, 1000)
	// Upright: the segments go, the scan data stays exactly as it was.
	orig := check("upright jpeg", upload(jpegWithMetadata(plainJPEG, 1)), "image/jpeg", 1600, 1000)
	if !bytes.Equal(orig, plainJPEG) {
		t.Errorf("upright jpeg original was re-encoded (%d bytes, want %d)", len(orig), len(plainJPEG))
	}
	// Turned a quarter clockwise: stored upright, red at the top right.
	orig = check("turned jpeg", upload(jpegWithMetadata(plainJPEG, 6)), "image/jpeg", 1000, 1600)
	pix, err := jpeg.Decode(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	if !isRed(pix.At(900, 100)) || isRed(pix.At(100, 100)) || isRed(pix.At(900, 1500)) {
		t.Errorf("turned jpeg original is not upright")
	}

	plainPNG := testImage(t, "png", 300, 200)
	orig = check("png", upload(pngWithMetadata(plainPNG, 1)), "image/png", 300, 200)
	if !bytes.Equal(orig, plainPNG) {
		t.Errorf("png original changed beyond its metadata chunks")
	}
	check("turned png", upload(pngWithMetadata(plainPNG, 8)), "image/png", 200, 300)

	plainWebP := readFile(t, "../platform/imaging/testdata/large.webp")
	orig = check("webp", upload(webpWithMetadata(plainWebP, 600, 400, 1)), "image/webp", 600, 400)
	if !bytes.Contains(orig, plainWebP[12:]) {
		t.Errorf("webp original lost its VP8 chunk")
	}
	if orig[20]&0x0c != 0 {
		t.Errorf("webp original still flags EXIF/XMP: %#x", orig[20])
	}
	// There is no WebP encoder in Go, so a turned WebP is stored as JPEG.
	check("turned webp", upload(webpWithMetadata(plainWebP, 600, 400, 6)), "image/jpeg", 400, 600)
}
