package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// LadderRungs are the frame sizes of the ladder Ladder writes, in the order
// of its master playlist's variants.
var LadderRungs = [2][2]int{{640, 360}, {320, 180}}

// Ladder writes a 4 s HLS ladder with fMP4 segments into a new directory
// under t.TempDir and returns the directory. It holds master.m3u8 with two
// variants, v0/ (640x360) and v1/ (320x180), each with index.m3u8, an init
// segment and four 1 s segments of H.264 test pattern and AAC tone. It
// fails the test if Debian's ffmpeg CLI is missing or fails.
func Ladder(t testing.TB) string {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatalf("browsertest: ffmpeg CLI not found; install it: scripts/deps.sh or apt-get install ffmpeg")
	}
	dir := filepath.Join(t.TempDir(), "hls")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=4",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
		"-filter_complex", "[0:v]split=2[v0][v1];[v1]scale=320:180[v1s]",
		"-map", "[v0]", "-map", "[v1s]", "-map", "1:a", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
		// A keyframe every second on both rungs, so segments align and players can switch.
		"-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
		"-b:v:0", "800k", "-b:v:1", "300k",
		"-c:a", "aac", "-b:a", "64k", "-ac", "2",
		"-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
		"-hls_segment_filename", filepath.Join(dir, "v%v", "seg_%03d.m4s"),
		"-master_pl_name", "master.m3u8", "-var_stream_map", "v:0,a:0 v:1,a:1",
		filepath.Join(dir, "v%v", "index.m3u8"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("browsertest: ffmpeg: %v\n%s", err, out)
	}
	return dir
}
