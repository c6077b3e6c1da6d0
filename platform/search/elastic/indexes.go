package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// idField repeats the document id as a keyword, the tie-break of every sort:
// Elasticsearch 8 refuses to sort on _id. termsField is an object holding,
// per Text field, the terms the shared English analyzer produced (see
// internal/english). Schema field names cannot start with '@', so neither
// collides.
const (
	idField    = "@id"
	termsField = "@terms"
)

// metaKey names the copy of the schema kept in the mapping's _meta, which is
// how another process learns boosts and types.
const metaKey = "reelmart_schema"

type createIndex struct {
	Settings indexSettings `json:"settings"`
	Mappings mappings      `json:"mappings"`
}

type indexSettings struct {
	Shards   int `json:"number_of_shards"`
	Replicas int `json:"number_of_replicas"`
}

type mappings struct {
	Dynamic    string              `json:"dynamic"`
	Meta       map[string]any      `json:"_meta"`
	Properties map[string]property `json:"properties"`
}

type property struct {
	Type       string              `json:"type,omitempty"`
	Analyzer   string              `json:"analyzer,omitempty"`
	Format     string              `json:"format,omitempty"`
	Index      *bool               `json:"index,omitempty"`
	Properties map[string]property `json:"properties,omitempty"`
}

// newMapping returns the explicit, strict mapping for s. A Text field keeps
// its original in _source only (index: false) and is searched through its
// terms under termsField, split on whitespace. Boosts are not in the mapping
// (Elasticsearch deprecated index-time boost); they are applied at query time.
func newMapping(s *schema.Schema) mappings {
	no := false
	terms := map[string]property{}
	m := mappings{
		Dynamic:    "strict",
		Meta:       map[string]any{metaKey: s},
		Properties: map[string]property{idField: {Type: "keyword"}, termsField: {Type: "object", Properties: terms}},
	}
	for _, f := range s.Fields() {
		var p property
		switch f.Type {
		case search.Text:
			p = property{Type: "text", Index: &no}
			terms[f.Name] = property{Type: "text", Analyzer: "whitespace"}
		case search.Keyword:
			p = property{Type: "keyword"}
		case search.Number:
			p = property{Type: "double"}
		case search.Bool:
			p = property{Type: "boolean"}
		case search.Time:
			p = property{Type: "date", Format: "strict_date_optional_time||epoch_millis"}
		}
		m.Properties[f.Name] = p
	}
	return m
}

// Ensure creates the named index with s unless it exists; an existing index
// keeps its own schema. It returns an error wrapping search.ErrInvalid for a
// bad name or schema.
func (x *Index) Ensure(ctx context.Context, name string, s search.Schema) error {
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/elastic: ensure: %w", err)
	}
	c, err := schema.New(s)
	if err != nil {
		return fmt.Errorf("search/elastic: ensure %s: %w", name, err)
	}
	body, err := json.Marshal(createIndex{Settings: indexSettings{Shards: 1}, Mappings: newMapping(c)})
	if err != nil {
		return fmt.Errorf("search/elastic: ensure %s: %w", name, err)
	}
	_, err = x.call(ctx, esapi.IndicesCreateRequest{Index: x.index(name), Body: bytes.NewReader(body)})
	if isType(err, "resource_already_exists_exception") {
		x.forget(name)
		if _, err := x.schemaOf(ctx, name); err != nil {
			return fmt.Errorf("search/elastic: ensure %s: %w", name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("search/elastic: ensure %s: %w", name, err)
	}
	x.mu.Lock()
	x.schemas[name] = c
	x.mu.Unlock()
	return nil
}

// schemaOf returns the named index's schema: cached after Ensure, otherwise
// read back from the mapping's _meta. It returns an error wrapping
// search.ErrNotFound if the index does not exist.
func (x *Index) schemaOf(ctx context.Context, name string) (*schema.Schema, error) {
	if err := schema.CheckName(name); err != nil {
		return nil, err
	}
	x.mu.Lock()
	c, ok := x.schemas[name]
	x.mu.Unlock()
	if ok {
		return c, nil
	}
	body, err := x.call(ctx, esapi.IndicesGetMappingRequest{Index: []string{x.index(name)}})
	if err != nil {
		return nil, fmt.Errorf("read mapping of %s: %w", name, err)
	}
	var resp map[string]struct {
		Mappings struct {
			Meta map[string]json.RawMessage `json:"_meta"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("read mapping of %s: %w", name, err)
	}
	raw := resp[x.index(name)].Mappings.Meta[metaKey]
	if raw == nil {
		return nil, fmt.Errorf("index %s has no %s in its mapping's _meta: not made by this package", name, metaKey)
	}
	if c, err = schema.Decode(raw); err != nil {
		return nil, fmt.Errorf("index %s: %w", name, err)
	}
	x.mu.Lock()
	x.schemas[name] = c
	x.mu.Unlock()
	return c, nil
}

func (x *Index) forget(name string) {
	x.mu.Lock()
	delete(x.schemas, name)
	x.mu.Unlock()
}

// Refresh makes earlier writes visible to Search. It returns an error
// wrapping search.ErrNotFound for a missing index.
func (x *Index) Refresh(ctx context.Context, name string) error {
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/elastic: refresh: %w", err)
	}
	if _, err := x.call(ctx, esapi.IndicesRefreshRequest{Index: []string{x.index(name)}}); err != nil {
		return fmt.Errorf("search/elastic: refresh %s: %w", name, x.notFound(name, err))
	}
	return nil
}

// Drop deletes the named index; a missing index is not an error.
func (x *Index) Drop(ctx context.Context, name string) error {
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/elastic: drop: %w", err)
	}
	x.forget(name)
	_, err := x.call(ctx, esapi.IndicesDeleteRequest{Index: []string{x.index(name)}})
	if err != nil && !errors.Is(err, search.ErrNotFound) {
		return fmt.Errorf("search/elastic: drop %s: %w", name, err)
	}
	return nil
}

// notFound forgets a cached schema when the cluster says the index is gone.
func (x *Index) notFound(name string, err error) error {
	if errors.Is(err, search.ErrNotFound) {
		x.forget(name)
	}
	return err
}
