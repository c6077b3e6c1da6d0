package blobtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/reelmart/reelmart/platform/blob"
)

// listKeys returns the keys List yields for prefix, or fails the test.
func listKeys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for info, err := range s.List(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("List %q: %v", prefix, err)
		}
		keys = append(keys, info.Key)
	}
	return keys
}

func testList(t *testing.T, s blob.Store) {
	// Byte order puts "-" and "." before "/", and "/" before digits and
	// letters, so nested keys interleave with their siblings.
	all := []string{
		"a-b", "a.b", "a/b", "a/c/d", "a0", "ab",
		"other/q",
		"vid",
		"video-x", "video.y",
		"video/1/a.m4s", "video/1/b.m4s", "video/10/a", "video/2",
		"videos/z",
	}
	shuffled := slices.Clone(all)
	slices.Reverse(shuffled)
	for i, key := range shuffled {
		put(t, s, key, payload(i+1, byte(i)), "")
	}
	want := func(prefix string) []string {
		var out []string
		for _, k := range all {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		return out
	}
	for _, prefix := range []string{"", "a", "a/", "a/c", "a/c/", "vid", "video", "video/", "video/1", "video/1/", "video/1/a", "videos/", "o", "nope", "nope/"} {
		got := listKeys(t, s, prefix)
		if !slices.Equal(got, want(prefix)) {
			t.Errorf("List %q = %q, want %q", prefix, got, want(prefix))
		}
	}
	// Info from List agrees with Stat.
	for info, err := range s.List(t.Context(), "video/") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		st, err := s.Stat(t.Context(), info.Key)
		if err != nil {
			t.Fatalf("Stat %s: %v", info.Key, err)
		}
		if info.Size != st.Size || info.ETag != st.ETag || info.ModTime.IsZero() {
			t.Errorf("List info %+v disagrees with Stat %+v", info, st)
		}
		if info.ContentType != "" && info.ContentType != st.ContentType {
			t.Errorf("List content type %q, Stat %q", info.ContentType, st.ContentType)
		}
	}
}

func testListStopsEarly(t *testing.T, s blob.Store) {
	for _, k := range []string{"e/1", "e/2", "e/3", "e/4"} {
		put(t, s, k, []byte(k), "")
	}
	var got []string
	for info, err := range s.List(t.Context(), "e/") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		got = append(got, info.Key)
		if len(got) == 2 {
			break
		}
	}
	if !slices.Equal(got, []string{"e/1", "e/2"}) {
		t.Errorf("first two listed = %q", got)
	}
}
