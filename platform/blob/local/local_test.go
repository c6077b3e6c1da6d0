package local

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/blobtest"
)

// newServed returns a store in a temporary directory whose Handler is
// mounted at /blob on a test server.
func newServed(t *testing.T) (*Store, string) {
	t.Helper()
	var s *Store
	mux := http.NewServeMux()
	mux.Handle("/blob/", http.StripPrefix("/blob", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Handler().ServeHTTP(w, r)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	s, err := New(dir, Options{BaseURL: srv.URL + "/blob", Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := newServed(t)
		return s
	})
}

// TestPathEscape checks that a symlink planted in the tree cannot make the
// store read or write outside its root.
func TestPathEscape(t *testing.T) {
	s, dir := newServed(t)
	ctx := t.Context()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret~blob"), []byte("outside"), 0o644)
	for name, target := range map[string]string{"abs": outside, "rel": "../../" + filepath.Base(outside)} {
		if err := os.Symlink(target, filepath.Join(dir, "objects", name)); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, name+"/x", strings.NewReader("x"), 1, ""); err == nil {
			t.Errorf("Put through the %s symlink succeeded", name)
		}
		if rc, _, err := s.Get(ctx, name+"/secret", blob.Whole); err == nil {
			rc.Close()
			t.Errorf("Get through the %s symlink succeeded", name)
		}
		if _, err := s.Stat(ctx, name+"/secret"); err == nil {
			t.Errorf("Stat through the %s symlink succeeded", name)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("the store wrote outside its root: %v", entries)
	}
	for info, err := range s.List(ctx, "") {
		if err == nil && strings.HasSuffix(info.Key, "secret") {
			t.Errorf("List yielded %s from outside the root", info.Key)
		}
	}
	// A symlink that stays inside the root is followed like a directory.
	os.MkdirAll(filepath.Join(dir, "objects", "real"), 0o755)
	os.Symlink("real", filepath.Join(dir, "objects", "alias"))
	if err := s.Put(ctx, "alias/y", strings.NewReader("y"), 1, ""); err != nil {
		t.Errorf("Put through an inner symlink: %v", err)
	}
}

// TestCrashLeftovers checks that what a crash leaves behind (a temporary
// file, a stray file in the tree) never shows up as an object, and that New
// clears old temporary files.
func TestCrashLeftovers(t *testing.T) {
	s, dir := newServed(t)
	ctx := t.Context()
	s.Put(ctx, "v/real", strings.NewReader("real"), 4, "")
	old := filepath.Join(dir, "tmp", "put-old")
	fresh := filepath.Join(dir, "tmp", "put-fresh")
	for _, p := range []string{old, fresh, filepath.Join(dir, "objects", "v", "half.tmp"), filepath.Join(dir, "objects", "v", "torn~blob")} {
		if err := os.WriteFile(p, []byte("half a vid"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	var errs int
	for info, err := range s.List(ctx, "") {
		if err != nil {
			errs++
			continue
		}
		keys = append(keys, info.Key)
	}
	// A file without a trailer in the tree is corruption, reported, not hidden.
	if !slices.Equal(keys, []string{"v/real"}) || errs != 1 {
		t.Errorf("List = %q with %d errors, want [v/real] then one error", keys, errs)
	}
	os.Remove(filepath.Join(dir, "objects", "v", "torn~blob"))

	os.Chtimes(old, time.Now(), time.Now().Add(-25*time.Hour))
	again, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("New kept a day-old temporary file: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("New removed a fresh temporary file (a Put may own it): %v", err)
	}
}
