package blobtest

import (
	"errors"
	"io"
	"testing"

	"github.com/reelmart/reelmart/platform/blob"
)

// rangeCase is a Get of rng that returns want, or ErrInvalidRange if bad.
type rangeCase struct {
	rng  blob.Range
	want string
	bad  bool
}

func checkRanges(t *testing.T, s blob.Store, key string, size int64, cases []rangeCase) {
	t.Helper()
	for _, c := range cases {
		rc, info, err := s.Get(t.Context(), key, c.rng)
		if c.bad {
			if rc != nil {
				rc.Close()
			}
			if !errors.Is(err, blob.ErrInvalidRange) {
				t.Errorf("Get %+v: got %v, want ErrInvalidRange", c.rng, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Get %+v: %v", c.rng, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Errorf("Get %+v: read: %v", c.rng, err)
		} else if string(got) != c.want {
			t.Errorf("Get %+v = %q, want %q", c.rng, got, c.want)
		}
		if info.Size != size {
			t.Errorf("Get %+v: info size %d, want the whole object's %d", c.rng, info.Size, size)
		}
	}
}

func testRanges(t *testing.T, s blob.Store) {
	put(t, s, "r/digits", []byte("0123456789"), "text/plain")
	checkRanges(t, s, "r/digits", 10, []rangeCase{
		{rng: blob.Whole, want: "0123456789"},
		{rng: blob.Range{}, want: "0123456789"},
		{rng: blob.Range{Offset: 3, Length: -1}, want: "3456789"},
		{rng: blob.Range{Offset: 3}, want: "3456789"},
		{rng: blob.Range{Offset: 3, Length: 4}, want: "3456"},
		{rng: blob.Range{Offset: 0, Length: 1}, want: "0"},
		{rng: blob.Range{Offset: 9, Length: 1}, want: "9"},
		{rng: blob.Range{Offset: 9, Length: -1}, want: "9"},
		{rng: blob.Range{Offset: 8, Length: 10}, want: "89"},
		{rng: blob.Range{Offset: 0, Length: 100}, want: "0123456789"},
		{rng: blob.Range{Offset: 10, Length: -1}, bad: true},
		{rng: blob.Range{Offset: 10, Length: 1}, bad: true},
		{rng: blob.Range{Offset: 11, Length: 2}, bad: true},
		{rng: blob.Range{Offset: -1, Length: 2}, bad: true},
	})
}

func testRangesEmpty(t *testing.T, s blob.Store) {
	put(t, s, "r/empty", nil, "text/plain")
	checkRanges(t, s, "r/empty", 0, []rangeCase{
		{rng: blob.Whole, want: ""},
		{rng: blob.Range{}, want: ""},
		{rng: blob.Range{Offset: 0, Length: 5}, want: ""},
		{rng: blob.Range{Offset: 1, Length: -1}, bad: true},
		{rng: blob.Range{Offset: 1, Length: 1}, bad: true},
	})
}

func testRangesLarge(t *testing.T, s blob.Store) {
	data := payload(6*mib+5, 7)
	put(t, s, "r/large", data, "video/mp4")
	for _, rng := range []blob.Range{
		{Offset: 3 * mib, Length: mib + 7},
		{Offset: 6 * mib, Length: -1},
		{Offset: int64(len(data)) - 1, Length: 10},
		{Offset: 1, Length: 5 * mib},
	} {
		got, info := get(t, s, "r/large", rng)
		end := int64(len(data))
		if rng.Length > 0 {
			end = min(end, rng.Offset+rng.Length)
		}
		sameBytes(t, "range", got, data[rng.Offset:end])
		if info.Size != int64(len(data)) {
			t.Errorf("Get %+v: info size %d, want %d", rng, info.Size, len(data))
		}
	}
}
