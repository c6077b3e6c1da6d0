package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// tokenPrefix marks Reelmart session tokens, so a leaked one is easy to recognise in logs and scanners.
const tokenPrefix = "rms_"

// Session errors.
var (
	ErrInvalidToken   = &reelmart.Error{Kind: reelmart.KindUnauthenticated, Code: "invalid_token", Message: "the session token is not valid; sign in again"}
	ErrSessionExpired = &reelmart.Error{Kind: reelmart.KindUnauthenticated, Code: "session_expired", Message: "the session has expired; sign in again"}
)

// expiredGrace is how long an expired session row is kept so that its owner is
// told "expired" rather than "invalid".
const expiredGrace = 7 * 24 * time.Hour

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) createSession(ctx context.Context, q db.Querier, userID string, client Client) (Session, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Session{}, fmt.Errorf("account: session token: %w", err)
	}
	now := s.now()
	sess := Session{
		Token:     tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:]),
		UserID:    userID,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL),
		UserAgent: truncate(client.UserAgent, 256),
		IP:        truncate(client.IP, 64),
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, user_agent, ip)
		VALUES ($1, $2, $3, $4, $5, $6)`, hashToken(sess.Token), userID, sess.CreatedAt, sess.ExpiresAt, sess.UserAgent, sess.IP)
	if err != nil {
		return Session{}, fmt.Errorf("account: insert session: %w", err)
	}
	return sess, nil
}

// Login checks email and password and opens a session. It returns
// ErrBadLogin for a wrong email or password (without saying which), and a
// KindRateLimited error with RetryAfter when the client IP or the account
// has failed too often in the throttle window.
func (s *Service) Login(ctx context.Context, email, password string, client Client) (User, Session, error) {
	email = normEmail(strings.TrimSpace(email))
	if email == "" || password == "" || len(email) > MaxEmailLen || len(password) > MaxPasswordBytes {
		return User{}, Session{}, ErrBadLogin
	}
	ipKey, emailKey := "ip:"+client.IP, "email:"+email
	if err := s.checkThrottle(ctx, ipKey, s.cfg.MaxFailuresPerIP); err != nil {
		return User{}, Session{}, err
	}
	if err := s.checkThrottle(ctx, emailKey, s.cfg.MaxFailuresPerEmail); err != nil {
		return User{}, Session{}, err
	}
	var hash string
	u, err := s.scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns("")+`, password_hash FROM users WHERE email_norm = $1`, email), &hash)
	if err != nil && !errors.Is(err, db.ErrNoRows) {
		return User{}, Session{}, fmt.Errorf("account: load user for login: %w", err)
	}
	ok, err := s.cfg.Hasher.Verify(ctx, password, hash)
	if err != nil {
		return User{}, Session{}, fmt.Errorf("account: verify password: %w", err)
	}
	if !ok {
		if err := s.recordFailure(ctx, ipKey, emailKey); err != nil {
			return User{}, Session{}, err
		}
		return User{}, Session{}, ErrBadLogin
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, emailKey); err != nil {
		return User{}, Session{}, fmt.Errorf("account: reset login failures: %w", err)
	}
	sess, err := s.createSession(ctx, s.db, u.ID, client)
	if err != nil {
		return User{}, Session{}, err
	}
	return u, sess, nil
}

// Logout ends the session of token. Ending an unknown session is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token)); err != nil {
		return fmt.Errorf("account: delete session: %w", err)
	}
	return nil
}

// Authenticate returns the user whose session token is token. It returns
// ErrInvalidToken for an unknown or malformed token and ErrSessionExpired for
// one past its expiry.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return User{}, ErrInvalidToken
	}
	var expires time.Time
	u, err := s.scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns("u.")+`, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, hashToken(token)), &expires)
	if errors.Is(err, db.ErrNoRows) {
		return User{}, ErrInvalidToken
	}
	if err != nil {
		return User{}, fmt.Errorf("account: load session: %w", err)
	}
	if !s.now().Before(expires) {
		return User{}, ErrSessionExpired
	}
	return u, nil
}

func (s *Service) sessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT created_at, expires_at, user_agent, ip FROM sessions
		WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at`, userID, s.now())
	if err != nil {
		return nil, fmt.Errorf("account: list sessions: %w", err)
	}
	defer rows.Close()
	list := []Session{}
	for rows.Next() {
		var ss Session
		if err := rows.Scan(&ss.CreatedAt, &ss.ExpiresAt, &ss.UserAgent, &ss.IP); err != nil {
			return nil, fmt.Errorf("account: scan session: %w", err)
		}
		ss.CreatedAt, ss.ExpiresAt = ss.CreatedAt.UTC(), ss.ExpiresAt.UTC()
		list = append(list, ss)
	}
	return list, rows.Err()
}

// Sweep deletes sessions long past expiry and stale login-failure counters.
// It returns how many rows it removed. Run it periodically.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	var total int64
	now := s.now()
	for _, q := range []struct {
		sql    string
		cutoff time.Time
	}{
		{`DELETE FROM sessions WHERE expires_at < $1`, now.Add(-expiredGrace)},
		{`DELETE FROM login_failures WHERE window_start < $1`, now.Add(-s.cfg.ThrottleWindow)},
	} {
		res, err := s.db.ExecContext(ctx, q.sql, q.cutoff)
		if err != nil {
			return total, fmt.Errorf("account: sweep: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
