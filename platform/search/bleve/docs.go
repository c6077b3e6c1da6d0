package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	blevesearch "github.com/blevesearch/bleve/v2"

	"github.com/reelmart/reelmart/platform/search"
)

// Upsert adds or replaces docs in one batch. Every document is checked first,
// so a document that breaks the schema fails the call (search.ErrInvalid)
// before anything is written; a missing index gives search.ErrNotFound.
func (x *Index) Upsert(ctx context.Context, name string, docs ...search.Document) error {
	n, err := x.get(ctx, name)
	if err != nil {
		return fmt.Errorf("search/bleve: upsert into %s: %w", name, err)
	}
	batch := n.bleve.NewBatch()
	for _, d := range docs {
		fields, err := n.schema.Doc(d)
		if err != nil {
			return fmt.Errorf("search/bleve: upsert into %s: %w", name, err)
		}
		src, err := json.Marshal(fields)
		if err != nil {
			return fmt.Errorf("search/bleve: upsert into %s: encode %q: %w", name, d.ID, err)
		}
		fields[sourceField] = string(src)
		if err := batch.Index(d.ID, fields); err != nil {
			return fmt.Errorf("search/bleve: upsert into %s: %q: %w", name, d.ID, err)
		}
	}
	if err := n.bleve.Batch(batch); err != nil {
		return fmt.Errorf("search/bleve: upsert into %s: %w", name, gone(err))
	}
	return nil
}

// Delete removes ids in one batch; missing ids are ignored. It returns an
// error wrapping search.ErrNotFound for a missing index.
func (x *Index) Delete(ctx context.Context, name string, ids ...string) error {
	n, err := x.get(ctx, name)
	if err != nil {
		return fmt.Errorf("search/bleve: delete from %s: %w", name, err)
	}
	batch := n.bleve.NewBatch()
	for _, id := range ids {
		batch.Delete(id)
	}
	if err := n.bleve.Batch(batch); err != nil {
		return fmt.Errorf("search/bleve: delete from %s: %w", name, gone(err))
	}
	return nil
}

// Search runs q. It returns an error wrapping search.ErrInvalid for a query
// that breaks the schema and search.ErrNotFound for a missing index.
func (x *Index) Search(ctx context.Context, name string, q search.Query) (search.Result, error) {
	n, err := x.get(ctx, name)
	if err != nil {
		return search.Result{}, fmt.Errorf("search/bleve: search %s: %w", name, err)
	}
	cq, err := n.schema.Query(q)
	if err != nil {
		return search.Result{}, fmt.Errorf("search/bleve: search %s: %w", name, err)
	}
	res, err := n.bleve.SearchInContext(ctx, newRequest(cq))
	if err != nil {
		return search.Result{}, fmt.Errorf("search/bleve: search %s: %w", name, gone(err))
	}
	out, err := result(n.schema, res)
	if err != nil {
		return search.Result{}, fmt.Errorf("search/bleve: search %s: %w", name, err)
	}
	return out, nil
}

// Refresh returns nil at once, Bleve being read-your-writes, or an error
// wrapping search.ErrNotFound for a missing index.
func (x *Index) Refresh(ctx context.Context, name string) error {
	if _, err := x.get(ctx, name); err != nil {
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
