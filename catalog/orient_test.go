package catalog_test

import (
	"bytes"
	"encoding/binary"
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

// withOrientation inserts an EXIF APP1 segment carrying orientation o
// right after the JPEG's start-of-image marker.
func withOrientation(jpg []byte, o uint16, order binary.ByteOrder) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	if order == binary.LittleEndian {
		tiff = []byte("II\x2a\x00\x08\x00\x00\x00")
	}
	entry := make([]byte, 2+12+4)
	order.PutUint16(entry[0:], 1)      // one entry
	order.PutUint16(entry[2:], 0x0112) // Orientation
	order.PutUint16(entry[4:], 3)      // SHORT
	order.PutUint32(entry[6:], 1)      // count
	order.PutUint16(entry[10:], o)     // value, left-justified
	payload := append([]byte("Exif\x00\x00"), append(tiff, entry...)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// A photo stored sideways with "rotate 90° clockwise" in its EXIF gets an
// upright display copy, and its reported size is the upright one.
func TestImageEXIFOrientation(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	ana := e.user("ana")
	sh := e.shop(ana, "Ana")
	p := e.product(ana, sh.ID, "Photo", catalog.StatusActive)
	// 1600×1000, red in the top-left quarter, blue elsewhere.
	src := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	for y := 0; y < 1000; y++ {
		for x := 0; x < 1600; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < 800 && y < 500 {
				c = color.RGBA{255, 0, 0, 255}
			}
			src.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o          uint16
		order      binary.ByteOrder
		w, h       int
		redX, redY int // a point that must be red in the display copy
	}{
		{6, binary.BigEndian, 500, 800, 400, 100},    // turned clockwise: red at the top right
		{8, binary.LittleEndian, 500, 800, 100, 700}, // anticlockwise: red at the bottom left
		{3, binary.BigEndian, 800, 500, 700, 400},    // half turn: red at the bottom right
		{1, binary.LittleEndian, 800, 500, 100, 100},
	} {
		im, err := e.svc.AddImage(ctx, ana, p.ID, bytes.NewReader(withOrientation(buf.Bytes(), tc.o, tc.order)))
		if err != nil {
			t.Fatal(err)
		}
		if im.Width != tc.w*2 || im.Height != tc.h*2 {
			t.Errorf("orientation %d: reported %d×%d, want %d×%d", tc.o, im.Width, im.Height, tc.w*2, tc.h*2)
		}
		st, key, err := e.svc.ImageBlob(ctx, p.ID, im.ID, catalog.VariantDisplay)
		if err != nil {
			t.Fatal(err)
		}
		rc, _, err := st.Get(ctx, key, blob.Whole)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		disp, _, err := image.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if b := disp.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("orientation %d: display %v, want %d×%d", tc.o, b, tc.w, tc.h)
			continue
		}
		if r, _, bl, _ := disp.At(tc.redX, tc.redY).RGBA(); r < 0xc000 || bl > 0x4000 {
			t.Errorf("orientation %d: (%d,%d) is not red", tc.o, tc.redX, tc.redY)
		}
	}
}
