// Package browsertest runs Debian's Chromium headless from tests through
// chromedp. It only ever starts the browser installed at ChromiumPath: no
// tool is allowed to download one.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is the browser the tests run: Debian's chromium package.
const ChromiumPath = "/usr/bin/chromium"

// startTimeout bounds how long New waits for the browser to come up.
const startTimeout = 30 * time.Second

// flags are the browser's command line, chosen so a test run touches nothing
// but the servers the test names: no updates, no sync, no first-run pages,
// no background requests, and media that plays without a click and silently.
var flags = []string{
	"headless",
	"no-sandbox", // tests run as root in containers, where the sandbox cannot start
	"disable-gpu",
	"disable-background-networking",
	"disable-component-update",
	"no-first-run",
	"disable-quic",
	"disable-sync",
	"mute-audio",
}

// New starts a headless Chromium with a fresh profile in t.TempDir and
// returns the context of one tab in it, for chromedp.Run. The browser stops
// when the test ends. If ChromiumPath is missing or the browser does not
// start, New fails the test; it never skips.
func New(t testing.TB) context.Context {
	t.Helper()
	if fi, err := os.Stat(ChromiumPath); err != nil || fi.IsDir() {
		t.Fatalf("browsertest: %s not found; install it: scripts/deps.sh or apt-get install chromium", ChromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WSURLReadTimeout(startTimeout),
	}
	for _, f := range flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	// The browser's own output is kept for the failure message only.
	out := &syncBuffer{}
	opts = append(opts, chromedp.CombinedOutput(out))

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully and wait for it, so no helper process
		// still writes into the profile when TempDir removes it; killing it
		// (a bare cancel) leaves its network service writing for a moment.
		if err := chromedp.Cancel(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("browsertest: close browser: %v", err)
		}
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser, whose life is tied to the context
	// that Run gets, so the start is bounded by a timer, not a deadline.
	watchdog := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Run(ctx)
	if !watchdog.Stop() {
		err = fmt.Errorf("no answer within %s", startTimeout)
	}
	if err != nil {
		t.Fatalf("browsertest: start %s: %v\nbrowser output:\n%s", ChromiumPath, err, out.String())
	}
	return ctx
}

// syncBuffer is a bytes.Buffer that the browser's output goroutine and the
// test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
