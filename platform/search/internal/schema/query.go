package schema

import (
	"fmt"
	"strings"
	"time"

	"github.com/reelmart/reelmart/platform/search"
)

// Limits shared by both engines. MaxWindow is Elasticsearch's default
// index.max_result_window and MaxValues its index.max_terms_count; MaxBoosts
// keeps a query well under its limit on boolean clauses.
const (
	DefaultSize = 20
	MaxSize     = 1000
	MaxWindow   = 10000
	MaxValues   = 65536
	MaxBoosts   = 100
)

// Query is a checked search.Query with defaults applied and values normalised.
type Query struct {
	// Text is the trimmed query text; empty means match every document.
	Text       string
	TextFields []search.Field
	Filters    []Filter
	Boosts     []Boost
	Sort       []Sort
	// Fields are the fields hits return; AllFields says there was no list.
	Fields     []string
	AllFields  bool
	From, Size int
}

// Scored reports whether the engine must compute scores itself: a blank
// Text scores exactly 1, and boosts add to it.
func (q Query) Scored() bool { return q.Text == "" || len(q.Boosts) > 0 }

// Filter is one checked filter. Exactly one group is set, by field type:
// IDs (search.DocID, whose Field is a Keyword named search.DocID), Keywords,
// Bools, Min/Max (Number) or After/Before (Time, inclusive, already rounded
// inward to the millisecond the engines store). Not excludes its matches.
type Filter struct {
	Field         search.Field
	Not           bool
	IDs           []string
	Keywords      []string
	Bools         []bool
	Min, Max      *float64
	After, Before *time.Time
}

// Sort is one checked sort key.
type Sort struct {
	Field search.Field
	Desc  bool
}

// Query checks q against the schema and returns it normalised, or an error
// wrapping search.ErrInvalid for an unknown field, a filter or sort the
// field's type does not allow, a value of the wrong kind, or bad paging.
func (s *Schema) Query(q search.Query) (Query, error) {
	out := Query{Text: strings.TrimSpace(q.Text), TextFields: s.TextFields(), From: q.From, Size: q.Size, AllFields: q.Fields == nil}
	if q.From < 0 || q.Size < 0 {
		return Query{}, fmt.Errorf("negative from or size: %w", search.ErrInvalid)
	}
	if out.Size == 0 {
		out.Size = DefaultSize
	}
	out.Size = min(out.Size, MaxSize)
	if out.From+out.Size > MaxWindow {
		return Query{}, fmt.Errorf("from+size %d exceeds %d: %w", out.From+out.Size, MaxWindow, search.ErrInvalid)
	}
	for _, f := range q.Filters {
		cf, err := s.filter(f)
		if err != nil {
			return Query{}, err
		}
		out.Filters = append(out.Filters, cf)
	}
	for _, so := range q.Sort {
		f, ok := s.byName[so.Field]
		if !ok {
			return Query{}, fmt.Errorf("sort on unknown field %q: %w", so.Field, search.ErrInvalid)
		}
		if f.Type != search.Keyword && f.Type != search.Number && f.Type != search.Time {
			return Query{}, fmt.Errorf("sort on %s field %q: %w", typeNames[f.Type], f.Name, search.ErrInvalid)
		}
		out.Sort = append(out.Sort, Sort{Field: f, Desc: so.Desc})
	}
	if len(q.Boosts) > MaxBoosts {
		return Query{}, fmt.Errorf("%d boosts, at most %d: %w", len(q.Boosts), MaxBoosts, search.ErrInvalid)
	}
	for _, b := range q.Boosts {
		cb, err := s.boost(b)
		if err != nil {
			return Query{}, err
		}
		out.Boosts = append(out.Boosts, cb)
	}
	for _, name := range q.Fields {
		if _, ok := s.byName[name]; !ok {
			return Query{}, fmt.Errorf("unknown field %q in Fields: %w", name, search.ErrInvalid)
		}
		out.Fields = append(out.Fields, name)
	}
	return out, nil
}

func (s *Schema) filter(f search.Filter) (Filter, error) {
	fd, ok := s.byName[f.Field]
	if f.Field == search.DocID {
		fd, ok = search.Field{Name: search.DocID, Type: search.Keyword}, true
	}
	if !ok {
		return Filter{}, fmt.Errorf("filter on unknown field %q: %w", f.Field, search.ErrInvalid)
	}
	out := Filter{Field: fd, Not: f.Not}
	bad := func(why string) (Filter, error) {
		return Filter{}, fmt.Errorf("filter on %s field %q: %s: %w", typeNames[fd.Type], fd.Name, why, search.ErrInvalid)
	}
	hasRange := f.Min != nil || f.Max != nil
	if len(f.Values) > 0 == hasRange {
		return bad("set either Values or Min/Max")
	}
	if len(f.Values) > MaxValues {
		return bad(fmt.Sprintf("%d values, at most %d", len(f.Values), MaxValues))
	}
	switch fd.Type {
	case search.Keyword:
		for _, v := range f.Values {
			s, ok := v.(string)
			if !ok {
				return bad(fmt.Sprintf("value %T is not a string", v))
			}
			out.Keywords = append(out.Keywords, s)
		}
	case search.Bool:
		for _, v := range f.Values {
			b, ok := v.(bool)
			if !ok {
				return bad(fmt.Sprintf("value %T is not a bool", v))
			}
			out.Bools = append(out.Bools, b)
		}
	case search.Number:
		var err error
		if out.Min, err = numberBound(f.Min); err == nil {
			out.Max, err = numberBound(f.Max)
		}
		if err != nil {
			return bad(err.Error())
		}
	case search.Time:
		var err error
		if out.After, err = timeBound(f.Min, true); err == nil {
			out.Before, err = timeBound(f.Max, false)
		}
		if err != nil {
			return bad(err.Error())
		}
	default:
		return bad("text fields are not filterable")
	}
	if hasRange != (fd.Type == search.Number || fd.Type == search.Time) {
		return bad("Values are for Keyword and Bool, Min/Max for Number and Time")
	}
	if fd.Name == search.DocID {
		out.IDs, out.Keywords = out.Keywords, nil
	}
	return out, nil
}

func numberBound(v any) (*float64, error) {
	if v == nil {
		return nil, nil
	}
	n, ok := Number(v)
	if !ok {
		return nil, fmt.Errorf("bound %v (%T) is not a finite number", v, v)
	}
	return &n, nil
}

// timeBound rounds a lower bound up and an upper bound down to the
// millisecond, so that it compares exactly with stored (truncated) times.
func timeBound(v any, lower bool) (*time.Time, error) {
	if v == nil {
		return nil, nil
	}
	t, ok := v.(time.Time)
	if !ok || t.Before(minTime) || t.After(maxTime) {
		return nil, fmt.Errorf("bound %v (%T) is not a time.Time between %d and %d", v, v, minTime.Year(), maxTime.Year())
	}
	r := t.UTC().Truncate(time.Millisecond)
	if lower && r.Before(t) {
		r = r.Add(time.Millisecond)
	}
	return &r, nil
}
