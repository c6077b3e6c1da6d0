package catalog

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Paging limits of every list.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// checkLimit returns limit, or DefaultLimit for 0, adding a problem when it
// is out of range.
func checkLimit(p *problems, limit int) int {
	switch {
	case limit == 0:
		return DefaultLimit
	case limit < 0 || limit > MaxLimit:
		p.add("limit", "must be from 1 to %d", MaxLimit)
		return DefaultLimit
	}
	return limit
}

// Cursors are opaque to clients: "k" plus the base64url of the last id seen
// for keyset pages, "o" plus a decimal offset for search pages.
func encodeCursor(lastID string) string {
	return "k" + base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

// decodeCursor returns the last id a keyset cursor names ("" for no
// cursor), or a message saying why the cursor is not one of ours.
func decodeCursor(c string) (string, string) {
	if c == "" {
		return "", ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(c, "k"))
	if !strings.HasPrefix(c, "k") || err != nil || len(raw) == 0 || len(raw) > 64 {
		return "", "is not a cursor from this list"
	}
	return string(raw), ""
}

func encodeOffset(n int) string { return "o" + strconv.Itoa(n) }

func decodeOffset(c string) (int, string) {
	if c == "" {
		return 0, ""
	}
	n, err := strconv.Atoi(strings.TrimPrefix(c, "o"))
	if !strings.HasPrefix(c, "o") || err != nil || n < 0 {
		return 0, "is not a cursor from this list"
	}
	return n, ""
}
