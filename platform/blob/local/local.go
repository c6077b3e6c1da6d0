// Package local is the blob.Store engine on a local directory, the embedded
// default. Each object is one file holding its bytes followed by a metadata
// trailer, written to a temporary file, synced and renamed into place, so an
// object and its metadata always change together. Signed, expiring URLs are
// served by Handler.
//
// Layout under the root:
//
//	objects/<key>~blob   one file per object ("~" never occurs in a key, so
//	                     "a" and "a/b" can both exist)
//	tmp/                 Puts in progress; leftovers older than a day are
//	                     removed by New
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
)

const (
	objectsDir = "objects"
	tmpDir     = "tmp"
	fileSuffix = "~blob"
	// staleTemp is how old a temporary file must be before New treats it as
	// the leftover of a crashed Put; a live Put never takes this long.
	staleTemp = 24 * time.Hour
)

var _ blob.Store = (*Store)(nil)

// Options configures the signed URLs of a Store.
type Options struct {
	// BaseURL is where Handler is mounted, e.g. "http://127.0.0.1:8080/blob".
	// Without it URL returns an error.
	BaseURL string
	// Secret is the HMAC-SHA256 key that signs URLs (see LoadOrCreateSecret).
	// It must be at least 16 bytes when BaseURL is set.
	Secret []byte
}

// Store is a blob.Store on a directory. It is safe for concurrent use, also by
// several processes sharing the directory.
type Store struct {
	root    *os.Root
	baseURL string
	secret  []byte
	now     func() time.Time
}

// New opens (creating if needed) the store in the directory root and removes
// temporary files left by crashed Puts. It returns an error if the directory
// cannot be used or opts are inconsistent.
func New(root string, opts Options) (*Store, error) {
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("blob/local: base url %q is not an absolute http(s) URL without a query", opts.BaseURL)
		}
		if len(opts.Secret) < 16 {
			return nil, fmt.Errorf("blob/local: signing secret has %d bytes, want at least 16", len(opts.Secret))
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("blob/local: create %s: %w", root, err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("blob/local: open %s: %w", root, err)
	}
	s := &Store{
		root:    r,
		baseURL: trimSlash(opts.BaseURL),
		secret:  append([]byte(nil), opts.Secret...),
		now:     time.Now,
	}
	for _, dir := range []string{objectsDir, tmpDir} {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			r.Close()
			return nil, fmt.Errorf("blob/local: create %s/%s: %w", root, dir, err)
		}
	}
	if err := s.sweepTemp(); err != nil {
		r.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the directory handle. The Store must not be used afterwards.
func (s *Store) Close() error { return s.root.Close() }

// Ping checks that a file can be created and removed in the store, or returns
// why not.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob/local: ping: %w", err)
	}
	name := path.Join(tmpDir, "ping-"+randomHex())
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("blob/local: ping: %w", err)
	}
	f.Close()
	if err := s.root.Remove(name); err != nil {
		return fmt.Errorf("blob/local: ping: %w", err)
	}
	return nil
}

// sweepTemp removes temporary files old enough to be leftovers of a crash.
func (s *Store) sweepTemp() error {
	d, err := s.root.Open(tmpDir)
	if err != nil {
		return fmt.Errorf("blob/local: sweep temp: %w", err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("blob/local: sweep temp: %w", err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || s.now().Sub(fi.ModTime()) < staleTemp {
			continue
		}
		if err := s.root.Remove(path.Join(tmpDir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("blob/local: sweep temp: %w", err)
		}
	}
	return nil
}

// objectPath is the path of key's file relative to the root. key must be valid.
func objectPath(key string) string { return objectsDir + "/" + key + fileSuffix }

func randomHex() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
