// Package schema holds the rules both search engines share: which index and
// field names are allowed, how a search.Schema is checked and persisted, how
// documents are normalised before indexing and decoded after, and how a
// search.Query is checked. Keeping them in one place is what makes the two
// engines fail, store and return values the same way.
package schema

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/reelmart/reelmart/platform/search"
)

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)
	fieldRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// CheckName returns nil if name is a valid index name (1–100 characters of
// a–z, 0–9, '_' and '-', starting with a letter or digit), or an error
// wrapping search.ErrInvalid.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("index name %q must be 1-100 of [a-z0-9_-] starting with [a-z0-9]: %w", name, search.ErrInvalid)
	}
	return nil
}

// Schema is a checked search.Schema with its fields looked up by name.
type Schema struct {
	fields []search.Field
	byName map[string]search.Field
}

// New checks s and returns it compiled, or an error wrapping search.ErrInvalid
// for a bad or repeated field name, an unknown type or a negative boost.
func New(s search.Schema) (*Schema, error) {
	c := &Schema{byName: make(map[string]search.Field, len(s.Fields))}
	for _, f := range s.Fields {
		if !fieldRE.MatchString(f.Name) {
			return nil, fmt.Errorf("field name %q must match %s: %w", f.Name, fieldRE, search.ErrInvalid)
		}
		if _, dup := c.byName[f.Name]; dup {
			return nil, fmt.Errorf("field %q declared twice: %w", f.Name, search.ErrInvalid)
		}
		if _, ok := typeNames[f.Type]; !ok {
			return nil, fmt.Errorf("field %q has unknown type %d: %w", f.Name, f.Type, search.ErrInvalid)
		}
		if f.Boost < 0 {
			return nil, fmt.Errorf("field %q has negative boost: %w", f.Name, search.ErrInvalid)
		}
		if f.Boost == 0 {
			f.Boost = 1
		}
		c.fields = append(c.fields, f)
		c.byName[f.Name] = f
	}
	return c, nil
}

// Fields returns the fields in declaration order, with a zero Boost made 1.
func (s *Schema) Fields() []search.Field { return s.fields }

// Field returns the named field and whether the schema declares it.
func (s *Schema) Field(name string) (search.Field, bool) {
	f, ok := s.byName[name]
	return f, ok
}

// TextFields returns the Text fields in declaration order.
func (s *Schema) TextFields() []search.Field {
	var out []search.Field
	for _, f := range s.fields {
		if f.Type == search.Text {
			out = append(out, f)
		}
	}
	return out
}

var typeNames = map[search.FieldType]string{
	search.Text:    "text",
	search.Keyword: "keyword",
	search.Number:  "number",
	search.Bool:    "bool",
	search.Time:    "time",
}

type storedField struct {
	Name  string  `json:"name"`
	Type  string  `json:"type"`
	Boost float64 `json:"boost,omitempty"`
}

type stored struct {
	Fields []storedField `json:"fields"`
}

// MarshalJSON encodes the schema with type names, so that it can be kept
// next to an index and read back by another process.
func (s *Schema) MarshalJSON() ([]byte, error) {
	st := stored{Fields: []storedField{}}
	for _, f := range s.fields {
		st.Fields = append(st.Fields, storedField{Name: f.Name, Type: typeNames[f.Type], Boost: f.Boost})
	}
	return json.Marshal(st)
}

// Decode reads a schema written by MarshalJSON. It returns an error if the
// data is not such a schema.
func Decode(data []byte) (*Schema, error) {
	var st stored
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode schema: %w", err)
	}
	var s search.Schema
	for _, sf := range st.Fields {
		t, ok := typeByName(sf.Type)
		if !ok {
			return nil, fmt.Errorf("decode schema: field %q has unknown type %q", sf.Name, sf.Type)
		}
		s.Fields = append(s.Fields, search.Field{Name: sf.Name, Type: t, Boost: sf.Boost})
	}
	c, err := New(s)
	if err != nil {
		return nil, fmt.Errorf("decode schema: %w", err)
	}
	return c, nil
}

func typeByName(name string) (search.FieldType, bool) {
	for t, n := range typeNames {
		if n == name {
			return t, true
		}
	}
	return 0, false
}
