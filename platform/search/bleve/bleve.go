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

// named is one open Bleve index and the schema it was created with.
type named struct {
	bleve  blevesearch.Index
	schema *schema.Schema
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
	if _, ok := x.open[name]; ok {
		return nil
	}
	path := filepath.Join(x.dir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := create(x.dir, path, c); err != nil {
			return fmt.Errorf("search/bleve: ensure %s: %w", name, err)
		}
	}
	n, err := openNamed(path)
	if err != nil {
		return fmt.Errorf("search/bleve: ensure %s: %w", name, err)
	}
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
	m, err := newMapping(c)
	if err != nil {
		return fmt.Errorf("mapping: %w", err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, schemaFile), data, 0o644); err != nil {
		return err
	}
	b, err := blevesearch.New(filepath.Join(tmp, bleveDir), m)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := b.Close(); err != nil {
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

func openNamed(path string) (*named, error) {
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
	return &named{bleve: b, schema: c}, nil
}

// get returns the named index, opening it from disk on first use, or an
// error wrapping search.ErrNotFound if it was never created.
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
	path := filepath.Join(x.dir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("index %s: %w", name, search.ErrNotFound)
	}
	n, err := openNamed(path)
	if err != nil {
		return nil, err
	}
	x.open[name] = n
	return n, nil
}

// Drop closes and deletes the named index; a missing index is not an error.
// It returns an error if the files cannot be removed.
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
		if err := n.bleve.Close(); err != nil {
			return fmt.Errorf("search/bleve: drop %s: close: %w", name, err)
		}
	}
	path := filepath.Join(x.dir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// Move it out of the way first, so the name is free even if removal fails half way.
	trash, err := os.MkdirTemp(x.dir, ".drop-")
	if err != nil {
		return fmt.Errorf("search/bleve: drop %s: %w", name, err)
	}
	defer os.RemoveAll(trash)
	if err := os.Rename(path, filepath.Join(trash, name)); err != nil {
		return fmt.Errorf("search/bleve: drop %s: %w", name, err)
	}
	return nil
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

// Close closes every open index. Later calls fail; Close itself returns the
// errors of the indexes that failed to close.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed = true
	var errs []error
	for name, n := range x.open {
		if err := n.bleve.Close(); err != nil {
			errs = append(errs, fmt.Errorf("search/bleve: close %s: %w", name, err))
		}
	}
	x.open = nil
	return errors.Join(errs...)
}
