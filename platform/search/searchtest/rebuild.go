package searchtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

// rebuiltSchema adds a field to productSchema, as a rebuild for a new
// mapping would.
var rebuiltSchema = search.Schema{Fields: append([]search.Field{{Name: "extra", Type: search.Keyword}}, productSchema.Fields...)}

// table stands in for the database: rows with a version bumped on every
// change, the source the index is rebuilt from.
type table struct {
	mu   sync.Mutex
	rows map[string]*row
}

type row struct {
	version int64
	title   string
	deleted bool
}

// change bumps a row's version and returns its document, as a writing
// transaction followed by its index job would.
func (t *table) change(id, title string, deleted bool) search.Document {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rows[id]
	if r == nil {
		r = &row{}
		t.rows[id] = r
	}
	r.version++
	r.title, r.deleted = title, deleted
	return r.doc(id)
}

func (r *row) doc(id string) search.Document {
	if r.deleted {
		return tombstone(id, r.version)
	}
	return versioned(id, r.version, r.title)
}

// snapshot returns every row's current document.
func (t *table) snapshot() []search.Document {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []search.Document
	for id, r := range t.rows {
		out = append(out, r.doc(id))
	}
	return out
}

// testRebuildUnderLoad rebuilds an index with a new schema while writers
// change rows and searches run, and checks that no write is lost and that
// no search fails across the swap.
func testRebuildUnderLoad(e *env) {
	name := e.ensure(productSchema)
	t := &table{rows: map[string]*row{}}
	var seed []search.Document
	for i := range 200 {
		seed = append(seed, t.change(fmt.Sprintf("r%03d", i), "seed", false))
	}
	e.put(name, seed...)

	ctx, stop := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	var searches, writes atomic.Int64
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 2))
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("r%03d", r.IntN(260)) // some rows are new
				d := t.change(id, fmt.Sprintf("w%d-%d", w, i), r.IntN(10) == 0)
				if err := e.idx.Upsert(e.ctx, name, d); err != nil {
					errs <- fmt.Errorf("Upsert during rebuild: %w", err)
					return
				}
				writes.Add(1)
			}
		})
	}
	wg.Go(func() {
		for ctx.Err() == nil {
			if _, err := e.idx.Search(e.ctx, name, search.Query{Text: "seed", Size: 5}); err != nil {
				errs <- fmt.Errorf("Search during rebuild: %w", err)
				return
			}
			searches.Add(1)
		}
	})

	b, err := e.idx.Rebuild(e.ctx, name, rebuiltSchema)
	if err != nil {
		e.Fatalf("Rebuild: %v", err)
	}
	defer b.Abort(context.Background())
	rows := t.snapshot()
	for len(rows) > 0 {
		n := min(len(rows), 37)
		for i := range rows[:n] {
			if !rows[i].Deleted {
				rows[i].Fields["extra"] = "rebuilt"
			}
		}
		if err := b.Upsert(e.ctx, rows[:n]...); err != nil {
			e.Fatalf("Builder.Upsert: %v", err)
		}
		rows = rows[n:]
	}
	before := searches.Load()
	if err := b.Commit(e.ctx); err != nil {
		e.Fatalf("Commit: %v", err)
	}
	// Keep writing and searching a little after the swap.
	for after := searches.Load(); searches.Load() < after+20 && ctx.Err() == nil; {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		e.Error(err)
	}
	if before == 0 || writes.Load() == 0 {
		e.Errorf("%d searches before Commit and %d writes: the load did not overlap the rebuild", before, writes.Load())
	}

	e.refresh(name)
	t.mu.Lock()
	defer t.mu.Unlock()
	live := 0
	for id, r := range t.rows {
		want := r.title
		if r.deleted {
			want = ""
		} else {
			live++
		}
		e.expectTitle(name, id, want)
	}
	// The new schema is in force.
	if res := e.search(name, search.Query{Size: 1}); res.Total != live {
		e.Errorf("after the rebuild, Total = %d, want %d", res.Total, live)
	}
	e.search(name, where(values("extra", "rebuilt")))
}

