package blobtest

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/reelmart/reelmart/platform/blob"
)

const mib = 1 << 20

// payload returns n pseudo-random bytes, the same for the same seed.
func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// chunked yields b in small uneven reads and hides every method but Read,
// so engines cannot take shortcuts (Len, Seek, WriteTo) a network stream lacks.
type chunked struct{ b []byte }

func stream(b []byte) io.Reader { return &chunked{b} }

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7919)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// put stores data at key or fails the test.
func put(t *testing.T, s blob.Store, key string, data []byte, contentType string) {
	t.Helper()
	if err := s.Put(t.Context(), key, stream(data), int64(len(data)), contentType); err != nil {
		t.Fatalf("Put %s (%d bytes): %v", key, len(data), err)
	}
}

// get reads the bytes of key selected by rng or fails the test.
func get(t *testing.T, s blob.Store, key string, rng blob.Range) ([]byte, blob.Info) {
	t.Helper()
	rc, info, err := s.Get(t.Context(), key, rng)
	if err != nil {
		t.Fatalf("Get %s %+v: %v", key, rng, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get %s %+v: read: %v", key, rng, err)
	}
	return b, info
}

// sameBytes fails the test if got is not want, saying where they part.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Fatalf("%s: got %d bytes, want %d; first difference at byte %d", what, len(got), len(want), i)
}

// absent fails the test unless key names no object.
func absent(t *testing.T, s blob.Store, key string) {
	t.Helper()
	if info, err := s.Stat(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat %s: got (%+v, %v), want ErrNotFound", key, info, err)
	}
	if rc, _, err := s.Get(t.Context(), key, blob.Whole); !errors.Is(err, blob.ErrNotFound) {
		if rc != nil {
			rc.Close()
		}
		t.Fatalf("Get %s: got %v, want ErrNotFound", key, err)
	}
}

// holds fails the test unless key holds exactly want.
func holds(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	got, _ := get(t, s, key, blob.Whole)
	sameBytes(t, "Get "+key, got, want)
}
