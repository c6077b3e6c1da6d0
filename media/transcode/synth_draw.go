package transcode

import "math"

// rgb is a colour with float channels in 0..255.
type rgb struct{ r, g, b float64 }

func (c rgb) mix(d rgb, t float64) rgb {
	t = min(max(t, 0), 1)
	return rgb{c.r + (d.r-c.r)*t, c.g + (d.g-c.g)*t, c.b + (d.b-c.b)*t}
}

func (c rgb) scale(k float64) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

// look returns the pixel function of the frame at t seconds, with what
// does not depend on the pixel worked out once. A pixel function takes x
// and y in 0..1 across the frame (y down); aspect is height/width, so
// shapes stay round.
type look func(p *palette, aspect, t float64) func(x, y float64) rgb

type palette struct {
	a, b, c rgb
	seed    float64
}

func drawer(name string) look {
	switch name {
	case "bokeh":
		return bokeh
	case "rings":
		return rings
	case "sunburst":
		return sunburst
	case "plasma":
		return plasma
	case "waves":
		return waves
	case "tiles":
		return tiles
	}
	return nil
}

// A diagonal gradient drifting under soft discs of light floating upward.
func bokeh(p *palette, aspect, t float64) func(x, y float64) rgb {
	type disc struct{ x, y, r float64 }
	var discs [6]disc
	for i := range discs {
		f := float64(i)
		discs[i] = disc{
			x: 0.5 + 0.42*math.Sin(0.37*t*(1+f/5)+f*1.7+p.seed),
			y: math.Mod(1.2-(0.07*t*(1+f/4)+f*0.31+p.seed/7), 1.4) - 0.2,
			r: 0.11 + 0.035*f,
		}
	}
	return func(x, y float64) rgb {
		c := p.a.mix(p.b, 0.5+0.5*math.Sin(2.2*(x+y*aspect)-0.6*t+p.seed))
		for _, d := range discs {
			dx, dy := (x-d.x)/d.r, (y-d.y)*aspect/d.r
			if q := dx*dx + dy*dy; q < 2.6 {
				c = c.mix(p.c, 0.75*math.Exp(-q*1.4))
			}
		}
		return c
	}
}

// Rings spreading from a centre that wanders over the frame.
func rings(p *palette, aspect, t float64) func(x, y float64) rgb {
	cx, cy := 0.5+0.25*math.Sin(0.5*t+p.seed), 0.5+0.2*math.Cos(0.4*t+p.seed)
	return func(x, y float64) rgb {
		d := math.Hypot(x-cx, (y-cy)*aspect)
		v := 0.5 + 0.5*math.Sin(26*d-4*t)
		return p.a.mix(p.b, v).mix(p.c, 1-d*2.4)
	}
}

// Rays turning around the centre, brighter toward the middle.
func sunburst(p *palette, aspect, t float64) func(x, y float64) rgb {
	turn := 0.5*t + p.seed
	return func(x, y float64) rgb {
		dx, dy := x-0.5, (y-0.5)*aspect
		v := 0.5 + 0.5*math.Sin(12*(math.Atan2(dy, dx)+turn))
		r := math.Hypot(dx, dy)
		return p.a.mix(p.b, v).mix(p.c, 1-r*3).scale(1.05 - 0.4*r)
	}
}

// Interfering sine fields, the demo-scene classic.
func plasma(p *palette, aspect, t float64) func(x, y float64) rgb {
	return func(x, y float64) rgb {
		y *= aspect
		v := math.Sin(9*x+t+p.seed) + math.Sin(7*y-1.3*t) + math.Sin(6*(x+y)+0.8*t) + math.Sin(11*math.Hypot(x-0.5, y-0.8)-1.7*t)
		v = (v + 4) / 8
		if v < 0.5 {
			return p.a.mix(p.b, v*2)
		}
		return p.b.mix(p.c, v*2-1)
	}
}

// Bands of colour rolling down the frame.
func waves(p *palette, aspect, t float64) func(x, y float64) rgb {
	return func(x, y float64) rgb {
		h := y*aspect + 0.06*math.Sin(7*x+1.5*t+p.seed) + 0.03*math.Sin(17*x-2.3*t)
		band := math.Mod(h*5-0.35*t+100, 1)
		c := p.a.mix(p.b, band)
		if band > 0.9 {
			c = c.mix(p.c, (band-0.9)*10)
		}
		return c
	}
}

// A grid of tiles whose colours flip one after another, like a shelf.
func tiles(p *palette, aspect, t float64) func(x, y float64) rgb {
	const cols = 4
	return func(x, y float64) rgb {
		tx, ty := math.Floor(x*cols), math.Floor(y*aspect*cols)
		fx, fy := x*cols-tx, y*aspect*cols-ty
		phase := 0.5 + 0.5*math.Sin(0.9*t+tx*1.3+ty*0.7+p.seed)
		if fx < 0.06 || fy < 0.06 || fx > 0.94 || fy > 0.94 {
			return p.c.scale(0.35)
		}
		// A soft highlight moving across each tile.
		return p.a.mix(p.b, phase).mix(p.c, 0.5*math.Exp(-8*((fx-phase)*(fx-phase)+(fy-0.5)*(fy-0.5))))
	}
}

