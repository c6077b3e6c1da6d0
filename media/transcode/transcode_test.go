package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type size struct{ w, h int }

// Every good input: what the ladder must look like.
var goodInputs = []struct {
	name     string
	audio    bool
	rungs    []size
	rotation int
}{
	{"landscape.mp4", true, []size{{1920, 1080}, {1280, 720}, {854, 480}, {640, 360}}, 0},
	{"portrait.mp4", true, []size{{1080, 1920}, {720, 1280}, {480, 854}, {360, 640}}, 0},
	{"rotated.mp4", true, []size{{720, 1280}, {480, 854}, {360, 640}}, 270},
	{"odd.mp4", true, []size{{636, 360}}, 0},
	{"noaudio.mp4", false, []size{{640, 360}}, 0},
	{"vfr.mp4", true, []size{{640, 360}}, 0},
	{"hevc.mp4", true, []size{{854, 480}, {640, 360}}, 0},
	{"vp9.webm", true, []size{{640, 360}}, 0},
}

func TestTranscodeLadder(t *testing.T) {
	for _, tc := range goodInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := fixture(t, tc.name)
			out := t.TempDir()
			var progress []float64
			res, err := Transcode(context.Background(), Request{Input: in, OutDir: out},
				func(v float64) { progress = append(progress, v) })
			if err != nil {
				t.Fatal(err)
			}
			if res.Info.Rotation != tc.rotation || res.Info.HasAudio != tc.audio {
				t.Errorf("info = %+v, want rotation %d, audio %v", res.Info, tc.rotation, tc.audio)
			}
			checkProgress(t, progress)
			checkOutput(t, in, out, res, tc.rungs, tc.audio)
		})
	}
}

func checkProgress(t *testing.T, progress []float64) {
	t.Helper()
	if len(progress) < 3 || progress[0] != 0 || progress[len(progress)-1] != 1 {
		t.Errorf("progress = %v, want 0 … 1 with steps between", progress)
	}
	if !slices.IsSorted(progress) {
		t.Errorf("progress went backwards: %v", progress)
	}
}

// checkOutput asserts with ffprobe what a player will see.
func checkOutput(t *testing.T, in, out string, res Result, want []size, audio bool) {
	t.Helper()
	src := ffprobeFile(t, in)
	srcDur := src.duration(t)

	if len(res.Renditions) != len(want) {
		t.Fatalf("renditions = %+v, want sizes %v", res.Renditions, want)
	}
	var firstKF []string
	for i, r := range res.Renditions {
		if r.Width != want[i].w || r.Height != want[i].h || r.Width%2 != 0 || r.Height%2 != 0 {
			t.Errorf("rendition %d is %dx%d, want %dx%d", i, r.Width, r.Height, want[i].w, want[i].h)
		}
		playlist := filepath.Join(out, r.Playlist)
		p := ffprobeFile(t, playlist)
		var v, a int
		for _, s := range p.Streams {
			switch s.CodecType {
			case "video":
				v++
				if s.CodecName != "h264" || s.Width != want[i].w || s.Height != want[i].h {
					t.Errorf("%s: video %s %dx%d, want h264 %dx%d", r.Name, s.CodecName, s.Width, s.Height, want[i].w, want[i].h)
				}
				for _, sd := range s.SideData {
					if sd.Type == "Display Matrix" && sd.Rotation != 0 {
						t.Errorf("%s: output still carries a rotation of %d", r.Name, sd.Rotation)
					}
				}
			case "audio":
				a++
				if s.CodecName != "aac" {
					t.Errorf("%s: audio codec %s, want aac", r.Name, s.CodecName)
				}
			}
		}
		if v != 1 || (a == 1) != audio || a > 1 {
			t.Errorf("%s: %d video and %d audio streams, want 1 and audio=%v", r.Name, v, a, audio)
		}
		if d := p.duration(t); math.Abs(d-srcDur) > 0.1 {
			t.Errorf("%s: duration %.3f s, source %.3f s", r.Name, d, srcDur)
		}
		kf := keyframeTimes(t, playlist)
		if i == 0 {
			firstKF = kf
			if len(kf) < 1 {
				t.Errorf("%s: no keyframes", r.Name)
			}
		} else if !slices.Equal(kf, firstKF) {
			t.Errorf("keyframes differ between rungs:\n%s: %v\n%s: %v", res.Renditions[0].Name, firstKF, r.Name, kf)
		}
		if !strings.HasPrefix(r.Codecs, "avc1.") || strings.Contains(r.Codecs, "mp4a.40.2") != audio {
			t.Errorf("%s: codecs %q (audio %v)", r.Name, r.Codecs, audio)
		}
	}
	checkMaster(t, filepath.Join(out, "master.m3u8"), res.Renditions, audio)
	checkPoster(t, filepath.Join(out, "poster.jpg"), res.Renditions[0])
	checkFiles(t, out, res.Files)
}

