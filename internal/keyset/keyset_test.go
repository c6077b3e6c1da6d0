package keyset_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/reelmart/reelmart/internal/keyset"
)

func TestRoundTripAndRefusals(t *testing.T) {
	at := time.Date(2026, 11, 2, 12, 0, 0, 123456000, time.UTC)
	c := keyset.Encode(at, "01a2-id.with.dots")
	gotAt, gotID, err := keyset.Decode(c)
	if err != nil || !gotAt.Equal(at) || gotID != "01a2-id.with.dots" {
		t.Fatalf("Decode(Encode) = %v %q %v", gotAt, gotID, err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for _, bad := range []string{"", "!!", b64([]byte("123")), b64([]byte("x.id")), b64([]byte("123.")), b64([]byte("1.\xff")), b64([]byte("1.a\x00"))} {
		if _, _, err := keyset.Decode(bad); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}
