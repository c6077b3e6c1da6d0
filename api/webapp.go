package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
)

// webApp serves the built web app (web/dist) at / : its files as they are,
// and index.html for every other path, so a deep link such as
// /orders/abc opens the app, which routes it. Files are read and
// gzip-compressed once, when the server starts; the build is a few hundred
// KiB.
type webApp struct {
	files map[string]*webFile
	csp   string
	// home, when set, is the public URL that pages asked for under another
	// host are redirected to (see Deps.RedirectToPublicURL).
	home, homeHost string
}

type webFile struct {
	body, gz    []byte
	contentType string
	etag        string
	cache       string
}

// cacheForever is for Vite's content-hashed assets: a new build is a new URL.
const cacheForever = "public, max-age=31536000, immutable"

func newWebApp(dist fs.FS, publicURL string) (*webApp, error) {
	app := &webApp{files: map[string]*webFile{}, csp: contentSecurityPolicy(publicURL)}
	err := fs.WalkDir(dist, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(dist, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := &webFile{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, cache: "no-cache"}
		if f.contentType = mime.TypeByExtension(path.Ext(name)); f.contentType == "" {
			f.contentType = http.DetectContentType(body)
		}
		if strings.HasPrefix(name, "assets/") {
			f.cache = cacheForever
		}
		if compressible(f.contentType) && len(body) > 512 {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			if b.Len() < len(body) {
				f.gz = b.Bytes()
			}
		}
		app.files[name] = f
		return nil
	})
	return app, err
}

func compressible(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.HasPrefix(mt, "text/") || mt == "application/javascript" || mt == "text/javascript" ||
		mt == "application/json" || mt == "image/svg+xml" || mt == "application/manifest+json"
}

// contentSecurityPolicy allows only the app's own origin, plus the public
// URL's when it differs (media and image URLs in API answers are absolute
// under it). blob: is for hls.js, which feeds the video element a
// MediaSource URL and may run its demuxer in a worker from a blob.
func contentSecurityPolicy(publicURL string) string {
	extra := ""
	if u, err := url.Parse(publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		extra = " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: blob:" + extra,
		"media-src 'self' blob:" + extra,
		"connect-src 'self'" + extra,
		"worker-src 'self' blob:",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// serve answers a GET or HEAD that matched no API route. Paths under /api/
// and anything that names a missing file (it has an extension) stay 404, so a
// typo in a script URL is not answered with HTML.
func (a *webApp) serve(c *gin.Context) {
	p := c.Request.URL.Path
	if a.homeHost != "" && !strings.HasPrefix(p, "/api/") && !strings.EqualFold(c.Request.Host, a.homeHost) {
		c.Redirect(http.StatusFound, a.home+c.Request.URL.RequestURI())
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if name == "" {
		name = "index.html"
	}
	f, ok := a.files[name]
	if !ok {
		if strings.HasPrefix(p, "/api/") || strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			writeProblem(c, reelmart.Errorf(reelmart.KindNotFound, "route_not_found", "no endpoint at %s", p))
			return
		}
		f, ok = a.files["index.html"]
		if !ok {
			writeProblem(c, reelmart.Errorf(reelmart.KindNotFound, "route_not_found", "the web app is not built"))
			return
		}
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", a.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", f.cache)
	h.Set("Content-Type", f.contentType)
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(c.GetHeader("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			// Each representation has its own tag (RFC 9110 §8.8.3).
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
		}
	}
	h.Set("ETag", etag)
	if match := c.GetHeader("If-None-Match"); match != "" && strings.Contains(match, etag) {
		h.Del("Content-Type")
		c.Status(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return
	}
	_, _ = c.Writer.Write(body)
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// (or "*") with a q-value above 0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.TrimSpace(enc)
		if !strings.EqualFold(enc, "gzip") && enc != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}
