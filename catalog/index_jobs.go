package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/jobs"
)

// Jobs enqueues a durable job inside a transaction; *jobs.Queue satisfies it.
type Jobs interface {
	Enqueue(ctx context.Context, tx *sql.Tx, kind string, args any) (int64, error)
}

// The catalog's jobs. IndexKind writes the search documents of some
// products (args {"product_ids": […]}): declare it on the short queue,
// retried until it succeeds. ReindexKind rebuilds the whole index (args
// {}); it is how the embedded deployment reindexes, since only the serving
// process may open the Bleve index.
const (
	IndexKind   = "catalog.index_products"
	ReindexKind = "catalog.reindex_products"
)

type indexArgs struct {
	ProductIDs []string `json:"product_ids"`
}

// searchChanged records, inside tx, that the search documents of
// productIDs changed: it bumps their search_version and enqueues the job
// that writes them, so the write survives a crash and is retried until the
// index takes it, and a write of an older state can never win. Every
// transaction that changes what a product's document holds calls it. The
// videos that pin the products are re-indexed the same way, in the same
// transaction: their documents carry the products' titles and whether any
// is in stock, so a product that sells out or comes back (an order, a
// refund, an expiry, a restock) moves them too.
func (s *Service) searchChanged(ctx context.Context, tx *sql.Tx, productIDs ...string) error {
	// Products are locked before the videos that pin them, on every path,
	// so two transactions never wait on each other in opposite orders.
	for ids := range slices.Chunk(productIDs, indexJobSize) {
		in, args := inList(ids, 1)
		if _, err := tx.ExecContext(ctx, `UPDATE products SET search_version = search_version + 1 WHERE id IN (`+in+`)`, args...); err != nil {
			return fmt.Errorf("catalog: bump search versions: %w", err)
		}
		if s.cfg.Jobs == nil {
			continue
		}
		if _, err := s.cfg.Jobs.Enqueue(ctx, tx, IndexKind, indexArgs{ProductIDs: ids}); err != nil {
			return fmt.Errorf("catalog: enqueue search index job: %w", err)
		}
	}
	return s.pinningVideosChanged(ctx, tx, productIDs)
}

// indexJobSize bounds the products of one index job (and one statement's
// parameters): a shop renamed with thousands of products makes several.
const indexJobSize = 500

// StockChangedTx records, inside the caller's transaction, that the
// availability of skuIDs crossed zero (a reservation placed, paid,
// cancelled or expired; a refund or restock): their products' documents
// are rewritten by a durable job once tx commits, so in_stock cannot go
// stale even if the process dies right after the commit. Call it instead
// of StockChanged where a transaction is at hand.
func (s *Service) StockChangedTx(ctx context.Context, tx *sql.Tx, skuIDs ...string) error {
	_, err := s.skusChanged(ctx, tx, skuIDs)
	return err
}

// skusChanged records in tx the search change of the products of skuIDs,
// and returns those products.
func (s *Service) skusChanged(ctx context.Context, tx *sql.Tx, skuIDs []string) ([]string, error) {
	if len(skuIDs) == 0 {
		return nil, nil
	}
	ids, err := productsOfSKUs(ctx, tx, skuIDs)
	if err != nil {
		return nil, err
	}
	return ids, s.searchChanged(ctx, tx, ids...)
}

// productsOfSKUs returns the ids of the products of skuIDs, sorted.
func productsOfSKUs(ctx context.Context, q db.Querier, skuIDs []string) ([]string, error) {
	in, args := inList(skuIDs, 1)
	return queryIDs(ctx, q, `SELECT DISTINCT product_id FROM skus WHERE id IN (`+in+`) ORDER BY product_id`, args...)
}

// queryIDs runs a query whose rows are one id each.
func queryIDs(ctx context.Context, q db.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: list ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("catalog: list ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// IndexJob is the handler of IndexKind. It returns an error, for a retry,
// if the documents could not be written.
func (s *Service) IndexJob(ctx context.Context, j jobs.Job) error {
	var args indexArgs
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return jobs.Permanent(fmt.Errorf("catalog: index job %d: %w", j.ID, err))
	}
	return s.syncIndex(ctx, args.ProductIDs)
}

// ReindexJob is the handler of ReindexKind.
func (s *Service) ReindexJob(ctx context.Context, j jobs.Job) error {
	n, err := s.Reindex(ctx)
	if err != nil {
		return err
	}
	s.cfg.Log.InfoContext(ctx, "catalog: reindexed products", "products", n, "job", j.ID)
	return nil
}
