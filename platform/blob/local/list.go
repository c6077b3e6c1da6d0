package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/reelmart/reelmart/platform/blob"
)

// List yields the objects whose keys start with prefix, in key order. Files
// that are not objects (leftovers, foreign files) are skipped. It yields an
// error wrapping blob.ErrInvalidKey for a bad prefix.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[blob.Info, error] {
	return func(yield func(blob.Info, error) bool) {
		if err := blob.ValidatePrefix(prefix); err != nil {
			yield(blob.Info{}, fmt.Errorf("blob/local: list: %w", err))
			return
		}
		// Only the last, partial segment of the prefix filters names; the
		// segments before it name a directory to start from.
		dir, name := "", prefix
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			dir, name = prefix[:i], prefix[i+1:]
		}
		s.walk(ctx, dir, name, yield)
	}
}

// entry is a directory entry that stands for keys: an object file or a
// directory of further keys.
type entry struct {
	name  string // key segment
	isDir bool
}

// order sorts siblings so that the keys they hold come out in byte order:
// a directory "x" holds keys "x/…", which sort as "x/".
func (e entry) order() string {
	if e.isDir {
		return e.name + "/"
	}
	return e.name
}

// walk yields the objects under the key directory dir whose next segment
// starts with filter, and reports whether to go on.
func (s *Store) walk(ctx context.Context, dir, filter string, yield func(blob.Info, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(blob.Info{}, fmt.Errorf("blob/local: list: %w", err))
		return false
	}
	entries, err := s.readDir(dir, filter)
	if err != nil {
		yield(blob.Info{}, fmt.Errorf("blob/local: list %s: %w", dir, err))
		return false
	}
	for _, e := range entries {
		key := path.Join(dir, e.name)
		if e.isDir {
			if !s.walk(ctx, key, "", yield) {
				return false
			}
			continue
		}
		f, m, err := s.open(ctx, key)
		if errors.Is(err, blob.ErrNotFound) {
			continue // deleted while we were listing
		}
		if err != nil {
			yield(blob.Info{}, fmt.Errorf("blob/local: list: %w", err))
			return false
		}
		f.Close()
		if !yield(info(key, m), nil) {
			return false
		}
	}
	return true
}

// readDir returns the entries of the key directory dir whose names start with
// filter, in key order. A missing directory has no entries.
func (s *Store) readDir(dir, filter string) ([]entry, error) {
	p := path.Join(objectsDir, dir)
	d, err := s.root.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	des, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, de := range des {
		mode := de.Type()
		if mode&fs.ModeSymlink != 0 {
			// Followed like any path, through the root: one that leaves it fails.
			fi, err := s.root.Stat(path.Join(p, de.Name()))
			if err != nil {
				return nil, err
			}
			mode = fi.Mode().Type()
		}
		e := entry{name: de.Name(), isDir: mode.IsDir()}
		if !e.isDir {
			stem, ok := strings.CutSuffix(e.name, fileSuffix)
			if !ok || !mode.IsRegular() {
				continue
			}
			e.name = stem
		}
		if strings.Contains(e.name, "/") || blob.ValidateKey(e.name) != nil || !strings.HasPrefix(e.name, filter) {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.order(), b.order()) })
	return out, nil
}
