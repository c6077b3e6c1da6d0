package transcode

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkTranscode transcodes one 20 s 1080p clip to the default ladder
// twice in the same run: with reelmart's Sandbox (a child process, so its
// CPU time and peak RSS are measurable) and with one ffmpeg CLI command that
// uses split and the same x264 settings. It reports wall and CPU seconds of
// both and reelmart's ratio to ffmpeg (targets: wall ≤ 1.0, CPU ≤ 1.05,
// peak RSS < 600 MiB). Run it with `make bench-transcode`.
func BenchmarkTranscode(b *testing.B) {
	dir := b.TempDir()
	clip := filepath.Join(dir, "clip-1080p-20s.mp4")
	if err := ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=20",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=20",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", clip); err != nil {
		b.Fatal(err)
	}
	plan := planLadder(1920, 1080, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// ffmpeg first, then reelmart: both see the same warm page cache.
		out := filepath.Join(dir, fmt.Sprintf("ffmpeg-%d", i))
		args := ffmpegLadderArgs(clip, out, plan, DefaultSegmentSeconds, "")
		ffWall, ffCPU, ffRSS := runFFmpeg(b, args)
		// For context only: the same command with libx264 left to pick its
		// own thread count, ffmpeg's default (not the same settings).
		autoWall, autoCPU, autoRSS := runFFmpeg(b, ffmpegLadderArgs(clip, out+"-auto", plan, DefaultSegmentSeconds, "0"))

		var state *os.ProcessState
		sb := testSandbox()
		sb.OnExit = func(ps *os.ProcessState) { state = ps }
		start := time.Now()
		res, err := sb.Transcode(context.Background(), Request{Input: clip, OutDir: filepath.Join(dir, fmt.Sprintf("reelmart-%d", i))}, nil)
		if err != nil {
			b.Fatal(err)
		}
		rmWall := time.Since(start)
		rmCPU := state.UserTime() + state.SystemTime()
		rmRSS := maxRSS(state)
		if len(res.Renditions) != len(plan) {
			b.Fatalf("reelmart wrote %d renditions, want %d", len(res.Renditions), len(plan))
		}

		b.ReportMetric(rmWall.Seconds(), "reelmart-wall-s")
		b.ReportMetric(rmCPU.Seconds(), "reelmart-cpu-s")
		b.ReportMetric(ffWall.Seconds(), "ffmpeg-wall-s")
		b.ReportMetric(ffCPU.Seconds(), "ffmpeg-cpu-s")
		b.ReportMetric(rmWall.Seconds()/ffWall.Seconds(), "wall-ratio")
		b.ReportMetric(rmCPU.Seconds()/ffCPU.Seconds(), "cpu-ratio")
		b.ReportMetric(float64(rmRSS)/(1<<20), "reelmart-peak-rss-MiB")
		b.ReportMetric(float64(ffRSS)/(1<<20), "ffmpeg-peak-rss-MiB")
		b.ReportMetric(autoWall.Seconds(), "ffmpeg-autothreads-wall-s")
		b.ReportMetric(autoCPU.Seconds(), "ffmpeg-autothreads-cpu-s")
		b.ReportMetric(float64(autoRSS)/(1<<20), "ffmpeg-autothreads-peak-rss-MiB")
		b.Logf("ffmpeg %s", strings.Join(args, " "))
	}
}

// runFFmpeg runs the ffmpeg CLI and returns its wall time, CPU time (user
// and system) and peak RSS.
func runFFmpeg(b *testing.B, args []string) (wall, cpu time.Duration, rss int64) {
	b.Helper()
	start := time.Now()
	cmd := exec.Command("ffmpeg", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), maxRSS(cmd.ProcessState)
}

// maxRSS returns a finished process's peak resident set in bytes.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // Linux reports KiB
	}
	return 0
}

// ffmpegLadderArgs is the one ffmpeg command that does what Transcode does:
// split, the same scale filters, the same x264 options per rung, keyframes
// forced at every segment boundary, AAC, HLS fMP4 per rung and a master
// playlist. The ffmpeg CLI encodes the audio once per rung.
// A non-empty threads overrides libx264's thread count.
func ffmpegLadderArgs(in, outDir string, plan []rungPlan, seg float64, threads string) []string {
	var graph strings.Builder
	fmt.Fprintf(&graph, "[0:v]split=%d", len(plan))
	for i := range plan {
		fmt.Fprintf(&graph, "[s%d]", i)
	}
	for i, r := range plan {
		fmt.Fprintf(&graph, ";[s%d]%s[o%d]", i, scaleFilter(r.Width, r.Height, "yuv420p"), i)
	}
	args := []string{"-v", "error", "-nostdin", "-y", "-i", in, "-filter_complex", graph.String()}
	var streamMap []string
	for i := range plan {
		args = append(args, "-map", fmt.Sprintf("[o%d]", i), "-map", "0:a")
		streamMap = append(streamMap, fmt.Sprintf("v:%d,a:%d", i, i))
	}
	args = append(args, "-c:v", "libx264")
	for i, r := range plan {
		opts := x264Options(r)
		if threads != "" {
			opts["threads"] = threads
		}
		keys := make([]string, 0, len(opts))
		for k := range opts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			args = append(args, fmt.Sprintf("-%s:v:%d", k, i), opts[k])
		}
		args = append(args, fmt.Sprintf("-force_key_frames:v:%d", i), fmt.Sprintf("expr:gte(t,n_forced*%g)", seg))
	}
	args = append(args, "-c:a", "aac", "-b:a", fmt.Sprint(audioBitrate), "-ac", fmt.Sprint(audioChannels), "-ar", fmt.Sprint(audioRate),
		"-f", "hls", "-hls_time", fmt.Sprintf("%g", seg), "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
		"-hls_flags", "independent_segments", "-hls_segment_filename", filepath.Join(outDir, "%v", "seg_%03d.m4s"),
		"-master_pl_name", "master.m3u8", "-var_stream_map", strings.Join(streamMap, " "),
		filepath.Join(outDir, "%v", "index.m3u8"))
	return args
}
