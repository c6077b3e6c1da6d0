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

// Idempotency keys: a key, once used, always leads to the same outcome,
// through any failure.
//
// A request sent with a key first claims it (ClaimKey). Its effect — the
// orders placed, the payment, the refund, the top-up — notes itself on the
// key's row in the same statement or transaction that does the work, and
// the answer is stored after it (SaveKey). So whatever fails, and whenever,
// the key's row says what happened:
//
//   - an answer is stored: a replay gets it byte for byte;
//   - an effect is noted but no answer (the reply was lost after the
//     commit, the process died, the handler panicked): a retry answers with
//     that effect, read back from the database — the same outcome, though
//     not byte for byte (an order paid since reads as paid);
//   - neither: nothing was done, and a retry runs the request.
//
// A claim holds a lease (Config.KeyLease). While it runs, another request
// with the key is told idempotency_key_in_progress with the seconds left; a
// request that ends without an answer to store (a 5xx, a panic) ends its
// lease at once (EndLease), so the client's retry need not wait. After the
// lease, a retry takes the claim over under a new token. An effect is
// written only while its attempt's token still holds the claim (the
// fence), so an attempt that was taken over — say a statement that reached
// PostgreSQL after its client had given up — can no longer commit
// anything, nor store an answer: one key, one effect at most, and the one
// answer stored for it.

// Errors of idempotency keys.
var (
	ErrKeyReused = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "idempotency_key_reused",
		Message: "this Idempotency-Key was used for a different request"}
	// ErrKeySuperseded is what an attempt learns when a retry with its key
	// took the claim over: the retry now answers for the key.
	ErrKeySuperseded = &reelmart.Error{Kind: reelmart.KindConflict, Code: "idempotency_key_in_progress", RetryAfter: time.Second,
		Message: "a later request with this Idempotency-Key took over; retry to get its answer"}
)

// keyInProgress is the answer to a request whose key another attempt holds
// for left more.
func keyInProgress(left time.Duration) *reelmart.Error {
	return &reelmart.Error{Kind: reelmart.KindConflict, Code: "idempotency_key_in_progress", RetryAfter: max(left, time.Second),
		Message: "a request with this Idempotency-Key is still being processed; retry after the time given in Retry-After"}
}

// MaxKeyLength is the longest Idempotency-Key accepted.
const MaxKeyLength = 255

// KeyTTL is how long a key is kept: after it, the key is free for a new
// request.
const KeyTTL = 24 * time.Hour

// Replay is a stored answer.
type Replay struct {
	Status int
	Body   []byte
}

// Claim is one attempt's right to act on an Idempotency-Key. The
// operations that honour keys (CreateOrders, Pay, Refund, TopUp) take it;
// nil means the request came without a key.
type Claim struct {
	user, key, token string
	// effect is what an earlier attempt under this key did. When set, the
	// operation answers with it instead of running.
	effect string
}

// ReadBack reports whether the request is answered from what an earlier
// attempt with its key did, rather than run.
func (c *Claim) ReadBack() bool { return c != nil && c.effect != "" }

