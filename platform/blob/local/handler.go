package local

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
)

// maxCacheAge caps how long a browser may cache a signed response.
const maxCacheAge = 24 * time.Hour

// URL returns BaseURL/key?exp=<unix seconds>&sig=<signature>, which Handler
// serves until exp. It returns an error wrapping blob.ErrInvalidKey for a bad
// key, or an error if ttl is out of range or the Store has no BaseURL.
func (s *Store) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", fmt.Errorf("blob/local: url: %w", err)
	}
	if err := blob.CheckTTL(ttl); err != nil {
		return "", fmt.Errorf("blob/local: url %s: %w", key, err)
	}
	if s.baseURL == "" {
		return "", fmt.Errorf("blob/local: url %s: the store has no Options.BaseURL", key)
	}
	// Round up so the URL lives at least ttl.
	exp := s.now().Add(ttl + time.Second - 1).Unix()
	return s.baseURL + "/" + key + "?exp=" + strconv.FormatInt(exp, 10) + "&sig=" + s.sign(key, exp), nil
}

// sign returns the base64url HMAC-SHA256 of key and exp. Keys never contain
// "\n", so the message is unambiguous.
func (s *Store) sign(key string, exp int64) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(key + "\n" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify returns the signature's expiry if sig signs key and exp and exp is
// still ahead, or false.
func (s *Store) verify(key, exp, sig string) (time.Time, bool) {
	if len(s.secret) == 0 {
		return time.Time{}, false
	}
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.sign(key, e))) {
		return time.Time{}, false
	}
	t := time.Unix(e, 0)
	return t, s.now().Before(t)
}

// Handler serves the URLs made by URL. It takes the key from the request path
// below its mount point, so mount it with the BaseURL path stripped:
//
//	mux.Handle("/blob/", http.StripPrefix("/blob", store.Handler()))
//
// It answers 405 to methods other than GET and HEAD, 403 to a bad or expired
// signature, 404 to a missing object, and otherwise serves the object with
// http.ServeContent (Range, If-None-Match, If-Modified-Since) and its stored
// Content-Type, ETag and Last-Modified.
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	q := r.URL.Query()
	exp, ok := s.verify(key, q.Get("exp"), q.Get("sig"))
	if !ok {
		http.Error(w, "bad or expired signature", http.StatusForbidden)
		return
	}
	f, m, err := s.open(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrInvalidKey) {
		http.Error(w, "object not found", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "cannot read object", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	age := min(exp.Sub(s.now()), maxCacheAge)
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(int(age.Seconds())))
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", m.ModTime, io.NewSectionReader(f, 0, m.Size))
}
