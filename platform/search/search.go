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
//
// Version, when above 0, is an external version: a per-row counter the
// caller bumps in the transaction that changes the row (never a clock). A
// versioned write takes effect only if Version is greater than the version
// the index holds for ID, tombstones included; an equal or lower one is
// dropped without error, so writes may arrive in any order and be repeated.
// Version 0 writes unconditionally; do not mix the two on one document, as
// the version an unversioned write leaves behind differs between engines.
//
// Deleted makes the document a tombstone (Version must be above 0, Fields
// are ignored): the document leaves every result, and the version stays
// recorded, so that an older upsert arriving late can never bring it back,
// however much later it arrives. A newer upsert revives it.
type Document struct {
	ID      string
	Fields  map[string]any
	Version int64
	Deleted bool
}

// DocID names the document ID in a Filter: its Values are IDs (strings).
// It can be excluded with Not like any keyword, e.g. the few thousand
// videos a viewer has already been shown.
const DocID = "_id"

// Filter restricts results. Exactly one of its forms is set:
// Values (field equals any of them; for Keyword and Bool fields, of type
// string and bool, and for DocID), or Min/Max (inclusive range; for Number
// and Time fields, numbers and time.Time; nil means unbounded). With Not,
// the filter excludes the documents it would match instead; a document
// without the field is not excluded. Filters do not change scores.
type Filter struct {
	Field  string
	Values []any
	Min    any
	Max    any
	Not    bool
}

// Boost adds to the score of the documents that earn it; it never changes
// which documents match. Weight is above 0. The form depends on the field's
// type and on what is set:
//
//   - Keyword or Bool field, Values set: Weight if the field equals any of
//     Values (on a multi-valued keyword, if any of its values does).
//   - Number or Time field, Decay set: Weight × the decay of the distance
//     between the field's value and Decay.Origin, 1 at the origin falling
//     towards 0 (freshness, nearness to a price).
//   - Number field, neither set: Weight × the value, or Weight × ln(1+value)
//     with Log (Elasticsearch's field_value_factor); a negative value earns
//     nothing.
//
// A document without the field earns nothing from the boost.
type Boost struct {
	Field  string
	Weight float64
	Values []any
	Decay  *Decay
	Log    bool
}

// DecayShape is the curve of a Decay, as Elasticsearch's decay functions.
type DecayShape int

const (
	// Gauss falls slowly near the origin, then fast, then slowly again.
	Gauss DecayShape = iota
	// Exp falls fastest near the origin.
	Exp
	// Linear falls in a straight line, reaching 0 at Offset + Scale/(1-Decay).
	Linear
)

// Decay shapes a Boost by the distance d = max(0, |value − Origin| − Offset):
// the boost is Weight at d = 0 and Weight × Decay at d = Scale. For a
// Number field, Origin, Scale and Offset are numbers; for a Time field,
// Origin is a time.Time and Scale and Offset are time.Durations. Scale is
// above 0, Offset at least 0 (nil means 0), and Decay in (0, 1), 0 meaning
// 0.5.
type Decay struct {
	Shape  DecayShape
	Origin any
	Scale  any
	Offset any
	Decay  float64
}

// Sort orders results by a Keyword, Number or Time field. With no Sort,
// results come by score, descending. Ties are always broken by ID,
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
// (lower case, stop words dropped, Porter stemming). A hit's score is its
// relevance to Text (exactly 1 for a blank Text) plus the Boosts it earns.
// Fields lists the fields each hit returns (nil: all; empty: none, only IDs
// and scores). Size defaults to 20 and is capped at 1000; From skips that
// many results (paging); From+Size may not exceed 10,000.
type Query struct {
	Text    string
	Filters []Filter
	Boosts  []Boost
	Sort    []Sort
	Fields  []string
	From    int
	Size    int
}

// Hit is one result. Fields holds the stored fields as they were upserted
// (Number values come back as float64, Time as time.Time in UTC), limited
// to Query.Fields. Score is comparable only within one result; the part a
// relevance to Text contributes differs between engines, the boosts do not.
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

