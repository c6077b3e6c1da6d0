// Package bleve is the embedded search.Index: one Bleve index per name in a
// directory on local disk. Only one process may use a directory at a time;
// another that tries fails after a few seconds.
package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

var _ search.Index = (*Index)(nil)

// errClosed is returned by every call after Close.
var errClosed = errors.New("search/bleve: index closed")

// lockTimeout bounds the wait for the file lock another process may hold on
// an index, so that a second process fails instead of hanging.
const lockTimeout = 5 * time.Second

// Layout of one named index: <dir>/<name>/schema.json and <dir>/<name>/bleve/.
const (
	schemaFile = "schema.json"
	bleveDir   = "bleve"
)

// Index keeps one Bleve index per name under a directory. It is safe for
// concurrent use.
type Index struct {
	dir string

	mu     sync.Mutex
	open   map[string]*named
	closed bool
}

// named is one index name: its live generation and, while a Rebuild is
// open, the next one. swap is held shared by every call that uses them and
// exclusively by the calls that replace them (Commit, Drop, Close), so a
// search never meets a half-swapped index.
type named struct {
	swap sync.RWMutex
	live *generation // nil while the name has no index (yet, or dropped)
	next *generation
}

// generation is one open Bleve index, the schema it was made with, and the
// lock under which versions are compared and written.
type generation struct {
	path   string
	bleve  blevesearch.Index
	schema *schema.Schema
	write  sync.Mutex
	gone   bool // replaced, aborted or dropped: a Builder may not write
}

// Open returns an Index keeping its indexes under dir, creating dir if
// needed. It returns an error if dir cannot be created.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("search/bleve: open %s: %w", dir, err)
	}
	return &Index{dir: dir, open: map[string]*named{}}, nil
}

// Ensure creates the named index with s unless it exists; an existing index
// keeps its own schema. It returns an error wrapping search.ErrInvalid for a
// bad name or schema.
func (x *Index) Ensure(ctx context.Context, name string, s search.Schema) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/bleve: ensure: %w", err)
	}
	c, err := schema.New(s)
	if err != nil {
		return fmt.Errorf("search/bleve: ensure %s: %w", name, err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return errClosed
	}
	n := x.open[name]
	if n == nil {
		n = &named{}
	}
	n.swap.Lock()
	defer n.swap.Unlock()
	if n.live != nil {
		return nil
	}
	path := filepath.Join(x.dir, name)
	if err := finishSwap(x.dir, name); err != nil {
		return fmt.Errorf("search/bleve: ensure %s: %w", name, err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := create(x.dir, path, c); err != nil {
			return fmt.Errorf("search/bleve: ensure %s: %w", name, err)
		}
	}
	g, err := openGeneration(path)
	if err != nil {
		return fmt.Errorf("search/bleve: ensure %s: %w", name, err)
	}
	n.live = g
	x.open[name] = n
	return nil
}

// create builds the index in a temporary directory and renames it into
// place, so that a crash never leaves a half-made index under a valid name.
func create(dir, path string, c *schema.Schema) error {
	tmp, err := os.MkdirTemp(dir, ".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp, c); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		if _, statErr := os.Stat(path); statErr != nil {
			return err
		}
		// Another process won the race; its index stands.
	}
	return nil
}

// build writes an empty index with schema c into the existing directory dir.
func build(dir string, c *schema.Schema) error {
	m, err := newMapping(c)
	if err != nil {
		return fmt.Errorf("mapping: %w", err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, schemaFile), data, 0o644); err != nil {
		return err
	}
	b, err := blevesearch.New(filepath.Join(dir, bleveDir), m)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return b.Close()
}

func openGeneration(path string) (*generation, error) {
	data, err := os.ReadFile(filepath.Join(path, schemaFile))
	if err != nil {
		return nil, err
	}
	c, err := schema.Decode(data)
	if err != nil {
		return nil, err
	}
	b, err := blevesearch.OpenUsing(filepath.Join(path, bleveDir), map[string]any{"bolt_timeout": lockTimeout.String()})
	if err != nil {
		return nil, fmt.Errorf("open (is another process using %s?): %w", path, err)
	}
	return &generation{path: path, bleve: b, schema: c}, nil
}

