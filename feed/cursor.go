package feed

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// Cursor kinds: a cursor of one kind is refused by the others.
type cursorKind byte

const (
	kindSession   cursorKind = 1 // GET /feed: a position in a session
	kindFollowing cursorKind = 2 // GET /feed/following: a keyset position
	kindSearch    cursorKind = 3 // GET /search: an offset
)

const (
	cursorVersion = 1
	macSize       = 16
	headerSize    = 1 + 1 + 4 // version, kind, key id
)

// errCursor is any cursor that does not verify; callers answer badCursor.
var errCursor = errors.New("feed: bad cursor")

// keyring holds the cursor keys from feed_keys, loaded once and again when a
// cursor names a key this node has not seen (a rotation).
type keyring struct {
	db      *db.DB
	now     func() time.Time
	mu      sync.Mutex
	keys    map[uint32][]byte
	current uint32
}

// load reads the keys, creating key 1 if there is none. Every node that
// races to create it inserts with ON CONFLICT DO NOTHING and then reads the
// one that won, so they all sign with the same key.
func (k *keyring) load(ctx context.Context) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("feed: cursor key: %w", err)
	}
	if _, err := k.db.ExecContext(ctx, `INSERT INTO feed_keys (id, secret, created_at) VALUES (1, $1, $2)
		ON CONFLICT (id) DO NOTHING`, hex.EncodeToString(secret), k.now()); err != nil {
		return fmt.Errorf("feed: create cursor key: %w", err)
	}
	rows, err := k.db.QueryContext(ctx, `SELECT id, secret FROM feed_keys`)
	if err != nil {
		return fmt.Errorf("feed: load cursor keys: %w", err)
	}
	defer rows.Close()
	keys := map[uint32][]byte{}
	var current uint32
	for rows.Next() {
		var id int64
		var hexed string
		if err := rows.Scan(&id, &hexed); err != nil {
			return fmt.Errorf("feed: load cursor keys: %w", err)
		}
		raw, err := hex.DecodeString(hexed)
		if err != nil || len(raw) < 16 || id <= 0 || id > 1<<31 {
			return fmt.Errorf("feed: cursor key %d is malformed", id)
		}
		keys[uint32(id)] = raw
		current = max(current, uint32(id))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("feed: load cursor keys: %w", err)
	}
	k.keys, k.current = keys, current
	return nil
}

// key returns the key with id (0: the current one), loading the table when
// it is not known yet.
func (k *keyring) key(ctx context.Context, id uint32) (uint32, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil || (id != 0 && k.keys[id] == nil) {
		if err := k.load(ctx); err != nil {
			return 0, nil, err
		}
	}
	if id == 0 {
		id = k.current
	}
	secret := k.keys[id]
	if secret == nil {
		return 0, nil, errCursor
	}
	return id, secret, nil
}

// seal signs payload as a cursor of kind, bound to viewerKey: the MAC
// covers the viewer, so another viewer's cursor fails to verify.
func (k *keyring) seal(ctx context.Context, kind cursorKind, viewerKey string, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("feed: encode cursor: %w", err)
	}
	id, secret, err := k.key(ctx, 0)
	if err != nil {
		return "", err
	}
	buf := make([]byte, headerSize, headerSize+len(body)+macSize)
	buf[0], buf[1] = cursorVersion, byte(kind)
	binary.BigEndian.PutUint32(buf[2:], id)
	buf = append(buf, body...)
	buf = append(buf, mac(secret, buf, viewerKey)...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// open verifies a cursor of kind for viewerKey and decodes its payload. Any
// cursor this service did not seal, for this kind and viewer, is errCursor;
// only a failure to read the keys is another error.
func (k *keyring) open(ctx context.Context, kind cursorKind, viewerKey, cursor string, payload any) error {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) < headerSize+macSize+2 || raw[0] != cursorVersion || cursorKind(raw[1]) != kind {
		return errCursor
	}
	id := binary.BigEndian.Uint32(raw[2:headerSize])
	if id == 0 {
		return errCursor
	}
	_, secret, err := k.key(ctx, id)
	if err != nil {
		return err
	}
	signed, sum := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(sum, mac(secret, signed, viewerKey)) {
		return errCursor
	}
	if err := json.Unmarshal(signed[headerSize:], payload); err != nil {
		return errCursor
	}
	return nil
}

func mac(secret, signed []byte, viewerKey string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(signed)
	h.Write([]byte{0})
	h.Write([]byte(viewerKey))
	return h.Sum(nil)[:macSize]
}
