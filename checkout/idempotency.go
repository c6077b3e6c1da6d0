package checkout

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// Idempotency keys: the first request with a key claims it; its answer is
// stored; a replay gets the stored answer byte for byte. The claim is
// committed before the request runs, so two concurrent requests with one
// key never both run: the second is told the first is in progress.

// Errors of idempotency keys.
var (
	ErrKeyReused = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "idempotency_key_reused",
		Message: "this Idempotency-Key was used for a different request"}
	ErrKeyInProgress = &reelmart.Error{Kind: reelmart.KindConflict, Code: "idempotency_key_in_progress",
		Message: "a request with this Idempotency-Key is still being processed; retry shortly"}
)

// MaxKeyLength is the longest Idempotency-Key accepted.
const MaxKeyLength = 255

// KeyTTL is how long an answer is kept for replays.
const KeyTTL = 24 * time.Hour

// Replay is a stored answer.
type Replay struct {
	Status int
	Body   []byte
}

// RequestHash returns the fingerprint of a request: method, path and body.
func RequestHash(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// ClaimKey claims key for userID's request with hash. It returns the stored
// answer when the key already answered the same request, ErrKeyReused when
// it was used for another request, ErrKeyInProgress when the first request
// is still running, or (nil, nil) when the caller now holds the claim and
// must call SaveKey or ReleaseKey.
func (s *Service) ClaimKey(ctx context.Context, userID, key, hash string) (*Replay, error) {
	now := s.now()
	var r *Replay
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r = nil
		// An expired answer makes way for a new claim.
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at < $3`,
			userID, key, now.Add(-KeyTTL)); err != nil {
			return fmt.Errorf("checkout: expire idempotency key: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at)
			VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (user_id, key) DO NOTHING`, userID, key, hash, now)
		if err != nil {
			return fmt.Errorf("checkout: claim idempotency key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("checkout: claim idempotency key: %w", err)
		} else if n == 1 {
			return nil
		}
		var stored string
		var status int
		var body string
		err = tx.QueryRowContext(ctx, `SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
			userID, key).Scan(&stored, &status, &body)
		if errors.Is(err, db.ErrNoRows) {
			return ErrKeyInProgress // deleted between the two statements: the first request failed; retry
		}
		if err != nil {
			return fmt.Errorf("checkout: read idempotency key: %w", err)
		}
		switch {
		case stored != hash:
			return ErrKeyReused
		case status == 0:
			return ErrKeyInProgress
		}
		r = &Replay{Status: status, Body: []byte(body)}
		return nil
	})
	return r, err
}

// SaveKey stores the answer to the request that claimed key.
func (s *Service) SaveKey(ctx context.Context, userID, key string, status int, body []byte) error {
	_, err := s.db.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, body = $2 WHERE user_id = $3 AND key = $4`,
		status, string(body), userID, key)
	if err != nil {
		return fmt.Errorf("checkout: save idempotent answer: %w", err)
	}
	return nil
}

// ReleaseKey gives up the claim on key (the request failed on our side and
// may be retried with the same key).
func (s *Service) ReleaseKey(ctx context.Context, userID, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status = 0`, userID, key)
	if err != nil {
		return fmt.Errorf("checkout: release idempotency key: %w", err)
	}
	return nil
}