func testRebuildAbort(e *env) {
	name := e.ensure(productSchema)
	e.put(name, versioned("a", 1, "kept"))
	b, err := e.idx.Rebuild(e.ctx, name, rebuiltSchema)
	if err != nil {
		e.Fatalf("Rebuild: %v", err)
	}
	if err := b.Upsert(e.ctx, doc("new", map[string]any{"extra": "x"})); err != nil {
		e.Fatalf("Builder.Upsert: %v", err)
	}
	e.wantErr(b.Upsert(e.ctx, doc("bad", map[string]any{"nope": 1})), search.ErrInvalid, "Builder.Upsert of a field neither schema has")
	e.put(name, versioned("b", 1, "during"))
	if err := b.Abort(e.ctx); err != nil {
		e.Fatalf("Abort: %v", err)
	}
	if err := b.Abort(e.ctx); err != nil {
		e.Errorf("second Abort: %v", err)
	}
	e.wantFail(b.Commit(e.ctx), "Commit after Abort")
	e.put(name, versioned("c", 1, "after"))
	e.expect(name, search.Query{}, "a", "b", "c")
	_, err = e.idx.Search(e.ctx, name, where(values("extra", "x")))
	e.wantErr(err, search.ErrInvalid, "the aborted schema")

	// A rebuild can start again, and Abort after Commit does nothing.
	b, err = e.idx.Rebuild(e.ctx, name, productSchema)
	if err != nil {
		e.Fatalf("second Rebuild: %v", err)
	}
	if err := b.Upsert(e.ctx, versioned("a", 1, "kept")); err != nil {
		e.Fatal(err)
	}
	if err := b.Commit(e.ctx); err != nil {
		e.Fatalf("Commit: %v", err)
	}
	if err := b.Abort(e.ctx); err != nil {
		e.Errorf("Abort after Commit: %v", err)
	}
	e.expect(name, search.Query{}, "a")
}

func testRebuildReplaced(e *env) {
	name := e.ensure(productSchema)
	e.put(name, doc("old", map[string]any{"title": "old"}))
	first, err := e.idx.Rebuild(e.ctx, name, productSchema)
	if err != nil {
		e.Fatalf("Rebuild: %v", err)
	}
	second, err := e.idx.Rebuild(e.ctx, name, rebuiltSchema)
	if err != nil {
		e.Fatalf("second Rebuild: %v", err)
	}
	e.wantFail(first.Commit(e.ctx), "Commit of a replaced rebuild")
	e.expect(name, search.Query{}, "old")
	if err := second.Upsert(e.ctx, doc("new", map[string]any{"extra": "x"})); err != nil {
		e.Fatal(err)
	}
	if err := second.Commit(e.ctx); err != nil {
		e.Fatalf("Commit: %v", err)
	}
	e.expect(name, where(values("extra", "x")), "new")
}

func testRebuildMissing(e *env) {
	name := e.newName()
	e.Cleanup(func() { e.idx.Drop(context.Background(), name) })
	b, err := e.idx.Rebuild(e.ctx, name, productSchema)
	if err != nil {
		e.Fatalf("Rebuild of a missing index: %v", err)
	}
	_, err = e.idx.Search(e.ctx, name, search.Query{})
	e.wantErr(err, search.ErrNotFound, "Search before the Commit that creates the index")
	if err := b.Upsert(e.ctx, versioned("a", 1, "first")); err != nil {
		e.Fatal(err)
	}
	if err := b.Commit(e.ctx); err != nil {
		e.Fatalf("Commit: %v", err)
	}
	e.expect(name, search.Query{Text: "first"}, "a")
	e.put(name, versioned("a", 2, "second"))
	e.expectTitle(name, "a", "second")
}

func testRebuildDropped(e *env) {
	name := e.ensure(productSchema)
	b, err := e.idx.Rebuild(e.ctx, name, productSchema)
	if err != nil {
		e.Fatalf("Rebuild: %v", err)
	}
	if err := e.idx.Drop(e.ctx, name); err != nil {
		e.Fatalf("Drop: %v", err)
	}
	e.wantFail(b.Commit(e.ctx), "Commit after Drop")
	_, err = e.idx.Search(e.ctx, name, search.Query{})
	e.wantErr(err, search.ErrNotFound, "Search after Drop during a rebuild")
	e.wantFail(b.Upsert(e.ctx, versioned("a", 1, "x")), "Builder.Upsert after Drop")
}
