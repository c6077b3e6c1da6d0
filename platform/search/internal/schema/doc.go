package schema

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/reelmart/reelmart/platform/search"
)

// maxIDBytes is Elasticsearch's limit on a document id and maxKeywordBytes
// Lucene's on one term; Bleve keeps them too, so both engines refuse alike.
const (
	maxIDBytes      = 512
	maxKeywordBytes = 32766
)

// Times outside these bounds do not fit Bleve's int64 nanoseconds.
var (
	minTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2261, 12, 31, 23, 59, 59, 0, time.UTC)
)

// Doc checks d against the schema and returns its fields normalised to what
// both engines store: string, []string, float64, bool and time.Time (UTC,
// truncated to the millisecond). Nil values are dropped. It returns an error
// wrapping search.ErrInvalid for a bad id, an unknown field or a value of the
// wrong kind, a negative version or a tombstone without a version. A
// tombstone's fields are ignored: it returns an empty map for it.
func (s *Schema) Doc(d search.Document) (map[string]any, error) {
	if d.ID == "" || len(d.ID) > maxIDBytes || !utf8.ValidString(d.ID) {
		return nil, fmt.Errorf("document id %q must be 1-%d bytes of UTF-8: %w", d.ID, maxIDBytes, search.ErrInvalid)
	}
	if d.Version < 0 || (d.Deleted && d.Version == 0) {
		return nil, fmt.Errorf("document %q: version %d: a version is at least 0, and a tombstone needs one above 0: %w", d.ID, d.Version, search.ErrInvalid)
	}
	if d.Deleted {
		return map[string]any{}, nil
	}
	out := make(map[string]any, len(d.Fields))
	for name, v := range d.Fields {
		f, ok := s.byName[name]
		if !ok {
			return nil, fmt.Errorf("document %q: unknown field %q: %w", d.ID, name, search.ErrInvalid)
		}
		if v == nil {
			continue
		}
		nv, err := value(f, v)
		if err != nil {
			return nil, fmt.Errorf("document %q: %w", d.ID, err)
		}
		out[name] = nv
	}
	return out, nil
}

func value(f search.Field, v any) (any, error) {
	switch f.Type {
	case search.Text:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case search.Keyword:
		switch s := v.(type) {
		case string:
			if len(s) <= maxKeywordBytes {
				return s, nil
			}
		case []string:
			if !slices.ContainsFunc(s, func(k string) bool { return len(k) > maxKeywordBytes }) {
				return slices.Clone(s), nil
			}
		}
	case search.Number:
		if n, ok := Number(v); ok {
			return n, nil
		}
	case search.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case search.Time:
		if t, ok := v.(time.Time); ok && !t.Before(minTime) && !t.After(maxTime) {
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return nil, fmt.Errorf("field %q: %T is not a valid %s value: %w", f.Name, v, typeNames[f.Type], search.ErrInvalid)
}

// Number converts any Go integer or float to a finite float64; it reports
// false for anything else, NaN or an infinity.
func Number(v any) (float64, bool) {
	var n float64
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n = float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		n = rv.Float()
	default:
		return 0, false
	}
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

// Hit decodes stored fields read back as JSON (strings, []any, float64,
// bool, RFC 3339 strings) into the types Hit.Fields promises. Keys the schema
// does not declare are skipped. It returns an error if a value does not fit
// its field, which means the index was written by something else.
func (s *Schema) Hit(source map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(source))
	for _, f := range s.fields {
		v, ok := source[f.Name]
		if !ok || v == nil {
			continue
		}
		dv, err := StoredValue(f, v)
		if err != nil {
			return nil, err
		}
		out[f.Name] = dv
	}
	return out, nil
}

// StoredValue decodes one stored field of f, read back as JSON (not null),
// as Hit does: for a reader that walks a hit's JSON itself rather than
// through a map.
func StoredValue(f search.Field, v any) (any, error) {
	// Built only on failure: this runs for every field of every hit.
	bad := func() error { return fmt.Errorf("stored field %q: unexpected %T for %s", f.Name, v, typeNames[f.Type]) }
	switch f.Type {
	case search.Text, search.Keyword:
		switch x := v.(type) {
		case string:
			return x, nil
		case []any:
			if f.Type == search.Text {
				return nil, bad()
			}
			out := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, bad()
				}
				out = append(out, s)
			}
			return out, nil
		}
	case search.Number:
		if n, ok := v.(float64); ok {
			return n, nil
		}
	case search.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case search.Time:
		if s, ok := v.(string); ok {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, fmt.Errorf("stored field %q: %w", f.Name, err)
			}
			return t.UTC(), nil
		}
	}
	return nil, bad()
}
