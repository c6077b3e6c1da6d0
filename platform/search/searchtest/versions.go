package searchtest

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/reelmart/reelmart/platform/search"
)

func versioned(id string, version int64, title string) search.Document {
	return search.Document{ID: id, Version: version, Fields: map[string]any{"title": title, "price": float64(version)}}
}

func tombstone(id string, version int64) search.Document {
	return search.Document{ID: id, Version: version, Deleted: true}
}

// expectTitle checks that id is in the index with title, or absent for "".
func (e *env) expectTitle(name, id, title string) {
	e.Helper()
	res := e.search(name, where(values(search.DocID, id)))
	switch {
	case title == "" && res.Total != 0:
		e.Errorf("document %s = %v, want none", id, res.Hits[0].Fields)
	case title != "" && (res.Total != 1 || res.Hits[0].Fields["title"] != title):
		e.Errorf("document %s = %+v, want title %q", id, res.Hits, title)
	}
}

func testVersions(e *env) {
	name := e.ensure(productSchema)
	e.put(name, versioned("a", 2, "second"))
	// An older or equal version is dropped without error.
	e.put(name, versioned("a", 1, "first"))
	e.put(name, versioned("a", 2, "second again"))
	e.expectTitle(name, "a", "second")
	e.put(name, versioned("a", 3, "third"))
	e.expectTitle(name, "a", "third")
	// Out of order within one batch: the highest version wins.
	e.put(name, versioned("b", 5, "five"), versioned("b", 4, "four"), versioned("c", 1, "one"), versioned("c", 2, "two"))
	e.expectTitle(name, "b", "five")
	e.expectTitle(name, "c", "two")

	// A tombstone removes the document and blocks what is not newer.
	e.put(name, tombstone("a", 4))
	e.expectTitle(name, "a", "")
	e.put(name, versioned("a", 3, "third, late"))
	e.put(name, versioned("a", 4, "fourth, late"))
	e.expectTitle(name, "a", "")
	e.put(name, versioned("a", 5, "revived"))
	e.expectTitle(name, "a", "revived")
	// An old tombstone changes nothing; a tombstone may come first.
	e.put(name, tombstone("b", 3), tombstone("z", 10))
	e.put(name, versioned("z", 9, "never"))
	e.expectTitle(name, "b", "five")
	e.expectTitle(name, "z", "")
	e.put(name, versioned("z", 11, "eleven"))
	e.expectTitle(name, "z", "eleven")

	// Tombstones are never counted, matched or sorted.
	e.put(name, tombstone("c", 3), tombstone("ghost", 1))
	e.expect(name, search.Query{Sort: []search.Sort{{Field: "price"}}}, "a", "b", "z")
	e.expect(name, search.Query{Text: "two"})
	e.expect(name, where(not(values(search.DocID, "a"))), "b", "z")

	for why, d := range map[string]search.Document{
		"a tombstone without a version": {ID: "x", Deleted: true},
		"a negative version":            {ID: "x", Version: -1, Fields: map[string]any{"title": "x"}},
	} {
		e.wantErr(e.idx.Upsert(e.ctx, name, d), search.ErrInvalid, "Upsert of "+why)
	}
}

// testVersionsConcurrent has writers send every version of a few documents
// in random order at once; each document ends at its highest version.
func testVersionsConcurrent(e *env) {
	name := e.ensure(productSchema)
	const docs, versions, writers = 4, 40, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for _, i := range r.Perm(docs * versions) {
				d := versioned(fmt.Sprint(i%docs), int64(i/docs+1), fmt.Sprintf("v%d", i/docs+1))
				if i/docs%7 == 6 {
					d = tombstone(d.ID, d.Version)
				}
				if err := e.idx.Upsert(e.ctx, name, d); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.Fatalf("Upsert: %v", err)
	}
	e.refresh(name)
	for i := range docs {
		e.expectTitle(name, fmt.Sprint(i), fmt.Sprintf("v%d", versions))
	}
}
