package blobhttp_test

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/blob/s3/s3test"
)

// engines are the real blob stores every test runs on.
var engines = []struct {
	name string
	open func(t *testing.T) blob.Store
}{
	{"local", openLocal},
	{"s3", openS3},
}

// forEachEngine runs test once per engine, on a fresh store.
func forEachEngine(t *testing.T, test func(t *testing.T, store blob.Store)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { test(t, e.open(t)) })
	}
}

func openLocal(t *testing.T) blob.Store {
	s, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatalf("local.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// counting wraps a real store and counts what Serve reads through Get.
type counting struct {
	blob.Store
	read atomic.Int64
	mu   sync.Mutex
	gets []blob.Range
}

func (c *counting) Get(ctx context.Context, key string, rng blob.Range) (io.ReadCloser, blob.Info, error) {
	c.mu.Lock()
	c.gets = append(c.gets, rng)
	c.mu.Unlock()
	rc, info, err := c.Store.Get(ctx, key, rng)
	if err != nil {
		return nil, info, err
	}
	return &countingReader{rc, &c.read}, info, nil
}

// Gets returns the ranges asked of the store so far.
func (c *counting) Gets() []blob.Range {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]blob.Range(nil), c.gets...)
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

// openS3 opens a store on a new bucket of the test MinIO, removed when the test ends.
func openS3(t *testing.T) blob.Store { return s3test.NewStore(t, "blobhttp") }
