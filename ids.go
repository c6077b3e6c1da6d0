package reelmart

import "github.com/google/uuid"

// NewID returns a new random, time-ordered identifier (a UUIDv7 string), so
// that ids sort by creation time and index well.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}