func checkMaster(t *testing.T, path string, rends []Rendition, audio bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var listed []string
	for i, l := range lines {
		if !strings.HasPrefix(l, "#EXT-X-STREAM-INF:") || i+1 >= len(lines) {
			continue
		}
		uri := lines[i+1]
		listed = append(listed, uri)
		idx := slices.IndexFunc(rends, func(r Rendition) bool { return r.Playlist == uri })
		if idx < 0 {
			t.Errorf("master lists unknown %s", uri)
			continue
		}
		r := rends[idx]
		for _, want := range []string{
			fmt.Sprintf("BANDWIDTH=%d,", r.Bandwidth),
			fmt.Sprintf("RESOLUTION=%dx%d", r.Width, r.Height),
			`CODECS="avc1.`,
		} {
			if !strings.Contains(l, want) {
				t.Errorf("master entry for %s lacks %s: %s", uri, want, l)
			}
		}
		if strings.Contains(l, "mp4a.40.2") != audio {
			t.Errorf("master entry for %s: audio codec listed %v, want %v", uri, !audio, audio)
		}
		if r.Bandwidth <= 0 || r.Average <= 0 || r.Average > r.Bandwidth {
			t.Errorf("%s: bandwidth %d, average %d", uri, r.Bandwidth, r.Average)
		}
	}
	if len(listed) != len(rends) {
		t.Errorf("master lists %v, want every one of %d renditions", listed, len(rends))
	}
}

func checkPoster(t *testing.T, path string, top Rendition) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("poster: %v", err)
	}
	b := img.Bounds()
	if (b.Dx() > b.Dy()) != (top.Width > top.Height) || min(b.Dx(), b.Dy()) > 720 || b.Dx() > top.Width {
		t.Errorf("poster is %dx%d for a %dx%d top rung", b.Dx(), b.Dy(), top.Width, top.Height)
	}
}