// canvas draws the frames of a clip into YUV 4:2:0 (BT.601, limited
// range). The looks are smooth, so each frame's colours are worked out on a
// grid every gridStep pixels and the pixels between are interpolated: a
// sixteenth of the work, with no visible difference.
type canvas struct {
	w, h   int
	gw, gh int // grid points across and down
	fps    float64
	draw   look
	pal    palette
	aspect float64
	grid   []float64 // Y, U, V at each grid point
	col    []float64 // one grid row, interpolated down to the row being drawn
}

const gridStep = 4

func newCanvas(c Clip) *canvas {
	col := func(v [3]byte) rgb { return rgb{float64(v[0]), float64(v[1]), float64(v[2])} }
	gw, gh := c.Width/gridStep+2, c.Height/gridStep+2
	return &canvas{w: c.Width, h: c.Height, gw: gw, gh: gh, fps: float64(c.FPS), draw: drawer(c.Look),
		pal:    palette{a: col(c.Palette[0]), b: col(c.Palette[1]), c: col(c.Palette[2]), seed: float64(c.Seed) * 0.73},
		aspect: float64(c.Height) / float64(c.Width), grid: make([]float64, 3*gw*gh), col: make([]float64, gw)}
}

// frame fills yuv (w*h luma bytes, then the two quarter-size chroma
// planes) with frame i.
func (cv *canvas) frame(i int, yuv []byte) {
	px := cv.draw(&cv.pal, cv.aspect, float64(i)/cv.fps)
	for gy := 0; gy < cv.gh; gy++ {
		for gx := 0; gx < cv.gw; gx++ {
			c := px(float64(gx*gridStep)/float64(cv.w), float64(gy*gridStep)/float64(cv.h))
			r, g, b := min(max(c.r, 0), 255), min(max(c.g, 0), 255), min(max(c.b, 0), 255)
			k := 3 * (gy*cv.gw + gx)
			cv.grid[k] = 16 + (65.481*r+128.553*g+24.966*b)/255
			cv.grid[k+1] = 128 + (-37.797*r-74.203*g+112*b)/255
			cv.grid[k+2] = 128 + (112*r-93.786*g-18.214*b)/255
		}
	}
	cw, ch := cv.w/2, cv.h/2
	cv.plane(yuv[:cv.w*cv.h], cv.w, cv.h, 1, 0, 0)
	// A chroma sample sits between the four luma samples it covers.
	cv.plane(yuv[cv.w*cv.h:cv.w*cv.h+cw*ch], cw, ch, 2, 0.5, 1)
	cv.plane(yuv[cv.w*cv.h+cw*ch:], cw, ch, 2, 0.5, 2)
}

// plane fills a w×h plane of channel ch whose sample (x, y) sits at luma
// position (scale*x+off, scale*y+off), interpolating the grid: first down
// each grid column for the row, then across.
func (cv *canvas) plane(dst []byte, w, h int, scale, off float64, ch int) {
	col := cv.col
	for y := 0; y < h; y++ {
		gy := (scale*float64(y) + off) / gridStep
		iy := int(gy)
		fy := gy - float64(iy)
		top, bottom := cv.grid[3*iy*cv.gw:], cv.grid[3*(iy+1)*cv.gw:]
		for gx := range col {
			col[gx] = top[3*gx+ch]*(1-fy) + bottom[3*gx+ch]*fy
		}
		row := dst[y*w : (y+1)*w]
		for x := range row {
			gx := (scale*float64(x) + off) / gridStep
			ix := int(gx)
			fx := gx - float64(ix)
			row[x] = byte(col[ix]*(1-fx) + col[ix+1]*fx + 0.5)
		}
	}
}

// melody plays notes one after another, each a quarter of a second with a
// soft attack and decay, over a quiet drone of the first note an octave down.
type melody struct {
	notes []float64
	total int
}

func newMelody(notes []float64, total int) *melody { return &melody{notes: notes, total: total} }

const noteSamples = synthAudioRate / 4

// fill writes up to one AAC frame of little-endian float32 samples starting
// at sample from into pcm and returns how many it wrote.
func (m *melody) fill(from int, pcm []byte) int {
	n := min(synthFrameSize, m.total-from)
	for i := 0; i < n; i++ {
		s := from + i
		t := float64(s) / synthAudioRate
		note := m.notes[(s/noteSamples)%len(m.notes)]
		pos := float64(s%noteSamples) / noteSamples
		env := math.Min(1, pos*20) * math.Exp(-3*pos)
		v := 0.22*env*math.Sin(2*math.Pi*note*t) + 0.06*math.Sin(math.Pi*m.notes[0]*t)
		// Fade the whole clip in and out so it starts and ends without a click.
		v *= math.Min(1, math.Min(t*8, float64(m.total-s)/synthAudioRate*8))
		bits := math.Float32bits(float32(v))
		pcm[4*i], pcm[4*i+1], pcm[4*i+2], pcm[4*i+3] = byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24)
	}
	return n
}
