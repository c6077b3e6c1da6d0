package engagement

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
)

// signedOutPrefix starts the id of every signed-out viewer, so it can never
// be taken for a user id.
const signedOutPrefix = "anon_"

// NewViewerID returns a new random id for a signed-out viewer.
func NewViewerID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return signedOutPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// IsSignedOut reports whether viewerID names a signed-out viewer rather than a user.
func IsSignedOut(viewerID string) bool { return strings.HasPrefix(viewerID, signedOutPrefix) }

// AddressViewerID returns the signed-out viewer id of a client that comes
// without one: a keyed hash of its address and user agent, in the shape
// NewViewerID gives. A client that drops its cookie before every batch of
// events is thus the same viewer each time, and counts a view once per
// window like any other, instead of once per batch as a new viewer.
func (s *Service) AddressViewerID(ctx context.Context, addr, userAgent string) (string, error) {
	_, key, err := s.signingKey(ctx)
	if err != nil {
		return "", err
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte("reelmart address viewer\x00" + addr + "\x00" + userAgent))
	return signedOutPrefix + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16]), nil
}

// validSignedOut reports whether id has the shape NewViewerID gives.
func validSignedOut(id string) bool {
	raw, ok := strings.CutPrefix(id, signedOutPrefix)
	if !ok || len(raw) != 22 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(raw)
	return err == nil
}

// keyring caches the cookie keys of the database. Keys are only ever
// added, so a cached key stays good; an unknown key id reloads.
type keyring struct {
	mu     sync.Mutex
	keys   map[string][]byte
	newest string
}

// SignViewer returns the cookie value that carries viewerID: the id, the
// signing key's id and an HMAC-SHA256 of the id, dot-separated.
func (s *Service) SignViewer(ctx context.Context, viewerID string) (string, error) {
	kid, key, err := s.signingKey(ctx)
	if err != nil {
		return "", err
	}
	return viewerID + "." + kid + "." + mac(key, viewerID), nil
}

// VerifyViewer returns the viewer id a cookie value from SignViewer carries,
// and false for a value that is malformed, forged or signed with a key the
// database does not have.
func (s *Service) VerifyViewer(ctx context.Context, value string) (string, bool, error) {
	id, rest, ok := strings.Cut(value, ".")
	kid, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || !validSignedOut(id) || len(kid) > 32 {
		return "", false, nil
	}
	key, err := s.verifyingKey(ctx, kid)
	if err != nil || key == nil {
		return "", false, err
	}
	if !hmac.Equal([]byte(sig), []byte(mac(key, id))) {
		return "", false, nil
	}
	return id, true, nil
}

func mac(key []byte, viewerID string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("reelmart viewer " + viewerID))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

func (s *Service) signingKey(ctx context.Context) (string, []byte, error) {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if s.keys.newest == "" {
		if err := s.loadKeys(ctx, true); err != nil {
			return "", nil, err
		}
	}
	return s.keys.newest, s.keys.keys[s.keys.newest], nil
}

func (s *Service) verifyingKey(ctx context.Context, kid string) ([]byte, error) {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if k, ok := s.keys.keys[kid]; ok {
		return k, nil
	}
	if err := s.loadKeys(ctx, false); err != nil {
		return nil, err
	}
	return s.keys.keys[kid], nil
}

// loadKeys reads every key, creating the first one when there is none and
// create is set. Two nodes creating at once both succeed; both keys verify.
func (s *Service) loadKeys(ctx context.Context, create bool) error {
	for range 2 {
		rows, err := s.db.QueryContext(ctx, `SELECT id, secret FROM viewer_keys ORDER BY created_at, id`)
		if err != nil {
			return fmt.Errorf("engagement: load viewer keys: %w", err)
		}
		keys := map[string][]byte{}
		newest := ""
		for rows.Next() {
			var id, secret string
			if err := rows.Scan(&id, &secret); err != nil {
				rows.Close()
				return fmt.Errorf("engagement: scan viewer key: %w", err)
			}
			if raw, err := hex.DecodeString(secret); err == nil && len(raw) >= 32 {
				keys[id], newest = raw, id
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("engagement: load viewer keys: %w", err)
		}
		if newest != "" || !create {
			s.keys.keys, s.keys.newest = keys, newest
			return nil
		}
		var id [6]byte
		var secret [32]byte
		_, _ = rand.Read(id[:])
		_, _ = rand.Read(secret[:])
		if _, err := s.db.ExecContext(ctx, `INSERT INTO viewer_keys (id, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			hex.EncodeToString(id[:]), hex.EncodeToString(secret[:]), s.now()); err != nil {
			return fmt.Errorf("engagement: create viewer key: %w", err)
		}
	}
	return fmt.Errorf("engagement: no viewer key after creating one")
}