// Request is one search of a MultiSearch.
type Request struct {
	Index string
	Query Query
}

// Response is the answer to one Request of a MultiSearch: its Result, or
// Err (wrapping ErrNotFound or ErrInvalid as Search would) for that request
// alone.
type Response struct {
	Result Result
	Err    error
}

// Index is a search engine holding named indexes. Implementations are safe
// for concurrent use. An index name is 1–100 characters of a–z, 0–9, '_' and
// '-', starting with a letter or digit; any other name gives ErrInvalid.
// Every method that takes a name returns ErrNotFound (wrapped) for an index
// that does not exist, except Ensure, Drop and Rebuild.
type Index interface {
	// Ensure creates the named index with schema if it does not exist. It is
	// idempotent; it does not migrate an existing index to a new schema: the
	// schema the index was created with stays in force (Rebuild, or Drop and
	// Ensure, to change it). A bad schema gives ErrInvalid.
	Ensure(ctx context.Context, name string, schema Schema) error

	// Upsert adds or replaces documents by ID, honouring their versions and
	// tombstones (see Document); a replaced document is not merged with the
	// old one. All documents are checked first: one that breaks the schema
	// gives ErrInvalid and nothing is written. While a Rebuild of name is
	// open, the documents are written to the new generation too.
	Upsert(ctx context.Context, name string, docs ...Document) error

	// Delete removes documents by ID, whatever their version, and forgets
	// it; missing IDs are ignored. Use a tombstone (Document.Deleted) where
	// writes may arrive out of order.
	Delete(ctx context.Context, name string, ids ...string) error

	// Search runs q against the named index. A filter, boost, sort or field
	// the schema does not allow, or bad paging, gives ErrInvalid.
	Search(ctx context.Context, name string, q Query) (Result, error)

	// MultiSearch runs several searches, in one round trip where the engine
	// allows it, and returns one Response per request, in order. A request
	// that fails alone (a missing index, an invalid query) fails only its
	// Response; the error return is for the call as a whole (the engine
	// unreachable, ctx done).
	MultiSearch(ctx context.Context, reqs []Request) ([]Response, error)

	// Refresh makes every write before it visible to Search. Engines that are
	// already read-your-writes return nil at once.
	Refresh(ctx context.Context, name string) error

	// Rebuild starts a new, empty generation of the named index with schema,
	// to be filled through the Builder and swapped in by its Commit without
	// downtime: searches keep reading the live generation until Commit, and
	// never fail across the swap. From the moment Rebuild returns until
	// Commit or Abort, every Upsert and Delete of name, by any process,
	// writes to both generations, so no write made during the fill is lost
	// (versions make the double writes harmless). The named index need not
	// exist. A second Rebuild of the same name replaces an open one, whose
	// Commit then fails. A bad schema gives ErrInvalid.
	Rebuild(ctx context.Context, name string, schema Schema) (Builder, error)

	// Drop deletes the named index and its documents, and any open Rebuild
	// of it; a missing index is not an error.
	Drop(ctx context.Context, name string) error

	// Ping checks that the engine is reachable.
	Ping(ctx context.Context) error

	// Close releases resources; the Index is not used after it.
	Close() error
}

// Builder fills the new generation of an index that Index.Rebuild started.
type Builder interface {
	// Upsert writes documents into the new generation only, with the same
	// rules as Index.Upsert: copy each row with its current version, so that
	// a concurrent write of a newer one wins whatever the order.
	Upsert(ctx context.Context, docs ...Document) error

	// Commit makes every write visible, then atomically makes the new
	// generation the named index and drops the old one. It fails, leaving
	// the live index as it was, if the rebuild was replaced or dropped.
	Commit(ctx context.Context) error

	// Abort drops the new generation and stops the double writes; the live
	// index is untouched. It is safe to call after Commit (it does nothing).
	Abort(ctx context.Context) error
}
