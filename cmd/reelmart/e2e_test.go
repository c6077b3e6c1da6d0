package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/internal/browsertest"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/testenv"
)

// TestPublishAndPlay is the creator's and the viewer's journey through the
// running server, on each deployment: sign up, upload a phone clip over tus,
// publish it, watch it become ready (the transcode runs in the sandboxed
// `reelmart transcode` child of this very binary), and play hls_url in
// headless Chromium.
func TestPublishAndPlay(t *testing.T) {
	clip := phoneClip(t)
	t.Setenv("REELMART_TEST_RUN_MAIN", "1") // the sandbox re-runs this binary as `reelmart transcode`
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded", func(t *testing.T) map[string]string { return map[string]string{} }},
		{"scale-out", func(t *testing.T) map[string]string {
			return map[string]string{
				"REELMART_DATABASE_URL": dbtest.PostgresURL(t),
				"REELMART_BLOB_URL":     testenv.S3(t),
				"REELMART_SEARCH_URL":   testenv.Elastic(t),
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, stop := serveUntilReady(t, tc.env(t))
			defer stop()
			token := registerToken(t, base, "creator")

			uploadID := tusUpload(t, base, token, clip)
			var video struct {
				ID         string  `json:"id"`
				Status     string  `json:"status"`
				Progress   float64 `json:"progress"`
				Error      string  `json:"error"`
				HLSURL     string  `json:"hls_url"`
				PosterURL  string  `json:"poster_url"`
				Width      int     `json:"width"`
				Height     int     `json:"height"`
				Renditions []struct {
					Name string `json:"name"`
				} `json:"renditions"`
			}
			status := call(t, "POST", base+"/api/v1/videos", token,
				fmt.Sprintf(`{"upload_id":%q,"caption":"first try #demo","hashtags":["demo"]}`, uploadID), &video)
			if status != http.StatusAccepted || video.Status != "processing" {
				t.Fatalf("publish: %d %+v", status, video)
			}
			deadline := time.Now().Add(3 * time.Minute)
			for video.Status == "processing" && time.Now().Before(deadline) {
				time.Sleep(250 * time.Millisecond)
				call(t, "GET", base+"/api/v1/videos/"+video.ID, token, "", &video)
			}
			if video.Status != "ready" {
				t.Fatalf("video not ready: %+v", video)
			}
			// Portrait phone clip 360×640: rungs 360 only (never upscaled).
			if video.Width != 360 || video.Height != 640 || len(video.Renditions) == 0 || !strings.HasPrefix(video.HLSURL, base) {
				t.Fatalf("ready video = %+v", video)
			}
			resp, err := http.Get(video.PosterURL)
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("poster: %v %v", resp, err)
			}
			resp.Body.Close()

			page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, browsertest.VideoPage(video.HLSURL))
			}))
			defer page.Close()
			pb, err := browsertest.PlayHLS(browsertest.New(t), page.URL)
			if err != nil {
				t.Fatalf("Chromium did not play %s: %v (%+v)", video.HLSURL, err, pb)
			}
			if pb.Advanced() < 1 || pb.VideoWidth != 360 {
				t.Fatalf("playback: %+v", pb)
			}

			// A signed-out viewer's events reach the creator's analytics
			// through the background aggregation within 10 s.
			events := `{"events":[{"event_id":"e1","type":"view"},{"event_id":"e2","type":"complete","position_ms":4000,"watched_ms":4000}]}`
			if status := call(t, "POST", base+"/api/v1/videos/"+video.ID+"/events", "", events, nil); status != http.StatusAccepted {
				t.Fatalf("events: %d", status)
			}
			var an struct {
				Totals struct {
					Views       int64 `json:"views"`
					Completions int64 `json:"completions"`
				} `json:"totals"`
			}
			sent := time.Now()
			for an.Totals.Views == 0 && time.Since(sent) < 10*time.Second {
				time.Sleep(200 * time.Millisecond)
				call(t, "GET", base+"/api/v1/videos/"+video.ID+"/analytics", token, "", &an)
			}
			if an.Totals.Views != 1 || an.Totals.Completions != 1 {
				t.Fatalf("analytics 10 s after the events: %+v", an.Totals)
			}
		})
	}
}

// phoneClip makes a 4 s portrait H.264/AAC clip with the ffmpeg CLI.
func phoneClip(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "clip.mp4")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=360x640:rate=30:duration=4",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=4",
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg (install it: scripts/deps.sh): %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func registerToken(t *testing.T, base, handle string) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	body := fmt.Sprintf(`{"email":"%s@example.com","password":"0123456789","handle":"%s","display_name":"X"}`, handle, handle)
	if status := call(t, "POST", base+"/api/v1/auth/register", "", body, &s); status != 201 {
		t.Fatalf("register: %d", status)
	}
	return s.Token
}

// tusUpload sends data in two PATCHes, as a phone on a flaky network would, and returns the upload id.
func tusUpload(t *testing.T, base, token string, data []byte) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/v1/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
	req.Header.Set("Upload-Metadata", "filename "+base64.StdEncoding.EncodeToString([]byte("clip.mp4")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("tus create: %v %v", resp, err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	half := len(data) / 2
	for _, part := range []struct {
		off  int
		data []byte
	}{{0, data[:half]}, {half, data[half:]}} {
		req, _ := http.NewRequest("PATCH", loc, bytes.NewReader(part.data))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strconv.Itoa(part.off))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("tus patch at %d: %v %v", part.off, resp, err)
		}
		resp.Body.Close()
	}
	return path.Base(loc)
}

// call sends a JSON request and decodes the JSON answer into out, returning the status.
func call(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}
