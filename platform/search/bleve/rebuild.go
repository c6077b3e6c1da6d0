package bleve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// A rebuild is made in <dir>/.rebuild-<name>-*; Commit renames it to
// <dir>/.ready-<name> before it moves the old index away, so that a crash
// in between leaves a complete index that the next open puts in place.
const (
	rebuildPrefix = ".rebuild-"
	readyPrefix   = ".ready-"
)

var errReplaced = errors.New("search/bleve: rebuild was replaced, aborted or dropped")

// Rebuild starts a new generation of the named index with s in a directory
// of its own. Until Commit or Abort, Upsert and Delete of name write to it
// as well; Bleve runs in one process, so they learn of it at once. A second
// Rebuild of name replaces this one. It returns an error wrapping
// search.ErrInvalid for a bad name or schema.
func (x *Index) Rebuild(ctx context.Context, name string, s search.Schema) (search.Builder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := schema.CheckName(name); err != nil {
		return nil, fmt.Errorf("search/bleve: rebuild: %w", err)
	}
	c, err := schema.New(s)
	if err != nil {
		return nil, fmt.Errorf("search/bleve: rebuild %s: %w", name, err)
	}
	n, err := x.get(ctx, name)
	if errors.Is(err, search.ErrNotFound) {
		n, err = x.placeholder(name)
	}
	if err != nil {
		return nil, fmt.Errorf("search/bleve: rebuild %s: %w", name, err)
	}
	dir, err := os.MkdirTemp(x.dir, rebuildPrefix+name+"-")
	if err != nil {
		return nil, fmt.Errorf("search/bleve: rebuild %s: %w", name, err)
	}
	g, err := func() (*generation, error) {
		if err := build(dir, c); err != nil {
			return nil, err
		}
		return openGeneration(dir)
	}()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("search/bleve: rebuild %s: %w", name, err)
	}
	n.swap.Lock()
	old := n.next
	n.next = g
	n.swap.Unlock()
	if err := old.close(true); err != nil {
		return nil, fmt.Errorf("search/bleve: rebuild %s: close the replaced rebuild: %w", name, err)
	}
	return &builder{x: x, name: name, n: n, g: g}, nil
}

// placeholder registers a name that has no index yet, to hold a rebuild.
func (x *Index) placeholder(name string) (*named, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil, errClosed
	}
	n, ok := x.open[name]
	if !ok {
		n = &named{}
		x.open[name] = n
	}
	return n, nil
}

// builder is the search.Builder of a Bleve rebuild.
type builder struct {
	x    *Index
	name string
	n    *named
	g    *generation
}

// Upsert writes docs into the new generation only.
func (b *builder) Upsert(ctx context.Context, docs ...search.Document) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ws, err := b.g.check(docs)
	if err == nil {
		err = b.g.upsert(ws)
	}
	if err != nil {
		return fmt.Errorf("search/bleve: rebuild %s: upsert: %w", b.name, err)
	}
	return nil
}

// Commit puts the new generation in place of the live one under the swap
// lock, which waits for calls in flight and holds new ones until it is done.
func (b *builder) Commit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.n.swap.Lock()
	defer b.n.swap.Unlock()
	if b.n.next != b.g {
		return fmt.Errorf("search/bleve: commit rebuild of %s: %w", b.name, errReplaced)
	}
	if err := b.swap(); err != nil {
		// What is open no longer matches the disk: let the next call reopen it.
		b.x.mu.Lock()
		if b.x.open[b.name] == b.n {
			delete(b.x.open, b.name)
		}
		b.x.mu.Unlock()
		_ = b.n.live.close(false)
		b.n.live, b.n.next = nil, nil
		return fmt.Errorf("search/bleve: commit rebuild of %s: %w", b.name, err)
	}
	return nil
}

// swap closes both generations, moves the directories and opens the new
// one under the name.
func (b *builder) swap() error {
	dir := b.x.dir
	path := filepath.Join(dir, b.name)
	ready := filepath.Join(dir, readyPrefix+b.name)
	if err := b.g.close(false); err != nil {
		return err
	}
	b.n.next = nil
	if err := os.Rename(b.g.path, ready); err != nil {
		return err
	}
	if err := b.n.live.close(false); err != nil {
		return err
	}
	b.n.live = nil
	if _, err := os.Stat(path); err == nil {
		if err := discard(dir, path); err != nil {
			return err
		}
	}
	if err := os.Rename(ready, path); err != nil {
		return err
	}
	g, err := openGeneration(path)
	if err != nil {
		return err
	}
	b.n.live = g
	return nil
}

// Abort closes and deletes the new generation, unless it was committed or
// replaced.
func (b *builder) Abort(ctx context.Context) error {
	b.n.swap.Lock()
	mine := b.n.next == b.g
	if mine {
		b.n.next = nil
	}
	b.n.swap.Unlock()
	if !mine {
		return nil
	}
	if err := b.g.close(true); err != nil {
		return fmt.Errorf("search/bleve: abort rebuild of %s: %w", b.name, err)
	}
	return nil
}

// finishSwap completes a Commit that a crash interrupted: a ready rebuild
// is moved in place of the index under the name, if any.
func finishSwap(dir, name string) error {
	ready := filepath.Join(dir, readyPrefix+name)
	if _, err := os.Stat(ready); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		if err := discard(dir, path); err != nil {
			return err
		}
	}
	return os.Rename(ready, path)
}
