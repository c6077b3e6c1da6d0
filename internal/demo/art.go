package demo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The demo's pictures are drawn here, in Go, so no image file has to be
// shipped: avatars are a person's initial on their colour, product
// pictures a flat shape of the product on a soft gradient.

const (
	avatarSide  = 512
	productSide = 800
)

// avatar draws the initial of name in white on a diagonal gradient of c.
func avatar(name string, c [3]byte) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, avatarSide, avatarSide))
	base := color.RGBA{c[0], c[1], c[2], 255}
	gradient(img, lighten(base, 0.25), darken(base, 0.3), true)
	ft, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("demo: font: %w", err)
	}
	face, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: 280, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("demo: font face: %w", err)
	}
	defer face.Close()
	r, _ := utf8.DecodeRuneInString(strings.ToUpper(name))
	letter := string(r)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: face}
	bounds, _ := d.BoundString(letter)
	w, h := (bounds.Max.X - bounds.Min.X).Round(), (bounds.Max.Y - bounds.Min.Y).Round()
	d.Dot = fixed.P((avatarSide-w)/2-bounds.Min.X.Round(), (avatarSide-h)/2-bounds.Min.Y.Round())
	d.DrawString(letter)
	return encodeJPEG(img)
}

// productPicture draws a product shape in body colour on the palette's gradient.
func productPicture(shape string, pal [3][3]byte, body color.RGBA) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, productSide, productSide))
	light, mid, accent := rgba(pal[2]), rgba(pal[1]), rgba(pal[0])
	gradient(img, light, mix(light, mid, 0.45), false)
	// A soft shadow for the product to stand on.
	s := newShape()
	s.ellipse(0.5, 0.86, 0.3, 0.035)
	s.fill(img, color.RGBA{0, 0, 0, 40})
	detail := darken(body, 0.35)
	if isPale(body) {
		detail = accent
	}
	if err := drawProduct(img, shape, body, detail, light); err != nil {
		return nil, err
	}
	return encodeJPEG(img)
}

func drawProduct(img *image.RGBA, shape string, body, detail, light color.RGBA) error {
	s := newShape()
	switch shape {
	case "tee":
		s.polygon(0.28, 0.22, 0.40, 0.17, 0.45, 0.21, 0.55, 0.21, 0.60, 0.17, 0.72, 0.22, 0.84, 0.38, 0.74, 0.44,
			0.70, 0.38, 0.70, 0.82, 0.30, 0.82, 0.30, 0.38, 0.26, 0.44, 0.16, 0.38)
		s.fill(img, body)
		collar := newShape()
		collar.ellipse(0.5, 0.205, 0.055, 0.025)
		collar.fill(img, detail)
	case "apron":
		s.polygon(0.38, 0.18, 0.62, 0.18, 0.62, 0.34, 0.74, 0.42, 0.70, 0.84, 0.30, 0.84, 0.26, 0.42, 0.38, 0.34)
		s.fill(img, body)
		pocket := newShape()
		pocket.rect(0.38, 0.52, 0.62, 0.66, 0.02)
		pocket.fill(img, detail)
	case "bottle":
		s.rect(0.36, 0.34, 0.64, 0.84, 0.06)
		s.rect(0.44, 0.22, 0.56, 0.36, 0.01)
		s.fill(img, body)
		cap := newShape()
		cap.rect(0.42, 0.14, 0.58, 0.23, 0.02)
		cap.fill(img, detail)
	case "jar":
		s.rect(0.30, 0.36, 0.70, 0.84, 0.07)
		s.fill(img, body)
		lid, label := newShape(), newShape()
		lid.rect(0.28, 0.26, 0.72, 0.38, 0.03)
		lid.fill(img, detail)
		label.rect(0.36, 0.50, 0.64, 0.70, 0.02)
		label.fill(img, light)
	case "mug":
		s.rect(0.26, 0.32, 0.64, 0.82, 0.05)
		s.ellipse(0.66, 0.56, 0.13, 0.15)
		s.ellipseHole(0.66, 0.56, 0.07, 0.09)
		s.fill(img, body)
	case "bag":
		s.polygon(0.24, 0.42, 0.76, 0.42, 0.72, 0.86, 0.28, 0.86)
		s.ellipse(0.40, 0.42, 0.08, 0.16)
		s.ellipseHole(0.40, 0.42, 0.05, 0.13)
		s.ellipse(0.60, 0.42, 0.08, 0.16)
		s.ellipseHole(0.60, 0.42, 0.05, 0.13)
		s.fill(img, body)
	case "box":
		s.rect(0.22, 0.30, 0.78, 0.82, 0.05)
		s.fill(img, body)
		band := newShape()
		band.rect(0.22, 0.48, 0.78, 0.56, 0)
		band.fill(img, detail)
	case "ring":
		s.ellipse(0.5, 0.52, 0.30, 0.30)
		s.ellipseHole(0.5, 0.52, 0.19, 0.19)
		s.fill(img, body)
	case "earbuds":
		s.rect(0.30, 0.48, 0.70, 0.78, 0.12)
		s.fill(img, body)
		buds := newShape()
		buds.ellipse(0.40, 0.36, 0.07, 0.07)
		buds.ellipse(0.60, 0.36, 0.07, 0.07)
		buds.fill(img, detail)
	case "phone":
		legs := newShape()
		legs.polygon(0.49, 0.68, 0.51, 0.68, 0.36, 0.86, 0.33, 0.86)
		legs.polygon(0.49, 0.68, 0.51, 0.68, 0.67, 0.86, 0.64, 0.86)
		legs.polygon(0.49, 0.68, 0.51, 0.68, 0.515, 0.87, 0.485, 0.87)
		legs.fill(img, detail)
		s.rect(0.36, 0.14, 0.64, 0.66, 0.04)
		s.fill(img, body)
		screen := newShape()
		screen.rect(0.38, 0.17, 0.62, 0.63, 0.02)
		screen.fill(img, light)
	case "spoons":
		for _, x := range []float64{0.34, 0.5, 0.66} {
			s.rect(x-0.018, 0.38, x+0.018, 0.86, 0.015)
			s.ellipse(x, 0.28, 0.065, 0.11)
		}
		s.fill(img, body)
	case "shoe":
		s.polygon(0.14, 0.64, 0.18, 0.48, 0.32, 0.45, 0.46, 0.36, 0.57, 0.40, 0.66, 0.50, 0.84, 0.55, 0.87, 0.64)
		s.fill(img, body)
		sole := newShape()
		sole.rect(0.13, 0.64, 0.88, 0.71, 0.02)
		sole.fill(img, detail)
	default:
		return fmt.Errorf("demo: no picture for shape %q", shape)
	}
	return nil
}