// RequestHash returns the fingerprint of a request: method, path and body.
func RequestHash(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// ClaimKey claims key for userID's request with hash. It returns the claim
// the request runs under (which the caller must end with SaveKey or
// EndLease), or the stored answer when the key already answered the same
// request, or ErrKeyReused when it was used for another request, or
// idempotency_key_in_progress (RetryAfter set) while another attempt holds
// the key's lease.
func (s *Service) ClaimKey(ctx context.Context, userID, key, hash string) (*Claim, *Replay, error) {
	// Each turn ends in an answer unless the row changed under it (a
	// concurrent claim, takeover or expiry); three are plenty.
	for range 3 {
		now := s.now()
		c := &Claim{user: userID, key: key, token: reelmart.NewID()}
		res, err := s.db.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at, claim, claimed_until, effect)
			VALUES ($1, $2, $3, 0, '', $4, $5, $6, '') ON CONFLICT (user_id, key) DO NOTHING`,
			userID, key, hash, now, c.token, now.Add(s.cfg.KeyLease))
		if err != nil {
			return nil, nil, fmt.Errorf("checkout: claim idempotency key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, nil, fmt.Errorf("checkout: claim idempotency key: %w", err)
		} else if n == 1 {
			return c, nil, nil
		}
		var stored, body, holder string
		var status int
		var created time.Time
		var until sql.NullTime
		err = s.db.QueryRowContext(ctx, `SELECT request_hash, status, body, created_at, claim, claimed_until
			FROM idempotency_keys WHERE user_id = $1 AND key = $2`, userID, key).Scan(&stored, &status, &body, &created, &holder, &until)
		if errors.Is(err, db.ErrNoRows) {
			continue // expired and deleted by another claim: claim afresh
		}
		if err != nil {
			return nil, nil, fmt.Errorf("checkout: read idempotency key: %w", err)
		}
		switch {
		case created.Before(now.Add(-KeyTTL)):
			// The key's time is up: it makes way for a new request.
			if _, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND claim = $3 AND created_at = $4`,
				userID, key, holder, created); err != nil {
				return nil, nil, fmt.Errorf("checkout: expire idempotency key: %w", err)
			}
			continue
		case stored != hash:
			return nil, nil, ErrKeyReused
		case status != 0:
			return nil, &Replay{Status: status, Body: []byte(body)}, nil
		case until.Valid && until.Time.After(now):
			return nil, nil, keyInProgress(until.Time.Sub(now))
		}
		// The lease has lapsed: take the claim over. On PostgreSQL this
		// waits for a statement of the old attempt that is noting its
		// effect right now, and then returns that effect.
		err = s.db.QueryRowContext(ctx, `UPDATE idempotency_keys SET claim = $1, claimed_until = $2
			WHERE user_id = $3 AND key = $4 AND claim = $5 AND status = 0 RETURNING effect`,
			c.token, now.Add(s.cfg.KeyLease), userID, key, holder).Scan(&c.effect)
		if errors.Is(err, db.ErrNoRows) {
			continue // another retry took it over, or the answer was stored meanwhile
		}
		if err != nil {
			return nil, nil, fmt.Errorf("checkout: take over idempotency key: %w", err)
		}
		return c, nil, nil
	}
	return nil, nil, keyInProgress(time.Second)
}

// SaveKey stores the answer to c's request for replays. It returns
// ErrKeySuperseded when a retry has taken the claim over: the answer is
// then not stored (the retry's will be).
func (s *Service) SaveKey(ctx context.Context, c *Claim, status int, body []byte) error {
	res, err := s.db.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, body = $2
		WHERE user_id = $3 AND key = $4 AND claim = $5 AND status = 0`, status, string(body), c.user, c.key, c.token)
	if err != nil {
		return fmt.Errorf("checkout: save idempotent answer: %w", err)
	}
	return fenced(res)
}

// EndLease ends c's lease without storing an answer: the request failed on
// our side (5xx) or panicked, perhaps after its effect committed, and a
// retry with the key may take over at once. It never frees the key for a
// blind re-run: the retry reads back what this attempt did.
func (s *Service) EndLease(ctx context.Context, c *Claim) error {
	_, err := s.db.ExecContext(ctx, `UPDATE idempotency_keys SET claimed_until = $1
		WHERE user_id = $2 AND key = $3 AND claim = $4 AND status = 0`, s.now(), c.user, c.key, c.token)
	if err != nil {
		return fmt.Errorf("checkout: end idempotency lease: %w", err)
	}
	return nil
}

// note records effect on c's key inside tx, the transaction that does the
// work, or returns ErrKeySuperseded when c no longer holds the claim (the
// caller must then roll back). A nil c (no key) notes nothing.
func (c *Claim) note(ctx context.Context, tx *sql.Tx, effect string) error {
	if c == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET effect = $1
		WHERE user_id = $2 AND key = $3 AND claim = $4 AND effect = ''`, effect, c.user, c.key, c.token)
	if err != nil {
		return fmt.Errorf("checkout: note effect on idempotency key: %w", err)
	}
	return fenced(res)
}

// noteCTE is note as a CTE named k of a PostgreSQL statement: it notes
// effect if the relation placed has rows, and returns one row if it did.
// The statement must fail when placed has rows and k has none (the fence).
func (c *Claim) noteCTE(p *db.Params, effect, placed string) string {
	return `k AS (UPDATE idempotency_keys SET effect = ` + p.Add(effect) + ` WHERE user_id = ` + p.Add(c.user) +
		` AND key = ` + p.Add(c.key) + ` AND claim = ` + p.Add(c.token) + ` AND effect = '' AND EXISTS (SELECT 1 FROM ` + placed + `) RETURNING 1)`
}

// abortSuperseded is the reason a statement stopped by the fence gives.
const abortSuperseded = "idempotency key superseded"

// fenced is ErrKeySuperseded for a write guarded by a claim that changed
// no row.
func fenced(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("checkout: idempotency key: %w", err)
	}
	if n == 0 {
		return ErrKeySuperseded
	}
	return nil
}
