package transcode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Inputs are made with the ffmpeg CLI (lavfi sources) on first use, once per
// test binary, and kept short and small: the machine has two cores.
var fixtures = struct {
	mu   sync.Mutex
	dir  string
	once map[string]*sync.Once
	errs map[string]error
}{once: map[string]*sync.Once{}, errs: map[string]error{}}

const (
	video1080 = "testsrc2=size=1920x1080:rate=30:duration=2"
	tone      = "sine=frequency=440:sample_rate=44100:duration=2"
	fastH264  = "-c:v libx264 -preset ultrafast -pix_fmt yuv420p"
)

// fixtureRecipes are ffmpeg argument lists; OUT is the output path and DIR
// the fixture directory.
var fixtureRecipes = map[string]string{
	"landscape.mp4": "-f lavfi -i " + video1080 + " -f lavfi -i " + tone + " " + fastH264 + " -c:a aac OUT",
	"portrait.mp4":  "-f lavfi -i testsrc2=size=1080x1920:rate=30:duration=2 -f lavfi -i " + tone + " " + fastH264 + " -c:a aac OUT",
	"plain720.mp4":  "-f lavfi -i testsrc2=size=1280x720:rate=30:duration=2 -f lavfi -i " + tone + " " + fastH264 + " -c:a aac OUT",
	// A phone holding the camera upright: 1280x720 stored, a 90° display matrix.
	"rotated.mp4": "-i DIR/plain720.mp4 -c copy -metadata:s:v:0 rotate=90 OUT",
	"odd.mp4":     "-f lavfi -i testsrc2=size=641x363:rate=25:duration=2 -f lavfi -i " + tone + " -c:v libx264 -preset ultrafast -pix_fmt yuv444p -c:a aac OUT",
	"noaudio.mp4": "-f lavfi -i testsrc2=size=640x360:rate=30:duration=2 " + fastH264 + " OUT",
	// Frames dropped irregularly and timestamps kept: variable frame rate.
	"vfr.mp4":  "-f lavfi -i testsrc2=size=640x360:rate=30:duration=3 -f lavfi -i sine=duration=3 -vf select=not(between(mod(n\\,30)\\,5\\,14)) -fps_mode vfr " + fastH264 + " -c:a aac OUT",
	"hevc.mp4": "-f lavfi -i testsrc2=size=854x480:rate=30:duration=2 -f lavfi -i " + tone + " -c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1 -c:a aac OUT",
	"vp9.webm": "-f lavfi -i testsrc2=size=640x360:rate=30:duration=2 -f lavfi -i " + tone + " -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 500k -c:a libopus OUT",
	// Bad inputs.
	"image.png":     "-f lavfi -i testsrc2=size=320x240 -frames:v 1 OUT",
	"audio.m4a":     "-f lavfi -i " + tone + " -c:a aac OUT",
	"moovlast.mp4":  "-f lavfi -i testsrc2=size=640x360:rate=30:duration=2 " + fastH264 + " OUT",
	"faststart.mp4": "-f lavfi -i testsrc2=size=640x360:rate=30:duration=2 " + fastH264 + " -movflags +faststart OUT",
	"fast300.mp4":   "-f lavfi -i testsrc2=size=160x120:rate=300:duration=0.2 " + fastH264 + " OUT",
}

// fixture returns the path of the named input, making it on first use.
func fixture(t testing.TB, name string) string {
	t.Helper()
	fixtures.mu.Lock()
	if fixtures.dir == "" {
		d, err := os.MkdirTemp("", "transcode-fixtures-")
		if err != nil {
			fixtures.mu.Unlock()
			t.Fatal(err)
		}
		fixtures.dir = d
	}
	once := fixtures.once[name]
	if once == nil {
		once = new(sync.Once)
		fixtures.once[name] = once
	}
	dir := fixtures.dir
	fixtures.mu.Unlock()
	out := filepath.Join(dir, name)
	once.Do(func() {
		err := makeFixture(t, dir, name, out)
		fixtures.mu.Lock()
		fixtures.errs[name] = err
		fixtures.mu.Unlock()
	})
	fixtures.mu.Lock()
	err := fixtures.errs[name]
	fixtures.mu.Unlock()
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return out
}

