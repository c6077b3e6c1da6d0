package bleve

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	blevesearch "github.com/blevesearch/bleve/v2"

	"github.com/reelmart/reelmart/platform/search"
)

// versionKey prefixes the key, in a Bleve index's internal key-value store,
// that keeps a document's external version. A tombstone is a version kept
// for a document that is no longer in the index. Bleve's own keys do not
// start with it.
const versionKey = "reelmart.version:"

// write is one document checked against a generation's schema: its fields
// ready to index, or nil for a tombstone.
type write struct {
	doc    search.Document
	fields map[string]any
}

// Upsert adds or replaces docs, honouring versions and tombstones, in one
// batch per generation: the live one and, while a Rebuild is open, the next.
// Every document is checked against each first, so a document that breaks a
// schema fails the call (search.ErrInvalid) before anything is written; a
// missing index gives search.ErrNotFound.
func (x *Index) Upsert(ctx context.Context, name string, docs ...search.Document) error {
	err := x.live(ctx, name, func(n *named) error {
		gens := []*generation{n.live}
		if n.next != nil {
			gens = append(gens, n.next)
		}
		checked := make([][]write, len(gens))
		for i, g := range gens {
			var err error
			if checked[i], err = g.check(docs); err != nil {
				return err
			}
		}
		for i, g := range gens {
			if err := g.upsert(checked[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("search/bleve: upsert into %s: %w", name, err)
	}
	return nil
}

// check validates docs against g's schema and encodes their source.
func (g *generation) check(docs []search.Document) ([]write, error) {
	out := make([]write, len(docs))
	for i, d := range docs {
		fields, err := g.schema.Doc(d)
		if err != nil {
			return nil, err
		}
		out[i].doc = d
		if d.Deleted {
			continue
		}
		src, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("encode %q: %w", d.ID, err)
		}
		fields[sourceField] = string(src)
		out[i].fields = fields
	}
	return out, nil
}

// upsert writes checked documents in one batch. Versions are read and the
// batch applied under g.write, so that two writers cannot both find
// themselves newer than the same stored version.
func (g *generation) upsert(ws []write) error {
	g.write.Lock()
	defer g.write.Unlock()
	if g.gone {
		return fmt.Errorf("%w (dropped)", search.ErrNotFound)
	}
	batch := g.bleve.NewBatch()
	seen := map[string]int64{} // versions written earlier in this batch
	for _, w := range ws {
		d := w.doc
		key := []byte(versionKey + d.ID)
		if d.Version > 0 {
			cur, ok := seen[d.ID]
			if !ok {
				var err error
				if cur, err = g.version(key); err != nil {
					return err
				}
			}
			if d.Version <= cur {
				continue // older or repeated: the index already holds this or newer
			}
			seen[d.ID] = d.Version
			batch.SetInternal(key, binary.BigEndian.AppendUint64(nil, uint64(d.Version)))
		} else {
			seen[d.ID] = 0
			batch.DeleteInternal(key)
		}
		if d.Deleted {
			batch.Delete(d.ID)
			continue
		}
		if err := batch.Index(d.ID, w.fields); err != nil {
			return fmt.Errorf("%q: %w", d.ID, err)
		}
	}
	if err := g.bleve.Batch(batch); err != nil {
		return gone(err)
	}
	return nil
}

// version returns the stored version under key, 0 if there is none.
func (g *generation) version(key []byte) (int64, error) {
	v, err := g.bleve.GetInternal(key)
	if err != nil {
		return 0, fmt.Errorf("read version: %w", gone(err))
	}
	if len(v) != 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// Delete removes ids and their versions in one batch per generation;
// missing ids are ignored. It returns an error wrapping search.ErrNotFound
// for a missing index.
func (x *Index) Delete(ctx context.Context, name string, ids ...string) error {
	err := x.live(ctx, name, func(n *named) error {
		for _, g := range []*generation{n.live, n.next} {
			if g == nil {
				continue
			}
			if err := g.delete(ids); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("search/bleve: delete from %s: %w", name, err)
	}
	return nil
}

func (g *generation) delete(ids []string) error {
	g.write.Lock()
	defer g.write.Unlock()
	if g.gone {
		return fmt.Errorf("%w (dropped)", search.ErrNotFound)
	}
	batch := g.bleve.NewBatch()
	for _, id := range ids {
		batch.Delete(id)
		batch.DeleteInternal([]byte(versionKey + id))
	}
	return gone(g.bleve.Batch(batch))
}

// Search runs q. It returns an error wrapping search.ErrInvalid for a query
// that breaks the schema and search.ErrNotFound for a missing index.
func (x *Index) Search(ctx context.Context, name string, q search.Query) (search.Result, error) {
	var out search.Result
	err := x.live(ctx, name, func(n *named) error {
		cq, err := n.live.schema.Query(q)
		if err != nil {
			return err
		}
		res, err := n.live.bleve.SearchInContext(ctx, newRequest(cq))
		if err != nil {
			return gone(err)
		}
		out, err = result(n.live.schema, cq, res)
		return err
	})
	if err != nil {
		return search.Result{}, fmt.Errorf("search/bleve: search %s: %w", name, err)
	}
	return out, nil
}

// Refresh returns nil at once, Bleve being read-your-writes, or an error
// wrapping search.ErrNotFound for a missing index.
func (x *Index) Refresh(ctx context.Context, name string) error {
	if err := x.live(ctx, name, func(*named) error { return nil }); err != nil {
		return fmt.Errorf("search/bleve: refresh %s: %w", name, err)
	}
	return nil
}

// gone reports an index closed under a call by a concurrent Drop as not found.
func gone(err error) error {
	if errors.Is(err, blevesearch.ErrorIndexClosed) {
		return fmt.Errorf("%w (dropped)", search.ErrNotFound)
	}
	return err
}