// get returns the named index, opening it from disk on first use, or an
// error wrapping search.ErrNotFound if it was never created. The caller
// reads n.live under n.swap.
func (x *Index) get(ctx context.Context, name string) (*named, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := schema.CheckName(name); err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil, errClosed
	}
	if n, ok := x.open[name]; ok {
		return n, nil
	}
	if err := finishSwap(x.dir, name); err != nil {
		return nil, err
	}
	path := filepath.Join(x.dir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("index %s: %w", name, search.ErrNotFound)
	}
	g, err := openGeneration(path)
	if err != nil {
		return nil, err
	}
	n := &named{live: g}
	x.open[name] = n
	return n, nil
}

// live runs fn with the live generation of the named index held against
// a swap, or returns an error wrapping search.ErrNotFound.
func (x *Index) live(ctx context.Context, name string, fn func(n *named) error) error {
	n, err := x.get(ctx, name)
	if err != nil {
		return err
	}
	n.swap.RLock()
	defer n.swap.RUnlock()
	if n.live == nil {
		return fmt.Errorf("index %s: %w", name, search.ErrNotFound)
	}
	return fn(n)
}

// Drop closes and deletes the named index and any open rebuild of it; a
// missing index is not an error. It returns an error if the files cannot be
// removed.
func (x *Index) Drop(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/bleve: drop: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return errClosed
	}
	if n, ok := x.open[name]; ok {
		delete(x.open, name)
		n.swap.Lock()
		err := errors.Join(n.live.close(true), n.next.close(true))
		n.live, n.next = nil, nil
		n.swap.Unlock()
		if err != nil {
			return fmt.Errorf("search/bleve: drop %s: %w", name, err)
		}
	}
	_ = os.RemoveAll(filepath.Join(x.dir, readyPrefix+name))
	path := filepath.Join(x.dir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := discard(x.dir, path); err != nil {
		return fmt.Errorf("search/bleve: drop %s: %w", name, err)
	}
	return nil
}

// discard moves path out of the way first, so that its name is free even
// if removal fails half way, then removes it.
func discard(dir, path string) error {
	trash, err := os.MkdirTemp(dir, ".drop-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(trash)
	return os.Rename(path, filepath.Join(trash, "index"))
}

// close closes g (nil is fine) and marks it gone; with remove, a rebuild's
// directory is deleted too (a live one is discarded by the caller).
func (g *generation) close(remove bool) error {
	if g == nil {
		return nil
	}
	g.write.Lock()
	defer g.write.Unlock()
	if g.gone {
		return nil
	}
	g.gone = true
	err := g.bleve.Close()
	if remove && strings.HasPrefix(filepath.Base(g.path), rebuildPrefix) {
		err = errors.Join(err, os.RemoveAll(g.path))
	}
	return err
}

// Ping returns nil while the Index is open and its directory is readable.
func (x *Index) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	x.mu.Lock()
	closed := x.closed
	x.mu.Unlock()
	if closed {
		return errClosed
	}
	if _, err := os.Stat(x.dir); err != nil {
		return fmt.Errorf("search/bleve: ping: %w", err)
	}
	return nil
}

// Close closes every open index and abandons open rebuilds. Later calls
// fail; Close itself returns the errors of the indexes that failed to close.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed = true
	var errs []error
	for name, n := range x.open {
		n.swap.Lock()
		if err := errors.Join(n.live.close(false), n.next.close(true)); err != nil {
			errs = append(errs, fmt.Errorf("search/bleve: close %s: %w", name, err))
		}
		n.live, n.next = nil, nil
		n.swap.Unlock()
	}
	x.open = nil
	return errors.Join(errs...)
}