func makeFixture(t testing.TB, dir, name, out string) error {
	switch name {
	case "empty.mp4":
		return os.WriteFile(out, nil, 0o644)
	case "png-renamed.mp4":
		return copyFile(fixture(t, "image.png"), out)
	case "unknown-codec.mp4":
		// The sample entry renamed to a fourcc no decoder knows.
		b, err := os.ReadFile(fixture(t, "noaudio.mp4"))
		if err != nil {
			return err
		}
		i := bytes.LastIndex(b, []byte("avc1"))
		if i < 0 {
			return fmt.Errorf("no avc1 sample entry")
		}
		copy(b[i:], "zzzz")
		return os.WriteFile(out, b, 0o644)
	case "zeroed.mp4":
		// The container intact, every byte of the media data zeroed.
		b, err := os.ReadFile(fixture(t, "faststart.mp4"))
		if err != nil {
			return err
		}
		i := bytes.Index(b, []byte("mdat"))
		if i < 0 {
			return fmt.Errorf("no mdat")
		}
		clear(b[i+4:])
		return os.WriteFile(out, b, 0o644)
	case "truncated.mp4":
		b, err := os.ReadFile(fixture(t, "moovlast.mp4"))
		if err != nil {
			return err
		}
		return os.WriteFile(out, b[:len(b)/2], 0o644)
	}
	recipe, ok := fixtureRecipes[name]
	if !ok {
		return fmt.Errorf("no recipe")
	}
	if strings.Contains(recipe, "DIR/") {
		for dep := range fixtureRecipes {
			if strings.Contains(recipe, "DIR/"+dep) {
				fixture(t, dep)
			}
		}
	}
	var args []string
	for _, a := range strings.Fields(recipe) {
		a = strings.ReplaceAll(a, "DIR", dir)
		if a == "OUT" {
			a = out
		}
		args = append(args, a)
	}
	return ffmpeg(args...)
}

func ffmpeg(args ...string) error {
	cmd := exec.Command("ffmpeg", append([]string{"-v", "error", "-nostdin", "-y"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// probeJSON runs ffprobe with args and decodes its JSON output.
func probeJSON(t testing.TB, v any, args ...string) {
	t.Helper()
	cmd := exec.Command("ffprobe", append([]string{"-v", "error", "-of", "json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe %v: %v: %s", args, err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("ffprobe %v: %v", args, err)
	}
}

type probedStream struct {
	CodecType    string `json:"codec_type"`
	CodecName    string `json:"codec_name"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	RFrameRate   string `json:"r_frame_rate"`
	AvgFrameRate string `json:"avg_frame_rate"`
	SideData     []struct {
		Type     string `json:"side_data_type"`
		Rotation int    `json:"rotation"`
	} `json:"side_data_list"`
}

type probed struct {
	Streams []probedStream `json:"streams"`
	Format  struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func ffprobeFile(t testing.TB, path string) probed {
	t.Helper()
	var p probed
	probeJSON(t, &p, "-show_streams", "-show_format", path)
	return p
}

func (p probed) duration(t testing.TB) float64 {
	t.Helper()
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil {
		t.Fatalf("duration %q: %v", p.Format.Duration, err)
	}
	return d
}

// keyframeTimes lists the pts of the video keyframes in a playlist.
func keyframeTimes(t testing.TB, playlist string) []string {
	t.Helper()
	var out struct {
		Packets []struct {
			PTS   string `json:"pts_time"`
			Flags string `json:"flags"`
		} `json:"packets"`
	}
	probeJSON(t, &out, "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", playlist)
	var kf []string
	for _, p := range out.Packets {
		if strings.HasPrefix(p.Flags, "K") {
			kf = append(kf, p.PTS)
		}
	}
	return kf
}
