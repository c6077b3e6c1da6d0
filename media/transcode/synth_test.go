package transcode

import (
	"context"
	"fmt"
	"image"
	_ "image/png" // frameAt decodes PNGs
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var testPalette = [3][3]byte{{200, 60, 30}, {250, 180, 40}, {255, 245, 220}}

// Every look makes a clip that the real probe accepts, with the size,
// length and streams asked for, and moving pictures.
func TestSynthesizeEveryLook(t *testing.T) {
	for i, name := range Looks {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name+".mp4")
			c := Clip{Output: out, Width: 96, Height: 160, Seconds: 1.5, FPS: 24, Look: name, Palette: testPalette,
				Notes: []float64{440, 554.37, 659.25}, Seed: i}
			if err := Synthesize(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			info, err := Probe(context.Background(), out, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Width != 96 || info.Height != 160 || !info.HasAudio || info.VideoCodec != "h264" ||
				math.Abs(float64(info.DurationMS)-1500) > 100 || math.Abs(info.FrameRate-24) > 0.1 {
				t.Fatalf("probed %+v", info)
			}
			var p probed
			probeJSON(t, &p, "-show_streams", out)
			for _, st := range p.Streams {
				if st.CodecType == "audio" && st.CodecName != "aac" {
					t.Fatalf("audio codec %s", st.CodecName)
				}
			}
			// The first and last frames differ: the pattern moves.
			first, last := frameAt(t, out, 0), frameAt(t, out, 1.4)
			if sameImage(first, last) {
				t.Fatal("the first and last frames are identical")
			}
		})
	}
}

// The sandbox runs synthesis in the child; a bad clip is refused before
// any FFmpeg work and leaves no file.
func TestSandboxSynthesize(t *testing.T) {
	out := filepath.Join(t.TempDir(), "clip.mp4")
	c := Clip{Output: out, Width: 64, Height: 64, Seconds: 1, Look: "plasma", Palette: testPalette}
	if err := testSandbox().Synthesize(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	info, err := Probe(context.Background(), out, Limits{})
	if err != nil || info.HasAudio || info.Width != 64 {
		t.Fatalf("silent clip: %+v %v", info, err)
	}
	for _, bad := range []Clip{
		{Output: out + "2", Width: 65, Height: 64, Seconds: 1, Look: "plasma"},
		{Output: out + "2", Width: 64, Height: 64, Seconds: 0, Look: "plasma"},
		{Output: out + "2", Width: 64, Height: 64, Seconds: 1, Look: "noise"},
		{Width: 64, Height: 64, Seconds: 1, Look: "plasma"},
	} {
		if err := testSandbox().Synthesize(context.Background(), bad); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
		if _, err := os.Stat(out + "2"); !os.IsNotExist(err) {
			t.Errorf("%+v left a file", bad)
		}
	}
}

// frameAt decodes the frame at second s with the ffmpeg CLI, as a PNG.
func frameAt(t *testing.T, path string, s float64) image.Image {
	t.Helper()
	png := filepath.Join(t.TempDir(), fmt.Sprintf("f%g.png", s))
	if err := ffmpeg("-ss", strconv.FormatFloat(s, 'f', 2, 64), "-i", path, "-frames:v", "1", png); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				return false
			}
		}
	}
	return true
}

// BenchmarkDraw measures drawing one 540×960 frame of each look in Go,
// the part of synthesis that is not FFmpeg's.
func BenchmarkDraw(b *testing.B) {
	for _, name := range Looks {
		b.Run(name, func(b *testing.B) {
			cv := newCanvas(Clip{Width: 540, Height: 960, FPS: 24, Look: name, Palette: testPalette})
			yuv := make([]byte, 540*960*3/2)
			for i := 0; i < b.N; i++ {
				cv.frame(i, yuv)
			}
		})
	}
}
