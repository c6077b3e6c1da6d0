package transcode

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// rungPlan is one rung to encode: its output size and rate cap.
type rungPlan struct {
	Name      string
	Width     int
	Height    int
	MaxRateK  int // x264 maxrate in kbit/s; bufsize is twice this
	shortSide int
}

// maxRatesK caps each standard rung's video bitrate (kbit/s).
var maxRatesK = map[int]int{1080: 5000, 720: 3000, 480: 1500, 360: 800}

// planLadder picks the rungs for a w×h (displayed) source: every requested
// short-side size that does not upscale, largest first; a source smaller
// than every rung gets one rung at its own size. Sizes keep the aspect ratio
// and are even, as 4:2:0 H.264 requires.
func planLadder(w, h int, rungs []int) []rungPlan {
	if len(rungs) == 0 {
		rungs = DefaultRungs
	}
	short := min(w, h)
	var sizes []int
	for _, r := range rungs {
		if r > 0 && r <= short && !slices.Contains(sizes, r) {
			sizes = append(sizes, r)
		}
	}
	if len(sizes) == 0 {
		sizes = []int{short}
	}
	slices.SortFunc(sizes, func(a, b int) int { return b - a })
	var out []rungPlan
	for _, s := range sizes {
		// Round to even, but never past the source (an odd side rounds down).
		s := max(s&^1, 2)
		var rw, rh int
		if w <= h {
			rw, rh = s, min(even(float64(h)*float64(s)/float64(w)), max(h&^1, 2))
		} else {
			rw, rh = min(even(float64(w)*float64(s)/float64(h)), max(w&^1, 2)), s
		}
		out = append(out, rungPlan{
			Name:      strconv.Itoa(min(rw, rh)) + "p",
			Width:     rw,
			Height:    rh,
			MaxRateK:  maxRateFor(rw, rh),
			shortSide: s,
		})
	}
	return out
}

// even rounds to the nearest even integer, at least 2.
func even(v float64) int {
	n := int(math.Round(v/2)) * 2
	return max(n, 2)
}

// maxRateFor returns the standard cap for a standard short side and
// otherwise scales the 720p cap by pixel count (to the power 0.75, as
// perceived quality grows slower than area).
func maxRateFor(w, h int) int {
	if r, ok := maxRatesK[min(w, h)]; ok {
		return r
	}
	k := 3000 * math.Pow(float64(w*h)/(1280*720), 0.75)
	return max(200, int(math.Round(k/50))*50)
}

// x264Options are the encoder settings of every rung, shared with the
// benchmark's ffmpeg command so both encode the same way. Threads and
// lookahead are capped so four 1080p-class encoders fit in memory.
func x264Options(p rungPlan) map[string]string {
	return map[string]string{
		"preset":      "faster",
		"crf":         "23",
		"profile":     "high",
		"maxrate":     fmt.Sprintf("%dk", p.MaxRateK),
		"bufsize":     fmt.Sprintf("%dk", 2*p.MaxRateK),
		"threads":     "1",
		"x264-params": "scenecut=0:rc-lookahead=10",
		"forced-idr":  "1",
	}
}

// Audio settings: AAC-LC through libavcodec's native encoder.
const (
	audioRate     = 48000
	audioBitrate  = 128000
	audioChannels = 2
)
