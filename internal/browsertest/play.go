package browsertest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"time"

	"github.com/chromedp/chromedp"
)

// PlayTimeout bounds PlayHLS when its context has no deadline.
const PlayTimeout = 30 * time.Second

// minAdvance is how far, in seconds, the playhead must move for PlayHLS to
// call it playing.
const minAdvance = 1.0

// pollEvery is how often PlayHLS reads the video element's state.
const pollEvery = 100 * time.Millisecond

// Playback is what PlayHLS saw of the page's first <video> element.
type Playback struct {
	Start        float64  `json:"start"`        // currentTime when first read, in seconds
	CurrentTime  float64  `json:"currentTime"`  // currentTime when last read
	Duration     float64  `json:"duration"`     // seconds; 0 while unknown
	VideoWidth   int      `json:"videoWidth"`   // of the frame showing: tells which rendition plays
	VideoHeight  int      `json:"videoHeight"`  //
	ReadyState   int      `json:"readyState"`   // HTMLMediaElement.readyState, 4 = HAVE_ENOUGH_DATA
	ErrorCode    int      `json:"errorCode"`    // MediaError.code (1 aborted, 2 network, 3 decode, 4 not supported); 0 for none
	ErrorMessage string   `json:"errorMessage"` // MediaError.message
	NativeHLS    bool     `json:"nativeHLS"`    // canPlayType("application/vnd.apple.mpegurl") is not ""
	Resources    []string `json:"resources"`    // URLs the page fetched, in order, from Resource Timing (playlists and segments included)
}

// Advanced returns how far the playhead moved, in seconds.
func (p Playback) Advanced() float64 { return p.CurrentTime - p.Start }

// VideoPage returns an HTML page whose only content is a muted, autoplaying
// <video> with src, for a test server to serve to PlayHLS. Chromium plays an
// HLS master playlist given as src natively.
func VideoPage(src string) string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>player</title></head><body>` +
		`<video src="` + html.EscapeString(src) + `" muted autoplay playsinline></video></body></html>`
}

// stateJS reads the first video element, starting it if it is paused (a page
// without autoplay still plays: the browser allows it by flag).
const stateJS = `(() => {
  const v = document.querySelector('video');
  if (!v) return null;
  if (v.paused && !v.ended && !v.error) { v.muted = true; v.play().catch(() => {}); }
  return {
    currentTime: v.currentTime,
    duration: isFinite(v.duration) ? v.duration : 0,
    videoWidth: v.videoWidth, videoHeight: v.videoHeight,
    readyState: v.readyState,
    errorCode: v.error ? v.error.code : 0,
    errorMessage: v.error ? v.error.message : "",
    nativeHLS: v.canPlayType('application/vnd.apple.mpegurl') !== "",
    resources: performance.getEntriesByType('resource').map(e => e.name),
  };
})()`

// PlayHLS opens pageURL in the tab of ctx (from New) and waits until the
// page's first <video> has played at least one second, returning what it saw.
// It gives up after PlayTimeout unless ctx has an earlier deadline. It returns
// an error, with the Playback seen so far, if the page does not load, has no
// <video>, the element reports a MediaError, or the playhead does not advance
// in time.
func PlayHLS(ctx context.Context, pageURL string) (Playback, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, PlayTimeout)
		defer cancel()
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(pageURL)); err != nil {
		return Playback{}, fmt.Errorf("browsertest: open %s: %w", pageURL, err)
	}
	var pb Playback
	first := true
	for {
		var now *Playback
		if err := chromedp.Run(ctx, chromedp.Evaluate(stateJS, &now)); err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return pb, stalled(pb)
			}
			return pb, fmt.Errorf("browsertest: read video state on %s: %w", pageURL, err)
		}
		if now == nil {
			return pb, fmt.Errorf("browsertest: %s has no <video> element", pageURL)
		}
		start := pb.Start
		if first {
			start, first = now.CurrentTime, false
		}
		pb = *now
		pb.Start = start
		if pb.ErrorCode != 0 {
			return pb, fmt.Errorf("browsertest: media error %d (%s) at %.2fs", pb.ErrorCode, pb.ErrorMessage, pb.CurrentTime)
		}
		if pb.Advanced() >= minAdvance {
			return pb, nil
		}
		select {
		case <-ctx.Done():
			return pb, stalled(pb)
		case <-time.After(pollEvery):
		}
	}
}

func stalled(pb Playback) error {
	return fmt.Errorf("browsertest: playback stalled: currentTime went from %.2fs to %.2fs (readyState %d, %dx%d, %d resources fetched)",
		pb.Start, pb.CurrentTime, pb.ReadyState, pb.VideoWidth, pb.VideoHeight, len(pb.Resources))
}
