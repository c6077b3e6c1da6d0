package blobtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
)

// checkFailedPut runs a Put that must fail against a missing key and against
// one holding an object, and checks that each key is left as it was. It
// returns the errors for further checks.
func checkFailedPut(t *testing.T, s blob.Store, name string, put func(ctx context.Context, key string) error) []error {
	t.Helper()
	fresh, held := "fail/"+name+"/fresh", "fail/"+name+"/held"
	old := []byte("the previous object of " + held)
	if err := s.Put(t.Context(), held, stream(old), int64(len(old)), "text/old"); err != nil {
		t.Fatalf("%s: Put old: %v", name, err)
	}
	var errs []error
	for _, key := range []string{fresh, held} {
		err := put(t.Context(), key)
		if err == nil {
			t.Errorf("%s: Put %s succeeded, want an error", name, key)
		}
		errs = append(errs, err)
	}
	absent(t, s, fresh)
	holds(t, s, held, old)
	if info, err := s.Stat(t.Context(), held); err != nil || info.ContentType != "text/old" {
		t.Errorf("%s: previous object's info became %+v, %v", name, info, err)
	}
	return errs
}

func testSizeMismatch(t *testing.T, s blob.Store) {
	cases := []struct{ declared, actual int }{
		{10, 5}, {5, 10}, {0, 1}, {1, 0},
		{mib, mib - 1}, {mib, mib + 1},
		{17 * mib, 17*mib - 1}, {17 * mib, 17*mib + 1}, // multipart uploads
	}
	for i, c := range cases {
		name := fmt.Sprintf("declared-%d-actual-%d", c.declared, c.actual)
		data := payload(c.actual, byte(i))
		checkFailedPut(t, s, name, func(ctx context.Context, key string) error {
			return s.Put(ctx, key, stream(data), int64(c.declared), "")
		})
	}
}

var errBoom = errors.New("boom: the source broke")

// failing yields n bytes of data, then errBoom.
type failing struct{ r io.Reader }

func (f *failing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBoom
	}
	return n, err
}

func testReaderError(t *testing.T, s blob.Store) {
	for i, n := range []int{0, 100, 3 * mib} {
		for _, known := range []bool{true, false} {
			name := fmt.Sprintf("after-%d-size-known-%t", n, known)
			data := payload(n, byte(i))
			errs := checkFailedPut(t, s, name, func(ctx context.Context, key string) error {
				size := int64(-1)
				if known {
					size = int64(n) + 1000
				}
				return s.Put(ctx, key, &failing{stream(data)}, size, "")
			})
			for _, err := range errs {
				if err != nil && !errors.Is(err, errBoom) {
					t.Errorf("%s: got %v, want an error wrapping the reader's", name, err)
				}
			}
		}
	}
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const writers = 8
	datas := make([][]byte, writers)
	for i := range datas {
		datas[i] = payload(200_000+i*50_001, byte(i))
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			ct := fmt.Sprintf("application/x-writer-%d", i)
			errs[i] = s.Put(t.Context(), "race/key", stream(datas[i]), int64(len(datas[i])), ct)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, info := get(t, s, "race/key", blob.Whole)
	for i, d := range datas {
		if string(got) == string(d) {
			if want := fmt.Sprintf("application/x-writer-%d", i); info.ContentType != want || info.Size != int64(len(d)) {
				t.Errorf("bytes of writer %d with info %+v, want type %s and size %d", i, info, want, len(d))
			}
			return
		}
	}
	t.Fatalf("object of %d bytes is no writer's whole payload", len(got))
}

// endless yields zeros slowly and never ends, unless the Put ignores its
// context for 15 seconds: then it fails so the test does not hang.
type endless struct{ start time.Time }

func (e *endless) Read(p []byte) (int, error) {
	if e.start.IsZero() {
		e.start = time.Now()
	}
	if time.Since(e.start) > 15*time.Second {
		return 0, errors.New("endless: the Put did not stop when its context ended")
	}
	time.Sleep(time.Millisecond)
	n := min(len(p), 32<<10)
	clear(p[:n])
	return n, nil
}

func testCancel(t *testing.T, s blob.Store) {
	errs := checkFailedPut(t, s, "cancelled-before", func(ctx context.Context, key string) error {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return s.Put(ctx, key, stream([]byte("never stored")), 12, "")
	})
	errs = append(errs, checkFailedPut(t, s, "cancelled-during", func(ctx context.Context, key string) error {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := s.Put(ctx, key, &endless{}, -1, "")
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Put took %s to notice its context ended", d)
		}
		return err
	})...)
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Put with an ended context: got %v, want an error wrapping the context's", err)
		}
	}
}
