// Package blobtest is the contract every blob.Store engine passes. An
// engine's test builds a store and calls Run; nothing here knows engines.
package blobtest

import (
	"testing"

	"github.com/reelmart/reelmart/platform/blob"
)

// Run checks the blob.Store contract against stores made by newStore. Every
// subtest asks for its own store, which must be empty, and subtests run in
// parallel. newStore registers its own cleanup with t. For URL to be
// testable the store's URLs must be reachable from this process: a local
// engine's newStore serves its Handler on an httptest server.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"Ping", testPing},
		{"RoundTrip", testRoundTrip},
		{"ContentType", testContentType},
		{"Stat", testStat},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"Ranges", testRanges},
		{"RangesEmptyObject", testRangesEmpty},
		{"RangesLargeObject", testRangesLarge},
		{"List", testList},
		{"ListStopsEarly", testListStopsEarly},
		{"SizeMismatch", testSizeMismatch},
		{"ReaderError", testReaderError},
		{"ConcurrentPuts", testConcurrentPuts},
		{"Cancel", testCancel},
		{"URL", testURL},
		{"URLTTL", testURLTTL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func testPing(t *testing.T, s blob.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