// checkFiles asserts Result.Files is exactly what is on disk.
func checkFiles(t *testing.T, out string, files []string) {
	t.Helper()
	var onDisk []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(out, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(onDisk)
	got := slices.Sorted(slices.Values(files))
	if !slices.Equal(got, onDisk) {
		t.Errorf("Result.Files = %v\non disk: %v", got, onDisk)
	}
}

// The fixtures themselves must be what the tests claim they are.
func TestFixturesAreWhatTheySay(t *testing.T) {
	p := ffprobeFile(t, fixture(t, "rotated.mp4"))
	rotated := false
	for _, sd := range p.Streams[0].SideData {
		rotated = rotated || (sd.Type == "Display Matrix" && sd.Rotation != 0)
	}
	if !rotated {
		t.Errorf("rotated.mp4 has no display matrix: %+v", p.Streams[0])
	}
	v := ffprobeFile(t, fixture(t, "vfr.mp4")).Streams[0]
	if v.RFrameRate == v.AvgFrameRate {
		t.Errorf("vfr.mp4 looks constant: r=%s avg=%s", v.RFrameRate, v.AvgFrameRate)
	}
}

// The rotated clip must come out the way the ffmpeg CLI's autorotate shows
// it, not merely with swapped dimensions.
func TestRotationMatchesFFmpeg(t *testing.T) {
	in := fixture(t, "rotated.mp4")
	out := t.TempDir()
	res, err := Transcode(context.Background(), Request{Input: in, OutDir: out, Rungs: []int{360}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Renditions[0]
	gray := func(args ...string) []byte {
		cmd := exec.Command("ffmpeg", append(append([]string{"-v", "error"}, args...),
			"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-")...)
		b, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ours := gray("-i", filepath.Join(out, r.Playlist))
	ref := gray("-i", in, "-vf", fmt.Sprintf("scale=%d:%d", r.Width, r.Height))
	if len(ours) != len(ref) {
		t.Fatalf("frame sizes %d and %d", len(ours), len(ref))
	}
	var diff float64
	for i := range ours {
		diff += math.Abs(float64(ours[i]) - float64(ref[i]))
	}
	if mean := diff / float64(len(ours)); mean > 6 {
		t.Errorf("first frame differs from ffmpeg's autorotated one by %.1f per pixel", mean)
	}
}

func TestProbeRejects(t *testing.T) {
	// A local server that must never be contacted by a playlist we refuse.
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	local := fixture(t, "noaudio.mp4")
	hlsLocal := write("hls-local.mp4", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n"+local+"\n#EXT-X-ENDLIST\n")
	hlsRemote := write("hls-remote.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n"+srv.URL+"/x.ts\n#EXT-X-ENDLIST\n")
	concat := write("concat.mp4", "ffconcat version 1.0\nfile '"+local+"'\nfile '"+srv.URL+"/y.mp4'\n")

	cases := []struct {
		name string
		path string
		lim  Limits
		code string
	}{
		{"zero bytes", fixture(t, "empty.mp4"), Limits{}, CodeEmptyFile},
		{"png renamed .mp4", fixture(t, "png-renamed.mp4"), Limits{}, CodeNotAVideo},
		{"truncated", fixture(t, "truncated.mp4"), Limits{}, CodeUndecodable},
		{"no frame decodes", fixture(t, "zeroed.mp4"), Limits{}, CodeUndecodable},
		{"codec without a decoder", fixture(t, "unknown-codec.mp4"), Limits{}, CodeUndecodable},
		{"audio only", fixture(t, "audio.m4a"), Limits{}, CodeNoVideoStream},
		{"hls naming a local file", hlsLocal, Limits{}, CodeUnsupportedFormat},
		{"hls naming a URL", hlsRemote, Limits{}, CodeUnsupportedFormat},
		{"concat list", concat, Limits{}, CodeUnsupportedFormat},
		{"too long", local, Limits{MaxDuration: time.Second}, CodeTooLong},
		{"too large", local, Limits{MaxBytes: 1000}, CodeTooLarge},
		{"too high", fixture(t, "landscape.mp4"), Limits{MaxSide: 1280}, CodeResolutionTooHigh},
		{"300 fps", fixture(t, "fast300.mp4"), Limits{}, CodeBadFrameRate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Probe(context.Background(), tc.path, tc.lim)
			var rej *RejectError
			if !errors.As(err, &rej) || rej.Code != tc.code || rej.Message == "" {
				t.Fatalf("Probe = %v, want reject %s", err, tc.code)
			}
			// Transcode rejects the same way and leaves nothing behind.
			out := t.TempDir()
			_, err = Transcode(context.Background(), Request{Input: tc.path, OutDir: out, Limits: tc.lim}, nil)
			if !errors.As(err, &rej) || rej.Code != tc.code {
				t.Fatalf("Transcode = %v, want reject %s", err, tc.code)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("left behind %v", ents)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("a refused playlist made %d HTTP requests", n)
	}
}

func TestProbeGood(t *testing.T) {
	info, err := Probe(context.Background(), fixture(t, "rotated.mp4"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(info.DurationMS-2000)) > 100 {
		t.Errorf("duration %d ms, want about 2000", info.DurationMS)
	}
	want := Info{DurationMS: info.DurationMS, Width: 720, Height: 1280, Rotation: 270, FrameRate: 30, VideoCodec: "h264", HasAudio: true, Size: info.Size}
	if info != want || info.Size == 0 {
		t.Errorf("Probe = %+v, want %+v", info, want)
	}
}

func TestTranscodeCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := t.TempDir()
	_, err := Transcode(ctx, Request{Input: fixture(t, "landscape.mp4"), OutDir: out}, func(v float64) {
		if v > 0.2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Transcode = %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("left behind %v", ents)
	}
}

func TestPlanLadder(t *testing.T) {
	cases := []struct {
		w, h int
		want []size
	}{
		{1920, 1080, []size{{1920, 1080}, {1280, 720}, {854, 480}, {640, 360}}},
		{1080, 1920, []size{{1080, 1920}, {720, 1280}, {480, 854}, {360, 640}}},
		{3840, 2160, []size{{1920, 1080}, {1280, 720}, {854, 480}, {640, 360}}},
		{641, 363, []size{{636, 360}}},
		{320, 241, []size{{318, 240}}},
		{321, 180, []size{{320, 180}}},
		{720, 720, []size{{720, 720}, {480, 480}, {360, 360}}},
	}
	for _, tc := range cases {
		var got []size
		for _, r := range planLadder(tc.w, tc.h, nil) {
			got = append(got, size{r.Width, r.Height})
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("planLadder(%d, %d) = %v, want %v", tc.w, tc.h, got, tc.want)
		}
	}
}

func TestSPSProfile(t *testing.T) {
	annexB := []byte{0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0, 0, 0, 1, 0x68, 0xeb}
	if p, c, l, ok := spsProfile(annexB); !ok || fmt.Sprintf("avc1.%02x%02x%02x", p, c, l) != "avc1.64001f" {
		t.Errorf("spsProfile = %x %x %x %v", p, c, l, ok)
	}
	if _, _, _, ok := spsProfile(bytes.Repeat([]byte{0}, 8)); ok {
		t.Error("found an SPS in zeros")
	}
}
