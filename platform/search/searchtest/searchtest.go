// Package searchtest is the contract every search.Index engine must pass.
// An engine's test builds an instance and calls Run; the suite is the
// definition of how an engine behaves, so both engines answer alike.
package searchtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/reelmart/reelmart/platform/search"
)

// Run runs the contract suite. newIndex returns a fresh engine for one
// subtest; Run closes it when the subtest ends and drops every index it made.
// Subtests run in parallel, each on its own uniquely named indexes.
func Run(t *testing.T, newIndex func(t *testing.T) search.Index) {
	tests := []struct {
		name string
		fn   func(*env)
	}{
		{"Ping", testPing},
		{"EnsureIsIdempotent", testEnsure},
		{"EnsureRejectsBadNamesAndSchemas", testEnsureInvalid},
		{"Relevance", testRelevance},
		{"EnglishAnalysis", testAnalysis},
		{"NoTextFields", testNoTextFields},
		{"ReplaceByID", testReplace},
		{"Delete", testDelete},
		{"FieldsRoundTrip", testRoundTrip},
		{"KeywordFilter", testKeywordFilter},
		{"BoolFilter", testBoolFilter},
		{"NumberRange", testNumberRange},
		{"TimeRange", testTimeRange},
		{"EmptyTextMatchesAll", testEmptyText},
		{"TextWithFilter", testTextWithFilter},
		{"Sort", testSort},
		{"SortOverridesRelevance", testSortOverridesRelevance},
		{"Paging", testPaging},
		{"PagingByRelevance", testPagingByRelevance},
		{"InvalidQueries", testInvalidQueries},
		{"InvalidDocuments", testInvalidDocuments},
		{"NotFound", testNotFound},
		{"Drop", testDrop},
		{"ConcurrentUpserts", testConcurrent},
		{"BulkUpsert", testBulk},
		{"Cancelled", testCancelled},
		{"Exclusion", testExclusion},
		{"ExcludeThousandsOfIDs", testExcludeThousands},
		{"BoostByValues", testBoostValues},
		{"BoostByFieldValue", testBoostFieldValue},
		{"BoostByDecay", testBoostDecay},
		{"InvalidBoosts", testInvalidBoosts},
		{"Fields", testFields},
		{"Versions", testVersions},
		{"VersionsConcurrent", testVersionsConcurrent},
		{"MultiSearch", testMultiSearch},
		{"RebuildUnderLoad", testRebuildUnderLoad},
		{"RebuildAbort", testRebuildAbort},
		{"RebuildReplaced", testRebuildReplaced},
		{"RebuildMissingIndex", testRebuildMissing},
		{"RebuildDropped", testRebuildDropped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx := newIndex(t)
			t.Cleanup(func() {
				if err := idx.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(&env{T: t, ctx: t.Context(), idx: idx})
		})
	}
}

// env is one subtest's engine and helpers that fail the test on error.
type env struct {
	*testing.T
	ctx context.Context
	idx search.Index
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// newName returns an index name unique to this test and run.
func (e *env) newName() string {
	e.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		e.Fatal(err)
	}
	n := unsafeName.ReplaceAllString(strings.ToLower(e.Name()), "-")
	if len(n) > 60 {
		n = n[len(n)-60:]
	}
	return "st-" + hex.EncodeToString(b) + "-" + strings.Trim(n, "-")
}

// ensure creates a new uniquely named index with s and drops it at cleanup.
func (e *env) ensure(s search.Schema) string {
	e.Helper()
	name := e.newName()
	if err := e.idx.Ensure(e.ctx, name, s); err != nil {
		e.Fatalf("Ensure(%s): %v", name, err)
	}
	e.Cleanup(func() {
		if err := e.idx.Drop(context.Background(), name); err != nil {
			e.Errorf("Drop(%s): %v", name, err)
		}
	})
	return name
}

// put upserts docs and refreshes.
func (e *env) put(name string, docs ...search.Document) {
	e.Helper()
	if err := e.idx.Upsert(e.ctx, name, docs...); err != nil {
		e.Fatalf("Upsert(%s, %d docs): %v", name, len(docs), err)
	}
	e.refresh(name)
}

func (e *env) refresh(name string) {
	e.Helper()
	if err := e.idx.Refresh(e.ctx, name); err != nil {
		e.Fatalf("Refresh(%s): %v", name, err)
	}
}

func (e *env) search(name string, q search.Query) search.Result {
	e.Helper()
	res, err := e.idx.Search(e.ctx, name, q)
	if err != nil {
		e.Fatalf("Search(%s, %+v): %v", name, q, err)
	}
	return res
}

// expect runs q and checks the hit ids in order and that Total equals their count.
func (e *env) expect(name string, q search.Query, want ...string) search.Result {
	e.Helper()
	res := e.search(name, q)
	if got := ids(res); !slices.Equal(got, want) {
		e.Errorf("Search(%+v) ids = %q, want %q", q, got, want)
	}
	if res.Total != len(want) {
		e.Errorf("Search(%+v) Total = %d, want %d", q, res.Total, len(want))
	}
	return res
}

// wantFail checks that a call failed, for errors that have no sentinel.
func (e *env) wantFail(err error, what string) {
	e.Helper()
	if err == nil {
		e.Errorf("%s: err = nil, want an error", what)
	}
}

func (e *env) wantErr(err, target error, what string) {
	e.Helper()
	if !errors.Is(err, target) {
		e.Errorf("%s: err = %v, want errors.Is %v", what, err, target)
	}
}

func ids(res search.Result) []string {
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out
}

func doc(id string, fields map[string]any) search.Document {
	return search.Document{ID: id, Fields: fields}
}
