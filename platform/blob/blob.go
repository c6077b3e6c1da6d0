// Package blob stores immutable objects (video sources, HLS renditions, images)
// behind one small interface with a local-disk and an S3/MinIO engine.
//
// Keys are slash-separated paths such as "videos/01H.../720p/seg_001.m4s". A key
// is 1–1024 bytes of [A-Za-z0-9._-/], has no empty, "." or ".." segment and does
// not start or end with "/". Engines reject other keys with ErrInvalidKey.
package blob

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"
)

// ErrNotFound is returned (wrapped) when a key names no object.
var ErrNotFound = errors.New("blob: object not found")

// ErrInvalidKey is returned (wrapped) for a key outside the rules above.
var ErrInvalidKey = errors.New("blob: invalid key")

// ErrInvalidRange is returned (wrapped) when a range starts past the end of the object.
var ErrInvalidRange = errors.New("blob: invalid range")

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time
	ETag        string // opaque; changes when the content changes
}

// Range selects bytes [Offset, Offset+Length) of an object. Length < 0 means
// "to the end". The zero Range is the whole object.
type Range struct {
	Offset int64
	Length int64
}

// Whole is the Range of an entire object.
var Whole = Range{Offset: 0, Length: -1}

// Store is an object store. Implementations are safe for concurrent use.
type Store interface {
	// Put streams r into key, replacing any object there. size is the exact
	// length of r, or -1 when unknown. A reader that yields a different number
	// of bytes than a non-negative size fails the Put and leaves no object
	// behind. Readers never observe a partially written object.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error

	// Get opens the bytes of key selected by rng. The caller closes the reader.
	// It returns ErrNotFound for a missing key and ErrInvalidRange for an
	// offset at or past the end of a non-empty object.
	Get(ctx context.Context, key string, rng Range) (io.ReadCloser, Info, error)

	// Stat returns the object's Info, or ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)

	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// List yields the objects whose keys start with prefix, in key order.
	// Iteration stops at the first error, which is yielded once.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]

	// URL returns an address a browser can GET the object from, valid for at
	// least ttl: a presigned URL on S3, a signed expiring server URL on disk.
	URL(ctx context.Context, key string, ttl time.Duration) (string, error)

	// Ping checks that the store is reachable and usable.
	Ping(ctx context.Context) error
}
