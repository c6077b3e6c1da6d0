package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/testenv"
)

// TestKilledWorkerTranscodeIsTakenOver runs the scale-out deployment: an
// API node that runs no transcodes, and `reelmart worker` processes. The
// worker transcoding a new video is killed with SIGKILL; its sandboxed
// `reelmart transcode` child dies with it, another worker takes the job
// over within a minute, and the video becomes ready.
func TestKilledWorkerTranscodeIsTakenOver(t *testing.T) {
	clip := longClip(t)
	t.Setenv("REELMART_TEST_RUN_MAIN", "1") // the sandbox re-runs this binary as `reelmart transcode`
	var b [4]byte
	_, _ = rand.Read(b[:])
	env := map[string]string{
		"REELMART_DATABASE_URL":  dbtest.PostgresURL(t),
		"REELMART_BLOB_URL":      testenv.S3(t),
		"REELMART_SEARCH_URL":    testenv.Elastic(t) + "?prefix=takeover-" + hex.EncodeToString(b[:]),
		"REELMART_WORKERS":       "0", // the API node leaves transcodes to the workers
		"REELMART_SHORT_WORKERS": "1",
	}
	workerEnv := maps.Clone(env) // serveUntilReady adds the API node's address and data dir to env
	base, stop := serveUntilReady(t, env)
	defer stop()
	d, err := db.Open(t.Context(), env["REELMART_DATABASE_URL"], "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	token := registerToken(t, base, "killtest")
	uploadID := tusUpload(t, base, token, clip)

	doomed := startWorker(t, workerEnv)
	var video struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if status := call(t, "POST", base+"/api/v1/videos", token, fmt.Sprintf(`{"upload_id":%q,"caption":"killed mid-transcode"}`, uploadID), &video); status != http.StatusAccepted {
		t.Fatalf("publish: %d %+v", status, video)
	}
	sandbox := awaitChild(t, doomed.Process.Pid, "transcode", time.Minute)
	survivor := startWorker(t, workerEnv)
	awaitWorkers(t, d, 3) // the API node's short-job worker, the doomed one and the survivor

	if err := doomed.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = doomed.Wait()
	if err := awaitExit(sandbox, 3*time.Second); err != nil {
		t.Fatalf("the killed worker's transcode child: %v", err)
	}
	retry := awaitChild(t, survivor.Process.Pid, "transcode", 75*time.Second)
	took := time.Since(killed)
	t.Logf("survivor started the transcode again (pid %d) %s after the kill", retry, took.Round(time.Millisecond))
	if took > time.Minute {
		t.Fatalf("the transcode was taken over %s after the kill, want within a minute", took)
	}

	deadline := time.Now().Add(3 * time.Minute)
	for video.Status == "processing" && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		call(t, "GET", base+"/api/v1/videos/"+video.ID, token, "", &video)
	}
	if video.Status != "ready" {
		t.Fatalf("video after the takeover: %+v", video)
	}
	t.Logf("video ready %s after the kill", time.Since(killed).Round(time.Millisecond))

	var attempt int
	var errs string
	if err := d.QueryRowContext(t.Context(), `SELECT attempt, array_to_string(errors, ' ') FROM river_job WHERE kind = 'media.transcode'`).Scan(&attempt, &errs); err != nil {
		t.Fatal(err)
	}
	if attempt != 2 || !strings.Contains(errs, "taken over") {
		t.Fatalf("transcode job: attempt %d, errors %s; want attempt 2 after a takeover", attempt, errs)
	}
}

// longClip is a 12 s 720p portrait clip: long enough to transcode for a few
// seconds, so the worker can be killed in the middle.
func longClip(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "long.mp4")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=720x1280:rate=30:duration=12",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=12",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg (install it: scripts/deps.sh): %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startWorker runs `reelmart worker` (this test binary running main) with
// env and a data directory of its own; it is killed when the test ends.
func startWorker(t *testing.T, env map[string]string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "worker")
	cmd.Env = append(os.Environ(), "REELMART_DATA_DIR="+t.TempDir(),
		"REELMART_WORKERS=1", "REELMART_SHORT_WORKERS=1")
	for k, v := range env {
		if k != "REELMART_WORKERS" && k != "REELMART_SHORT_WORKERS" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("worker %d logs:\n%s", cmd.Process.Pid, lastLines(logs.String(), 40))
		}
	})
	return cmd
}

// awaitWorkers waits until n processes that run jobs have registered.
func awaitWorkers(t *testing.T, d *db.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var got int
		if err := d.QueryRowContext(t.Context(), `SELECT count(*) FROM job_workers`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d job-running processes registered within a minute", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// awaitChild returns the pid of a child process of parent whose command
// line contains word, polling /proc until within has passed.
func awaitChild(t *testing.T, parent int, word string, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// "pid (comm) state ppid …"; comm may hold spaces and parens.
			f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(f) < 2 || f[1] != strconv.Itoa(parent) {
				continue
			}
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if bytes.Contains(cmdline, []byte(word)) {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d started no %q child within %s", parent, word, within)
	return 0
}

// awaitExit waits until pid is gone or a zombie (dead, not yet reaped by
// whoever inherited it).
func awaitExit(pid int, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for ctx.Err() == nil {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("pid %d still alive %s after its parent was killed", pid, within)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
