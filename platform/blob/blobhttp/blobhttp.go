// Package blobhttp serves one object of any blob.Store to a browser over
// HTTP: GET and HEAD, single byte ranges, conditional requests and cache
// headers, streaming the bytes without ever holding a whole object in memory.
//
// The header work (Range, If-None-Match, If-Modified-Since, If-Range, 206,
// 304, 416) is http.ServeContent's; Serve gives it an io.ReadSeeker over the
// store whose size comes from Stat and whose bytes come from one ranged Get
// opened on the first Read, so a 1 KiB range of a 1 GiB object reads 1 KiB.
package blobhttp

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/reelmart/reelmart/platform/blob"
)

// Cache-Control values for the objects of an HLS ladder. Segments, init
// segments and posters are written once under a video's prefix and never
// change; playlists are small and may be rewritten (a re-encode, a
// deletion), so browsers keep them briefly and then revalidate cheaply with
// If-None-Match.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CachePlaylist  = "public, max-age=60"
	// CacheRevalidate is sent when Options.CacheControl is empty: the
	// browser may store the object but asks (conditionally) before reuse.
	CacheRevalidate = "no-cache"
)

// ErrMethodNotAllowed is returned, before anything is written, for a
// request that is neither GET nor HEAD. The caller answers 405 with
// "Allow: GET, HEAD".
var ErrMethodNotAllowed = errors.New("blobhttp: method not allowed")

// ErrAborted is wrapped by the errors Serve returns after the status line
// and headers have gone out: the body was cut short (the object could not
// be read, changed under the response, or the client went away) and the
// caller must not write anything more; it can only log.
var ErrAborted = errors.New("blobhttp: response aborted")

// Options says how Serve answers.
type Options struct {
	// CacheControl is the Cache-Control header of the response, for example
	// CacheImmutable or CachePlaylist. Empty sends CacheRevalidate.
	CacheControl string
}

// Serve answers a GET or HEAD request r with the object at key in store.
//
// It answers 200 with the whole object, 206 with Content-Range for one
// satisfiable byte range ("bytes=0-99", "bytes=100-", "bytes=-100"), 416
// with "Content-Range: bytes */size" for an unsatisfiable one (as plain
// text, written by http.ServeContent), and 304 when If-None-Match matches
// the ETag or If-Modified-Since is not older than Last-Modified. A request
// for several ranges gets the whole object with 200, as from S3, which
// serves only single ranges: one ranged read per part would let one request
// fan out into thousands of store reads. Every answer carries Accept-Ranges,
// the object's ETag and Last-Modified, opts.CacheControl, and a Content-Type
// from the stored type or, when that is empty or
// blob.DefaultContentType, from the key's extension (see ContentType).
//
// Serve returns nil once it has answered. It writes nothing and returns an
// error when the request cannot be served: one wrapping
// ErrMethodNotAllowed, blob.ErrNotFound for a missing object,
// blob.ErrInvalidKey for a bad key, or the store's error, so the caller
// writes its own problem+json (404 for the first two). An error wrapping
// ErrAborted means the response had already started.
func Serve(w http.ResponseWriter, r *http.Request, store blob.Store, key string, opts Options) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return fmt.Errorf("blobhttp: %s %s: %w", r.Method, key, ErrMethodNotAllowed)
	}
	info, err := store.Stat(r.Context(), key)
	if err != nil {
		return fmt.Errorf("blobhttp: serve %s: %w", key, err)
	}
	if strings.Contains(r.Header.Get("Range"), ",") {
		r = withoutRange(r)
	}
	h := w.Header()
	h.Set("Content-Type", ContentType(key, info.ContentType))
	h.Set("X-Content-Type-Options", "nosniff")
	if etag, ok := quoteETag(info.ETag); ok {
		h.Set("ETag", etag)
	}
	cc := opts.CacheControl
	if cc == "" {
		cc = CacheRevalidate
	}
	h.Set("Cache-Control", cc)

	o := &object{ctx: r.Context(), store: store, info: info}
	if rng, ok := singleRange(r.Header.Get("Range"), info.Size); ok {
		o.hint = rng
	}
	defer o.Close()
	http.ServeContent(w, r, "", info.ModTime, o)
	if o.err != nil {
		return fmt.Errorf("%w: serve %s: %w", ErrAborted, key, o.err)
	}
	return nil
}

// withoutRange returns a shallow copy of r with its Range header removed.
func withoutRange(r *http.Request) *http.Request {
	r2 := r.WithContext(r.Context())
	r2.Header = r.Header.Clone()
	r2.Header.Del("Range")
	return r2
}

// quoteETag returns the store's opaque tag as an HTTP entity tag, or false
// if it cannot be one (empty, or holding a quote or control byte), in which
// case Last-Modified alone validates caches.
func quoteETag(tag string) (string, bool) {
	if tag == "" {
		return "", false
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; c <= ' ' || c == '"' || c == 0x7f {
			return "", false
		}
	}
	return `"` + tag + `"`, true
}

// extTypes are the types of what the media pipeline writes, fixed here
// rather than left to the machine's mime tables, which lack most of them or
// disagree (.m3u8 is also "audio/x-mpegurl" in some).
var extTypes = map[string]string{
	".m3u8": "application/vnd.apple.mpegurl",
	".m4s":  "video/iso.segment",
	".mp4":  "video/mp4",
	".m4a":  "audio/mp4",
	".ts":   "video/mp2t",
	".vtt":  "text/vtt; charset=utf-8",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".webp": "image/webp",
	".webm": "video/webm",
	".json": "application/json",
}

// ContentType returns stored unless it is empty or blob.DefaultContentType,
// else the type of key's extension (.m3u8 application/vnd.apple.mpegurl,
// .m4s video/iso.segment, .mp4 video/mp4, .jpg image/jpeg, …), else
// blob.DefaultContentType.
func ContentType(key, stored string) string {
	if stored != "" && stored != blob.DefaultContentType {
		return stored
	}
	ext := strings.ToLower(path.Ext(key))
	if t, ok := extTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return blob.DefaultContentType
}

// singleRange returns the byte range a Range header of exactly one
// "bytes=" spec selects in an object of size bytes, or false if the header
// is absent, malformed, lists several ranges or cannot be satisfied. It only
// sizes the store read; http.ServeContent decides what is answered.
func singleRange(header string, size int64) (blob.Range, bool) {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return blob.Range{}, false
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return blob.Range{}, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" { // suffix: the last n bytes
		n, ok := parseOffset(last)
		if !ok || n == 0 || size == 0 {
			return blob.Range{}, false
		}
		n = min(n, size)
		return blob.Range{Offset: size - n, Length: n}, true
	}
	start, ok := parseOffset(first)
	if !ok || start >= size {
		return blob.Range{}, false
	}
	if last == "" {
		return blob.Range{Offset: start, Length: size - start}, true
	}
	end, ok := parseOffset(last)
	if !ok || end < start {
		return blob.Range{}, false
	}
	return blob.Range{Offset: start, Length: min(end, size-1) - start + 1}, true
}

// parseOffset parses a non-negative decimal without sign, or returns false.
func parseOffset(s string) (int64, bool) {
	if s == "" || len(s) > 18 { // 18 digits cannot overflow int64
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// checkSame returns an error if got, the Info of a Get, is not the version
// of the object that Stat described, whose size and tag the response
// headers already promise.
func checkSame(want, got blob.Info) error {
	if got.Size != want.Size || got.ETag != want.ETag {
		return fmt.Errorf("object changed while being served (size %d→%d, etag %q→%q)", want.Size, got.Size, want.ETag, got.ETag)
	}
	return nil
}
