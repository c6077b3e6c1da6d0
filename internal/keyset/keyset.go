// Package keyset encodes the cursor of a listing ordered newest first by
// (time, id): an opaque token holding the last item's time and id, from
// which the next page starts.
package keyset

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Encode returns the cursor after the item created at with id.
func Encode(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + id))
}

// Decode returns the time and id a cursor from Encode holds, or an error
// for anything Encode did not make.
func Decode(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
		return time.Time{}, "", errors.New("malformed cursor")
	}
	return time.UnixMicro(us).UTC(), id, nil
}
