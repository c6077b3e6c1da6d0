package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// A placement on PostgreSQL is one statement, with no transaction around
// it to carry the search index job of a SKU it sells out; the index hears
// of it from StockChanged right after the commit. So that a process dying
// between the two cannot leave a sold-out product in stock in search, the
// statement also records each SKU it leaves with nothing available in
// search_stock_flips (StockFlipsCTE); StockChanged removes the row in the
// transaction that enqueues the job, and SweepStockFlips turns any row
// left behind into that job.

// stockFlipGrace is how old a flip must be before the sweep takes it: the
// placement's own StockChanged is expected within milliseconds.
const stockFlipGrace = 10 * time.Second

// flipConflict keeps an existing flip of the SKU, locking it: a sweep or a
// StockChanged about to delete it (for an earlier sale) then waits for this
// placement to commit, so the job it enqueues reads this sale too, and if
// the delete came first, this placement's row is inserted anew. (DO
// NOTHING would take no lock, and the flip could go with the earlier job,
// which may read the SKU before this sale commits.)
const flipConflict = `ON CONFLICT (sku_id) DO UPDATE SET flipped_at = search_stock_flips.flipped_at`

// StockFlipsCTE is a CTE for a placement statement that records the SKUs
// of rel (a relation with sku_id and available, the availability after
// the placement) left with nothing available, at now (a placeholder).
// A reservation needs as many units available as it takes, so available
// ≤ 0 after it means this statement sold the SKU out.
func StockFlipsCTE(rel, now string) string {
	return `stock_flips AS (INSERT INTO search_stock_flips (sku_id, flipped_at)
		SELECT DISTINCT sku_id, CAST(` + now + ` AS TIMESTAMPTZ) FROM ` + rel + ` WHERE available <= 0
		` + flipConflict + `)`
}

// RecordStockFlips records skuIDs as sold out at now, inside the caller's
// transaction: StockFlipsCTE for a placement made of several statements.
func RecordStockFlips(ctx context.Context, tx *sql.Tx, skuIDs []string, now time.Time) error {
	if len(skuIDs) == 0 {
		return nil
	}
	skuIDs = slices.Compact(slices.Sorted(slices.Values(skuIDs))) // DO UPDATE may touch a row once
	var p db.Params
	rows := make([]string, len(skuIDs))
	at := p.Add(now)
	for i, id := range skuIDs {
		rows[i] = "(" + p.Add(id) + ", " + at + ")"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO search_stock_flips (sku_id, flipped_at) VALUES `+strings.Join(rows, ", ")+
		` `+flipConflict, p...)
	if err != nil {
		return fmt.Errorf("catalog: record stock flips: %w", err)
	}
	return nil
}

// SweepStockFlips enqueues the search index jobs of the sold-out SKUs
// whose placement's process died before it could (see StockFlipsCTE), then
// writes their documents at once as StockChanged does, and returns how
// many SKUs it took.
func (s *Service) SweepStockFlips(ctx context.Context) (int64, error) {
	var total int64
	for {
		var skus, products []string
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			skus, err = queryIDs(ctx, tx, `SELECT sku_id FROM search_stock_flips WHERE flipped_at < $1 ORDER BY sku_id LIMIT $2`,
				s.now().Add(-stockFlipGrace), indexJobSize)
			if err != nil {
				return err
			}
			products, err = s.takeStockFlips(ctx, tx, skus)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("catalog: sweep stock flips: %w", err)
		}
		if len(products) > 0 {
			s.indexProducts(ctx, products...)
		}
		total += int64(len(skus))
		if len(skus) < indexJobSize {
			return total, nil
		}
	}
}

// takeStockFlips records in tx the search change of skuIDs (the job that
// replaces their sold-out records) and deletes those records; it returns
// the products of skuIDs.
func (s *Service) takeStockFlips(ctx context.Context, tx *sql.Tx, skuIDs []string) ([]string, error) {
	ids, err := s.skusChanged(ctx, tx, skuIDs)
	if err != nil || len(skuIDs) == 0 {
		return ids, err
	}
	in, args := inList(skuIDs, 1)
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_stock_flips WHERE sku_id IN (`+in+`)`, args...); err != nil {
		return nil, fmt.Errorf("catalog: remove stock flips: %w", err)
	}
	return ids, nil
}
