// Package search is the full-text and filtered lookup that the feed and the
// catalog query. The database stays the source of truth; an index can always
// be rebuilt from it. Two engines implement Index: an embedded Bleve index
// (search/bleve) and Elasticsearch 8 (search/elastic).
package search

import (
	"context"
	"errors"
)

// ErrNotFound is returned (wrapped) when an index name was never created with Ensure.
var ErrNotFound = errors.New("search: index not found")

// ErrInvalid is returned (wrapped) for a query or document that breaks the schema:
// an unknown field, a value of the wrong kind, a sort on a text field.
var ErrInvalid = errors.New("search: invalid request")

// FieldType is how a field is indexed.
type FieldType int

const (
	// Text is analysed full-text, matched by Query.Text; not sortable or filterable.
	Text FieldType = iota + 1
	// Keyword is an exact string (ids, tags, status); filterable and sortable.
	Keyword
	// Number is a float64; filterable by range and sortable.
	Number
	// Bool is true or false; filterable.
	Bool
	// Time is a time.Time; filterable by range and sortable.
	Time
)

// Field declares one field of a Schema. Name is 1–64 characters of a–z, 0–9
// and '_', starting with a letter. Boost weights a Text field in relevance
// (0 means 1).
type Field struct {
	Name  string
	Type  FieldType
	Boost float64
}

// Schema is the declared shape of an index's documents.
type Schema struct {
	Fields []Field
}

// Document is one indexed record. ID is 1–512 bytes of UTF-8. Fields maps
// schema field names to values: string for Text and Keyword ([]string for
// several keywords; each at most 32766 bytes), any Go integer or finite float
// for Number, bool for Bool, time.Time for Time (kept to the millisecond,
// years 1678–2261). A nil value is the same as an absent field.
type Document struct {
	ID     string
	Fields map[string]any
}

// Filter restricts results. Exactly one of its forms is set:
// Values (field equals any of them; for Keyword and Bool fields, of type
// string and bool), or Min/Max (inclusive range; for Number and Time fields,
// numbers and time.Time; nil means unbounded). Filters do not change scores.
type Filter struct {
	Field  string
	Values []any
	Min    any
	Max    any
}

// Sort orders results by a Keyword, Number or Time field. With no Sort,
// results come by relevance to Query.Text. Ties are always broken by ID,
// ascending, so that paging is stable. Documents without the field come last
// in either direction; a field with several keywords sorts by its smallest
// ascending and its largest descending. Keywords compare as bytes.
type Sort struct {
	Field string
	Desc  bool
}

// Query asks an index for matching documents. An empty (or blank) Text
// matches every document that passes the filters; otherwise a document
// matches if any Text field shares a term with Text after English analysis
// (lower case, stop words dropped, Porter stemming). Size defaults to 20 and
// is capped at 1000; From skips that many results (paging); From+Size may not
// exceed 10,000.
type Query struct {
	Text    string
	Filters []Filter
	Sort    []Sort
	From    int
	Size    int
}

// Hit is one result. Fields holds the stored fields as they were upserted
// (Number values come back as float64, Time as time.Time in UTC). Score is
// comparable only within one result and differs between engines.
type Hit struct {
	ID     string
	Score  float64
	Fields map[string]any
}

// Result is a page of hits and the total number of matches.
type Result struct {
	Total int
	Hits  []Hit
}

// Index is a search engine holding named indexes. Implementations are safe
// for concurrent use. An index name is 1–100 characters of a–z, 0–9, '_' and
// '-', starting with a letter or digit; any other name gives ErrInvalid.
// Every method that takes a name returns ErrNotFound (wrapped) for an index
// that does not exist, except Ensure and Drop.
type Index interface {
	// Ensure creates the named index with schema if it does not exist. It is
	// idempotent; it does not migrate an existing index to a new schema: the
	// schema the index was created with stays in force (Drop and rebuild to
	// change it). A bad schema gives ErrInvalid.
	Ensure(ctx context.Context, name string, schema Schema) error

	// Upsert adds or replaces documents by ID; a replaced document is not
	// merged with the old one. All documents are checked first: one that
	// breaks the schema gives ErrInvalid and nothing is written.
	Upsert(ctx context.Context, name string, docs ...Document) error

	// Delete removes documents by ID; missing IDs are ignored.
	Delete(ctx context.Context, name string, ids ...string) error

	// Search runs q against the named index. A filter or sort the schema does
	// not allow, or bad paging, gives ErrInvalid.
	Search(ctx context.Context, name string, q Query) (Result, error)

	// Refresh makes every write before it visible to Search. Engines that are
	// already read-your-writes return nil at once.
	Refresh(ctx context.Context, name string) error

	// Drop deletes the named index and its documents; a missing index is not an error.
	Drop(ctx context.Context, name string) error

	// Ping checks that the engine is reachable.
	Ping(ctx context.Context) error

	// Close releases resources; the Index is not used after it.
	Close() error
}
