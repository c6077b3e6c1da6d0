package engagement

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"
)

// foldInterests adds signal sums to the stored interest weights. The
// stored weight is decayed to the time of the newer of the two before the
// sum is added; this read-modify-write is safe because only holders of the
// aggregation lock write interest weights.
func (s *Service) foldInterests(ctx context.Context, tx *sql.Tx, sums map[interestKey]*signalSum) error {
	if len(sums) == 0 {
		return nil
	}
	keys := sortedInterestKeys(maps.Keys(sums))
	stored, err := loadWeights(ctx, tx, keys)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(keys))
	for _, k := range keys {
		sum := *sums[k]
		if old, ok := stored[k]; ok {
			sum = combine(old, sum, s.cfg.ProfileHalfLife)
		}
		rows = append(rows, []any{k.viewer, k.kind, k.key, sum.weight, sum.at})
	}
	return writeWeights(ctx, tx, rows)
}

func sortedInterestKeys(keys iter.Seq[interestKey]) []interestKey {
	return slices.SortedFunc(keys, func(a, b interestKey) int {
		return cmp.Or(cmp.Compare(a.viewer, b.viewer), cmp.Compare(a.kind, b.kind), cmp.Compare(a.key, b.key))
	})
}

func writeWeights(ctx context.Context, tx *sql.Tx, rows [][]any) error {
	err := upsert(ctx, tx, `INSERT INTO interest_weights (viewer_id, kind, key, weight, updated_at)`,
		`ON CONFLICT (viewer_id, kind, key) DO UPDATE SET weight = excluded.weight, updated_at = excluded.updated_at`, rows)
	if err != nil {
		return fmt.Errorf("engagement: write interest weights: %w", err)
	}
	return nil
}

// loadWeights returns the stored weights of keys that exist.
func loadWeights(ctx context.Context, tx *sql.Tx, keys []interestKey) (map[interestKey]signalSum, error) {
	out := map[interestKey]signalSum{}
	const perQuery = 200
	for i := 0; i < len(keys); i += perQuery {
		part := keys[i:min(i+perQuery, len(keys))]
		want := map[interestKey]bool{}
		var viewers, names []string
		for _, k := range part {
			want[k] = true
			viewers = append(viewers, k.viewer)
			names = append(names, k.key)
		}
		viewers, names = dedupe(viewers), dedupe(names)
		inV, args := inList(viewers, 1)
		inK, args2 := inList(names, len(args)+1)
		rows, err := tx.QueryContext(ctx, `SELECT viewer_id, kind, key, weight, updated_at FROM interest_weights
			WHERE viewer_id IN (`+inV+`) AND key IN (`+inK+`)`, append(args, args2...)...)
		if err != nil {
			return nil, fmt.Errorf("engagement: load interest weights: %w", err)
		}
		for rows.Next() {
			var k interestKey
			var w signalSum
			if err := rows.Scan(&k.viewer, &k.kind, &k.key, &w.weight, &w.at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engagement: scan interest weight: %w", err)
			}
			if want[k] {
				w.at = w.at.UTC()
				out[k] = w
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("engagement: load interest weights: %w", err)
		}
	}
	return out, nil
}

// interestsOf returns every stored weight of viewerID, as stored (not decayed).
func interestsOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, viewerID string) (map[interestKey]signalSum, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, key, weight, updated_at FROM interest_weights WHERE viewer_id = $1`, viewerID)
	if err != nil {
		return nil, fmt.Errorf("engagement: load interests: %w", err)
	}
	defer rows.Close()
	out := map[interestKey]signalSum{}
	for rows.Next() {
		k := interestKey{viewer: viewerID}
		var w signalSum
		var at time.Time
		if err := rows.Scan(&k.kind, &k.key, &w.weight, &at); err != nil {
			return nil, fmt.Errorf("engagement: scan interest: %w", err)
		}
		w.at = at.UTC()
		out[k] = w
	}
	return out, rows.Err()
}
