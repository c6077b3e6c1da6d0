package blobtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
)

func testRoundTrip(t *testing.T, s blob.Store) {
	cases := []struct {
		name  string
		n     int
		known bool
	}{
		{"empty", 0, true},
		{"empty-unknown-size", 0, false},
		{"one-byte", 1, true},
		{"small", 1000, true},
		{"small-unknown-size", 1000, false},
		{"5MiB", 5 * mib, true},
		{"5MiB-unknown-size", 5 * mib, false},
		{"17MiB-unknown-size", 17*mib + 3, false}, // past a 16 MiB multipart boundary
	}
	for i, c := range cases {
		key := "roundtrip/" + c.name + ".bin"
		data := payload(c.n, byte(i))
		size := int64(len(data))
		if !c.known {
			size = -1
		}
		if err := s.Put(t.Context(), key, stream(data), size, "application/x-test"); err != nil {
			t.Fatalf("%s: Put: %v", c.name, err)
		}
		got, info := get(t, s, key, blob.Whole)
		sameBytes(t, c.name, got, data)
		if info.Key != key || info.Size != int64(c.n) || info.ContentType != "application/x-test" {
			t.Errorf("%s: Get info = %+v, want key %s, size %d, type application/x-test", c.name, info, key, c.n)
		}
	}
}

func testContentType(t *testing.T, s blob.Store) {
	types := map[string]string{
		"ct/video.mp4":  "video/mp4",
		"ct/list.m3u8":  "application/vnd.apple.mpegurl",
		"ct/note.txt":   "text/plain; charset=utf-8",
		"ct/no-type.ts": "",
	}
	for key, ct := range types {
		put(t, s, key, []byte("content of "+key), ct)
	}
	for key, ct := range types {
		if ct == "" {
			ct = blob.DefaultContentType
		}
		info, err := s.Stat(t.Context(), key)
		if err != nil {
			t.Fatalf("Stat %s: %v", key, err)
		}
		if info.ContentType != ct {
			t.Errorf("Stat %s: content type %q, want %q", key, info.ContentType, ct)
		}
		if _, info := get(t, s, key, blob.Whole); info.ContentType != ct {
			t.Errorf("Get %s: content type %q, want %q", key, info.ContentType, ct)
		}
	}
}

func testStat(t *testing.T, s blob.Store) {
	before := time.Now()
	put(t, s, "stat/a", []byte("first version"), "text/plain")
	info, err := s.Stat(t.Context(), "stat/a")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Key != "stat/a" || info.Size != int64(len("first version")) || info.ContentType != "text/plain" {
		t.Errorf("Stat = %+v, want key stat/a, size %d, type text/plain", info, len("first version"))
	}
	// S3 keeps whole seconds; allow for that and a little clock skew.
	if info.ModTime.IsZero() || info.ModTime.Before(before.Add(-2*time.Second)) || info.ModTime.After(time.Now().Add(2*time.Second)) {
		t.Errorf("Stat: mod time %v, want about %v", info.ModTime, before)
	}
	if info.ETag == "" {
		t.Fatal("Stat: empty ETag")
	}
	put(t, s, "stat/a", []byte("second version, other bytes"), "text/plain")
	again, err := s.Stat(t.Context(), "stat/a")
	if err != nil {
		t.Fatalf("Stat after overwrite: %v", err)
	}
	if again.ETag == info.ETag {
		t.Errorf("ETag %q did not change when the content did", info.ETag)
	}
	if again.Size != int64(len("second version, other bytes")) {
		t.Errorf("Stat after overwrite: size %d", again.Size)
	}
	put(t, s, "stat/b", []byte("first version"), "text/plain")
	other, err := s.Stat(t.Context(), "stat/b")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if other.ETag == again.ETag {
		t.Errorf("different contents share ETag %q", other.ETag)
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	long, short := payload(300_000, 1), []byte("short")
	put(t, s, "over/x", long, "application/x-long")
	put(t, s, "over/x", short, "application/x-short")
	got, info := get(t, s, "over/x", blob.Whole)
	sameBytes(t, "after overwrite", got, short)
	if info.Size != int64(len(short)) || info.ContentType != "application/x-short" {
		t.Errorf("after overwrite: info %+v", info)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	put(t, s, "del/x", []byte("x"), "")
	put(t, s, "del/y", []byte("y"), "")
	if err := s.Delete(t.Context(), "del/x"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	absent(t, s, "del/x")
	holds(t, s, "del/y", []byte("y"))
	if err := s.Delete(t.Context(), "del/x"); err != nil {
		t.Errorf("Delete of a deleted key: %v, want nil", err)
	}
	if err := s.Delete(t.Context(), "del/never/was"); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
	if keys := listKeys(t, s, "del/"); strings.Join(keys, ",") != "del/y" {
		t.Errorf("List after Delete = %v, want [del/y]", keys)
	}
	// A deleted key can be written again.
	put(t, s, "del/x", []byte("again"), "")
	holds(t, s, "del/x", []byte("again"))
}

func testNotFound(t *testing.T, s blob.Store) {
	put(t, s, "nf/dir/file", []byte("x"), "")
	for _, key := range []string{"missing", "nf/dir", "nf", "nf/dir/fil", "nf/dir/file.", "nf/dir/file/below"} {
		absent(t, s, key)
	}
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := t.Context()
	bad := []string{"../x", "a/../../x", "/a", "a/", "a//b", "a/./b", ".", "..", "", "a b", "a\\b", "a?b", "é",
		strings.Repeat("a", blob.MaxSegment+1), strings.Repeat("a/", 512) + "a"}
	for _, key := range bad {
		name := fmt.Sprintf("%.40q", key)
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("%s %s: got %v, want ErrInvalidKey", op, name, err)
			}
		}
		check("Put", s.Put(ctx, key, strings.NewReader("x"), 1, ""))
		rc, _, err := s.Get(ctx, key, blob.Whole)
		if rc != nil {
			rc.Close()
		}
		check("Get", err)
		_, err = s.Stat(ctx, key)
		check("Stat", err)
		check("Delete", s.Delete(ctx, key))
		_, err = s.URL(ctx, key, time.Minute)
		check("URL", err)
		if key == "" || key == "a/" {
			continue // valid prefixes
		}
		n := 0
		for _, err := range s.List(ctx, key) {
			check("List", err)
			n++
		}
		if n != 1 {
			t.Errorf("List %s yielded %d items, want one error", name, n)
		}
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("invalid Puts stored %v", keys)
	}
	// The longest valid key, made of the longest valid segments, works.
	seg := strings.Repeat("s", blob.MaxSegment)
	long := strings.Repeat(seg+"/", 5)
	long += strings.Repeat("z", 1024-len(long))
	put(t, s, long, []byte("x"), "")
	holds(t, s, long, []byte("x"))
}
