// Package blob stores immutable objects (video sources, HLS renditions, images)
// behind one small interface with a local-disk and an S3/MinIO engine.
//
// Keys are slash-separated paths such as "videos/01H.../720p/seg_001.m4s". A key
// is 1–1024 bytes of [A-Za-z0-9._-/], has no empty, "." or ".." segment, no
// segment longer than MaxSegment bytes, and does not start or end with "/".
// Engines reject other keys with ErrInvalidKey.
//
// Keys must not nest: no stored key may be a whole-segment prefix of another
// ("a" and "a/b"). Engines do not check this (S3 cannot cheaply), but MinIO
// accepts such a pair and then leaves "a/b" out of listings, so callers keep
// their key spaces apart ("videos/ID/source.mp4", never "videos/ID").
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
)

// ErrNotFound is returned (wrapped) when a key names no object.
var ErrNotFound = errors.New("blob: object not found")

// ErrInvalidKey is returned (wrapped) for a key outside the rules above.
var ErrInvalidKey = errors.New("blob: invalid key")

// ErrInvalidRange is returned (wrapped) when a range starts at a negative
// offset, at or past the end of a non-empty object, or past the end of an
// empty one.
var ErrInvalidRange = errors.New("blob: invalid range")

// DefaultContentType is stored when Put is given an empty content type.
const DefaultContentType = "application/octet-stream"

// MaxURLTTL is the longest lifetime URL accepts: the S3 presigning limit.
const MaxURLTTL = 7 * 24 * time.Hour

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ContentType string    // may be empty in List results (S3 listings omit it); Stat has it
	ModTime     time.Time // when the object was last Put; S3 keeps whole seconds
	ETag        string    // opaque; changes when the content changes
}

// Range selects bytes [Offset, Offset+Length) of an object. Length <= 0 means
// "to the end", so the zero Range is the whole object. A range that runs past
// the end is clipped to it.
type Range struct {
	Offset int64
	Length int64
}

// Whole is the Range of an entire object.
var Whole = Range{Offset: 0, Length: -1}

// Store is an object store. Implementations are safe for concurrent use.
type Store interface {
	// Put streams r into key, replacing any object there. size is the exact
	// length of r, or -1 when unknown; an empty contentType stores
	// DefaultContentType. A reader that yields a different number of bytes
	// than a non-negative size, a reader error or a cancelled ctx fails the
	// Put and leaves the key as it was (absent, or the previous object).
	// Readers never observe a partially written object; of concurrent Puts to
	// one key exactly one wins, whole.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error

	// Get opens the bytes of key selected by rng; the Info describes the whole
	// object. The caller closes the reader. It returns ErrNotFound for a
	// missing key and ErrInvalidRange for a range that starts out of bounds.
	Get(ctx context.Context, key string, rng Range) (io.ReadCloser, Info, error)

	// Stat returns the object's Info, or ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)

	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// List yields the objects whose keys start with prefix, in byte order of
	// their keys. The prefix is a plain string prefix ("vid" matches
	// "video/a"); "" lists everything. An invalid prefix yields
	// ErrInvalidKey. Iteration stops at the first error, which is yielded once.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]

	// URL returns an address a browser can GET the object from (Range requests
	// included), valid for at least ttl: a presigned URL on S3, a signed
	// expiring server URL on disk. It does not check that the object exists.
	// It returns an error for a ttl outside (0, MaxURLTTL].
	URL(ctx context.Context, key string, ttl time.Duration) (string, error)

	// Ping checks that the store is reachable and usable.
	Ping(ctx context.Context) error
}

// CheckTTL returns an error if ttl is not a valid URL lifetime: more than
// zero and at most MaxURLTTL.
func CheckTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxURLTTL {
		return fmt.Errorf("blob: url ttl %s is outside (0, %s]", ttl, MaxURLTTL)
	}
	return nil
}
