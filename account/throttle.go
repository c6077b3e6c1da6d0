package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// checkThrottle fails with a KindRateLimited error when key has reached max
// failures in its current window. Counters live in the database, so every API
// node sees the same count.
func (s *Service) checkThrottle(ctx context.Context, key string, max int) error {
	var start time.Time
	var failures int
	err := s.db.QueryRowContext(ctx, `SELECT window_start, failures FROM login_failures WHERE key = $1`, key).Scan(&start, &failures)
	if errors.Is(err, db.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("account: read login failures: %w", err)
	}
	ends := start.Add(s.cfg.ThrottleWindow)
	now := s.now()
	if failures < max || !now.Before(ends) {
		return nil
	}
	return &reelmart.Error{
		Kind:       reelmart.KindRateLimited,
		Code:       "too_many_attempts",
		Message:    "too many failed sign-in attempts; try again later",
		RetryAfter: ends.Sub(now),
	}
}

// recordFailure counts one failed login against each key, starting a new
// window for a key whose window has ended.
func (s *Service) recordFailure(ctx context.Context, keys ...string) error {
	now := s.now()
	windowOpen := now.Add(-s.cfg.ThrottleWindow)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, key := range keys {
			_, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, window_start, failures) VALUES ($1, $2, 1)
				ON CONFLICT (key) DO UPDATE SET
					failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
					window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END`,
				key, now, windowOpen)
			if err != nil {
				return fmt.Errorf("account: record login failure: %w", err)
			}
		}
		return nil
	})
}
