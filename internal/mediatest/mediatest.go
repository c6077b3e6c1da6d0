// Package mediatest makes the small media files that tests upload, probe and
// transcode, with Debian's ffmpeg CLI, and lists what ended up in a blob store.
package mediatest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/local"
)

var (
	mu  sync.Mutex
	dir string // made on first use; RemoveFixtures deletes it
)

// Fixture returns the path of a generated input, made once per test binary:
// "good.mp4" (2 s 320x240 H.264 + AAC), "long.mp4" (10 s 640x360),
// "noaudio.mp4" (2 s portrait, no audio), "audio.mp4" (audio only),
// "png.mp4" (a PNG renamed), "empty.mp4" (zero bytes) or "truncated.mp4"
// (the first third of good.mp4).
func Fixture(t testing.TB, name string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	return fixture(t, name)
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	if dir == "" {
		d, err := os.MkdirTemp("", "reelmart-fixtures-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	ff := func(args ...string) {
		t.Helper()
		cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v (install it: scripts/deps.sh): %v\n%s", args, err, out)
		}
	}
	video := func(size, seconds string, audio bool) []string {
		args := []string{"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=25"}
		if audio {
			args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-c:a", "aac", "-shortest")
		}
		return append(args, "-t", seconds, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p)
	}
	switch name {
	case "good.mp4":
		ff(video("320x240", "2", true)...)
	case "long.mp4":
		ff(video("640x360", "10", true)...)
	case "noaudio.mp4":
		ff(video("240x320", "2", false)...)
	case "audio.mp4":
		ff("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "2", "-c:a", "aac", p)
	case "png.mp4":
		ff("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", "-f", "image2", "-c:v", "png", p)
	case "empty.mp4":
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	case "truncated.mp4":
		good, err := os.ReadFile(fixture(t, "good.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, good[:len(good)/3], 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("mediatest: no fixture %q", name)
	}
	return p
}

// RemoveFixtures deletes the generated files; call it from TestMain after m.Run.
func RemoveFixtures() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		_ = os.RemoveAll(dir)
		dir = ""
	}
}

// LocalStore returns a local-disk store in a temporary directory.
func LocalStore(t testing.TB) blob.Store {
	t.Helper()
	st, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Keys lists every object key in store under prefix, in order.
func Keys(t testing.TB, store blob.Store, prefix string) []string {
	t.Helper()
	var out []string
	for info, err := range store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		out = append(out, info.Key)
	}
	return out
}
