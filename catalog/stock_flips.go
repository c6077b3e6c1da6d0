package catalog

import (
	"context"
	"database/sql"
	"fmt"
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

// StockFlipsCTE is a CTE for a placement statement that records the SKUs
// of rel (a relation with sku_id and available, the availability after
// the placement) left with nothing available, at now (a placeholder).
// A reservation needs as many units available as it takes, so available
// ≤ 0 after it means this statement sold the SKU out.
func StockFlipsCTE(rel, now string) string {
	return `stock_flips AS (INSERT INTO search_stock_flips (sku_id, flipped_at)
		SELECT DISTINCT sku_id, CAST(` + now + ` AS TIMESTAMPTZ) FROM ` + rel + ` WHERE available <= 0
		ON CONFLICT (sku_id) DO NOTHING)`
}

// RecordStockFlips records skuIDs as sold out at now, inside the caller's
// transaction: StockFlipsCTE for a placement made of several statements.
func RecordStockFlips(ctx context.Context, tx *sql.Tx, skuIDs []string, now time.Time) error {
	if len(skuIDs) == 0 {
		return nil
	}
	var p db.Params
	rows := make([]string, len(skuIDs))
	at := p.Add(now)
	for i, id := range skuIDs {
		rows[i] = "(" + p.Add(id) + ", " + at + ")"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO search_stock_flips (sku_id, flipped_at) VALUES `+strings.Join(rows, ", ")+
		` ON CONFLICT (sku_id) DO NOTHING`, p...)
	if err != nil {
		return fmt.Errorf("catalog: record stock flips: %w", err)
	}
	return nil
}

// SweepStockFlips enqueues the search index jobs of the sold-out SKUs
// whose placement's process died before it could (see StockFlipsCTE), and
// returns how many SKUs it took.
func (s *Service) SweepStockFlips(ctx context.Context) (int64, error) {
	var total int64
	for {
		var n int
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			skus, err := queryIDs(ctx, tx, `SELECT sku_id FROM search_stock_flips WHERE flipped_at < $1 ORDER BY sku_id LIMIT $2`,
				s.now().Add(-stockFlipGrace), indexJobSize)
			if err != nil {
				return err
			}
			n = len(skus)
			if n == 0 {
				return nil
			}
			return s.takeStockFlips(ctx, tx, skus)
		})
		if err != nil {
			return total, fmt.Errorf("catalog: sweep stock flips: %w", err)
		}
		total += int64(n)
		if n < indexJobSize {
			return total, nil
		}
	}
}

// takeStockFlips records the search change of skuIDs in tx and removes
// their flips.
func (s *Service) takeStockFlips(ctx context.Context, tx *sql.Tx, skuIDs []string) error {
	if err := s.StockChangedTx(ctx, tx, skuIDs...); err != nil {
		return err
	}
	return deleteStockFlips(ctx, tx, skuIDs)
}

func deleteStockFlips(ctx context.Context, tx *sql.Tx, skuIDs []string) error {
	in, args := inList(skuIDs, 1)
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_stock_flips WHERE sku_id IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("catalog: remove stock flips: %w", err)
	}
	return nil
}