// shape is a path in units of the picture's side, filled with the nonzero
// rule, so a path drawn the other way round (ellipseHole) cuts a hole.
type shape struct{ r *vector.Rasterizer }

func newShape() *shape { return &shape{r: vector.NewRasterizer(productSide, productSide)} }

func (s *shape) pt(x, y float64) (float32, float32) {
	return float32(x * productSide), float32(y * productSide)
}

func (s *shape) polygon(xy ...float64) {
	s.r.MoveTo(s.pt(xy[0], xy[1]))
	for i := 2; i+1 < len(xy); i += 2 {
		s.r.LineTo(s.pt(xy[i], xy[i+1]))
	}
	s.r.ClosePath()
}

// rect adds a rectangle with corners rounded by radius r.
func (s *shape) rect(x0, y0, x1, y1, r float64) {
	const k = 0.5523 // control-point distance of a Bézier quarter circle
	s.r.MoveTo(s.pt(x0+r, y0))
	s.r.LineTo(s.pt(x1-r, y0))
	s.cube(x1-r+k*r, y0, x1, y0+r-k*r, x1, y0+r)
	s.r.LineTo(s.pt(x1, y1-r))
	s.cube(x1, y1-r+k*r, x1-r+k*r, y1, x1-r, y1)
	s.r.LineTo(s.pt(x0+r, y1))
	s.cube(x0+r-k*r, y1, x0, y1-r+k*r, x0, y1-r)
	s.r.LineTo(s.pt(x0, y0+r))
	s.cube(x0, y0+r-k*r, x0+r-k*r, y0, x0+r, y0)
	s.r.ClosePath()
}

func (s *shape) cube(x1, y1, x2, y2, x3, y3 float64) {
	ax, ay := s.pt(x1, y1)
	bx, by := s.pt(x2, y2)
	cx, cy := s.pt(x3, y3)
	s.r.CubeTo(ax, ay, bx, by, cx, cy)
}

func (s *shape) ellipse(cx, cy, rx, ry float64)     { s.arc(cx, cy, rx, ry, 1) }
func (s *shape) ellipseHole(cx, cy, rx, ry float64) { s.arc(cx, cy, rx, ry, -1) }

// arc adds an ellipse as 32 segments, clockwise for dir 1.
func (s *shape) arc(cx, cy, rx, ry, dir float64) {
	const n = 32
	s.r.MoveTo(s.pt(cx+rx, cy))
	for i := 1; i <= n; i++ {
		a := dir * 2 * math.Pi * float64(i) / n
		s.r.LineTo(s.pt(cx+rx*math.Cos(a), cy+ry*math.Sin(a)))
	}
	s.r.ClosePath()
}

func (s *shape) fill(dst *image.RGBA, c color.RGBA) {
	s.r.Draw(dst, dst.Bounds(), image.NewUniform(c), image.Point{})
}

func gradient(img *image.RGBA, from, to color.RGBA, diagonal bool) {
	b := img.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			t := float64(y) / float64(b.Dy())
			if diagonal {
				t = (float64(x) + float64(y)) / float64(b.Dx()+b.Dy())
			}
			img.SetRGBA(x, y, mix(from, to, t))
		}
	}
}

func rgba(c [3]byte) color.RGBA { return color.RGBA{c[0], c[1], c[2], 255} }

func mix(a, b color.RGBA, t float64) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 255}
}

func lighten(c color.RGBA, t float64) color.RGBA { return mix(c, color.RGBA{255, 255, 255, 255}, t) }
func darken(c color.RGBA, t float64) color.RGBA  { return mix(c, color.RGBA{0, 0, 0, 255}, t) }

func isPale(c color.RGBA) bool { return int(c.R)+int(c.G)+int(c.B) > 600 }

// colorNamed is the paint of a color option value; others use the palette.
var colorNamed = map[string]color.RGBA{
	"Terracotta": {196, 98, 68, 255}, "Sage": {156, 175, 136, 255}, "Charcoal": {54, 57, 64, 255},
	"Black": {30, 30, 32, 255}, "Volt": {206, 255, 0, 255}, "White": {245, 245, 245, 255},
	"Silver": {192, 196, 204, 255}, "Ecru": {236, 226, 204, 255}, "Sky": {135, 190, 235, 255},
	"Natural": {226, 212, 180, 255}, "Graphite": {70, 74, 82, 255}, "Pearl": {240, 236, 228, 255},
	"Oat": {222, 206, 176, 255}, "Moss": {110, 130, 70, 255}, "Cobalt": {30, 70, 170, 255},
	"Cream": {246, 238, 220, 255}, "Rust": {176, 76, 40, 255},
}

func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("demo: encode picture: %w", err)
	}
	return buf.Bytes(), nil
}
