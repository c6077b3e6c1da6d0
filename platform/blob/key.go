package blob

import (
	"fmt"
	"strings"
)

// MaxSegment is the longest segment a key may have. File systems cap a file
// name at 255 bytes; the rest is room for an engine's own suffixes.
const MaxSegment = 200

// ValidateKey returns an error wrapping ErrInvalidKey if key breaks the key rules.
func ValidateKey(key string) error {
	if key == "" || len(key) > 1024 {
		return fmt.Errorf("%w: length %d", ErrInvalidKey, len(key))
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == '/'
		if !ok {
			return fmt.Errorf("%w: %q has byte %q", ErrInvalidKey, key, c)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, . or .. segment", ErrInvalidKey, key)
		}
		if len(seg) > MaxSegment {
			return fmt.Errorf("%w: %q has a segment longer than %d bytes", ErrInvalidKey, key, MaxSegment)
		}
	}
	return nil
}

// ValidatePrefix is ValidateKey for List prefixes, which may be empty or end in "/".
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return ValidateKey(strings.TrimSuffix(prefix, "/"))
}
