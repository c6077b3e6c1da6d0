package transcode

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSandboxTranscode(t *testing.T) {
	var progress []float64
	var exited bool
	sb := testSandbox()
	sb.OnExit = func(ps *os.ProcessState) { exited = ps.Exited() && ps.Success() }
	in := fixture(t, "noaudio.mp4")
	out := t.TempDir()
	res, err := sb.Transcode(context.Background(), Request{Input: in, OutDir: out},
		func(v float64) { progress = append(progress, v) })
	if err != nil {
		t.Fatal(err)
	}
	checkProgress(t, progress)
	checkOutput(t, in, out, res, []size{{640, 360}}, false)
	if !exited {
		t.Error("OnExit did not see a clean exit")
	}
}

func TestSandboxProbe(t *testing.T) {
	info, err := testSandbox().Probe(context.Background(), fixture(t, "portrait.mp4"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 1080 || info.Height != 1920 || !info.HasAudio {
		t.Errorf("Probe = %+v", info)
	}
}

func TestSandboxRejectCrossesTheProcessBoundary(t *testing.T) {
	_, err := testSandbox().Probe(context.Background(), fixture(t, "png-renamed.mp4"), Limits{})
	var rej *RejectError
	if !errors.As(err, &rej) || rej.Code != CodeNotAVideo || rej.Message == "" {
		t.Fatalf("Probe = %v, want reject %s", err, CodeNotAVideo)
	}
	_, err = testSandbox().Transcode(context.Background(), Request{Input: fixture(t, "audio.m4a"), OutDir: t.TempDir()}, nil)
	if !errors.As(err, &rej) || rej.Code != CodeNoVideoStream {
		t.Fatalf("Transcode = %v, want reject %s", err, CodeNoVideoStream)
	}
}

func TestSandboxTimeout(t *testing.T) {
	sb := testSandbox(hookEnv + "=hang")
	sb.Timeout = 2 * time.Second
	start := time.Now()
	_, err := sb.Transcode(context.Background(), Request{Input: fixture(t, "noaudio.mp4"), OutDir: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), "child killed after 2s timeout") {
		t.Fatalf("err = %v, want a timeout kill", err)
	}
	var rej *RejectError
	if errors.As(err, &rej) {
		t.Error("a timeout must not be a reject: it is retryable")
	}
	t.Log(err)
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s to enforce a 2s timeout", d)
	}
}

func TestSandboxCrashIsAnOrdinaryError(t *testing.T) {
	for _, hook := range []string{"crash", "exit139"} {
		t.Run(hook, func(t *testing.T) {
			_, err := testSandbox(hookEnv+"="+hook).Transcode(context.Background(),
				Request{Input: fixture(t, "noaudio.mp4"), OutDir: t.TempDir()}, nil)
			var rej *RejectError
			if err == nil || errors.As(err, &rej) || !strings.Contains(err.Error(), "transcode: child crashed") {
				t.Fatalf("err = %v, want an ordinary crash error", err)
			}
			t.Log(err)
			if hook == "crash" && !strings.Contains(err.Error(), "signal: aborted") {
				t.Errorf("err = %v, want the signal named", err)
			}
		})
	}
}

func TestSandboxMemoryLimit(t *testing.T) {
	sb := testSandbox()
	sb.MaxMemory = 300 << 20
	_, err := sb.Transcode(context.Background(), Request{Input: fixture(t, "landscape.mp4"), OutDir: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), "exceeded memory limit of 300.0 MiB") {
		t.Fatalf("err = %v, want the memory limit named", err)
	}
	t.Log(err)
}

func TestSandboxCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var got []float64
	_, err := testSandbox().Transcode(ctx, Request{Input: fixture(t, "landscape.mp4"), OutDir: t.TempDir()}, func(v float64) {
		got = append(got, v)
		if v > 0.1 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !slices.IsSorted(got) {
		t.Errorf("progress went backwards: %v", got)
	}
}
