package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// idField repeats the document id as a keyword, the tie-break of every sort:
// Elasticsearch 8 refuses to sort on _id. termsField is an object holding,
// per Text field, the terms the shared English analyzer produced (see
// internal/english). deletedField marks a tombstone document. Schema field
// names cannot start with '@', so none collides.
const (
	idField      = "@id"
	termsField   = "@terms"
	deletedField = "@deleted"
)

// metaKey names the copy of the schema kept in the mapping's _meta, which is
// how another process learns boosts and types.
const metaKey = "reelmart_schema"

// Each named index is an alias, <name>, on a concrete index <name>.<n>,
// one generation; while a Rebuild is open, the alias <name>.next points at
// the generation being filled. Index names cannot hold '.', so neither
// collides with another name. An index that older code made under the
// bare name is used as it is until a Rebuild replaces it.
const (
	generationSep = "."
	nextSuffix    = ".next"
)

// targetsTTL is how long a process trusts what it last learnt about a
// name's generations. Rebuild waits longer than that after it opens the
// next generation, so that by the time it returns every writer writes to both.
const (
	targetsTTL  = time.Second
	noticeWait  = targetsTTL + targetsTTL/2
	retireDelay = time.Second // searches in flight finish before an old generation goes
)

type createIndex struct {
	Settings indexSettings       `json:"settings"`
	Mappings mappings            `json:"mappings"`
	Aliases  map[string]struct{} `json:"aliases,omitempty"`
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

// engineProperties are the mapping's fields that every index has, whatever its schema.
func engineProperties() map[string]property {
	return map[string]property{idField: {Type: "keyword"}, deletedField: {Type: "boolean"}}
}

// newMapping returns the explicit, strict mapping for s. A Text field keeps
// its original in _source only (index: false) and is searched through its
// terms under termsField, split on whitespace. Boosts are not in the mapping
// (Elasticsearch deprecated index-time boost); they are applied at query time.
func newMapping(s *schema.Schema) mappings {
	no := false
	terms := map[string]property{}
	m := mappings{Dynamic: "strict", Meta: map[string]any{metaKey: s}, Properties: engineProperties()}
	m.Properties[termsField] = property{Type: "object", Properties: terms}
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

// Ensure creates the named index with s unless it exists: generation 1 (or
// the next free number) behind the alias. An existing index keeps its own
// schema. It returns an error wrapping search.ErrInvalid for a bad name or
// schema.
func (x *Index) Ensure(ctx context.Context, name string, s search.Schema) error {
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/elastic: ensure: %w", err)
	}
	c, err := schema.New(s)
	if err != nil {
		return fmt.Errorf("search/elastic: ensure %s: %w", name, err)
	}
	x.forget(name)
	t, err := x.lookup(ctx, name)
	if err == nil {
		if !t.live.alias {
			// Made by older code: it may lack the tombstone field.
			err = x.addEngineFields(ctx, t.live.index)
		}
		return x.wrap("ensure", name, err)
	}
	if !errors.Is(err, search.ErrNotFound) {
		return x.wrap("ensure", name, err)
	}
	err = x.createGeneration(ctx, name, c, x.index(name))
	if isType(err, "resource_already_exists_exception") || isType(err, "invalid_alias_name_exception") {
		_, err = x.lookup(ctx, name) // another process won the race; its index stands
	}
	return x.wrap("ensure", name, err)
}

// createGeneration creates the next generation of name with schema c and
// the given alias on it.
func (x *Index) createGeneration(ctx context.Context, name string, c *schema.Schema, alias string) error {
	gen, err := x.nextGeneration(ctx, name)
	if err != nil {
		return err
	}
	body, err := json.Marshal(createIndex{
		Settings: indexSettings{Shards: 1},
		Mappings: newMapping(c),
		Aliases:  map[string]struct{}{alias: {}},
	})
	if err != nil {
		return err
	}
	_, err = x.call(ctx, esapi.IndicesCreateRequest{Index: gen, Body: bytes.NewReader(body)})
	x.forget(name)
	return err
}

// addEngineFields adds the engine's own fields to an index's mapping (adding
// a field is allowed; an existing one is left as it is).
func (x *Index) addEngineFields(ctx context.Context, index string) error {
	body, err := json.Marshal(map[string]any{"properties": engineProperties()})
	if err != nil {
		return err
	}
	_, err = x.call(ctx, esapi.IndicesPutMappingRequest{Index: []string{index}, Body: bytes.NewReader(body)})
	return err
}

// generation is one concrete index of a name and what is written to reach
// it: the alias, or the bare name of an index made before aliases.
type generation struct {
	index  string // concrete, prefixed
	target string // prefixed alias (or bare legacy name) to write to
	alias  bool
	schema *schema.Schema
}

// targets is what a process knows of a name: its live generation and,
// while a Rebuild is open, the next one.
type targets struct {
	live, next *generation
	at         time.Time // when the lookup was sent
}

// lookup returns the generations of name, from the cache if it is younger
// than targetsTTL, otherwise asking the cluster in one request. It returns
// an error wrapping search.ErrNotFound if name has no live index.
func (x *Index) lookup(ctx context.Context, name string) (*targets, error) {
	if err := schema.CheckName(name); err != nil {
		return nil, err
	}
	x.mu.Lock()
	t, ok := x.targets[name]
	x.mu.Unlock()
	if ok && time.Since(t.at) < targetsTTL {
		return t, nil
	}
	t = &targets{at: time.Now()}
	alias, next := x.index(name), x.index(name)+nextSuffix
	yes := true
	raw, err := x.call(ctx, esapi.IndicesGetRequest{
		Index: []string{alias, next}, IgnoreUnavailable: &yes,
		FilterPath: []string{"*.aliases", "*.mappings._meta"},
	})
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", name, err)
	}
	var resp map[string]struct {
		Aliases  map[string]json.RawMessage `json:"aliases"`
		Mappings struct {
			Meta map[string]json.RawMessage `json:"_meta"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("look up %s: %w", name, err)
	}
	for index, info := range resp {
		meta := info.Mappings.Meta[metaKey]
		if meta == nil {
			return nil, fmt.Errorf("index %s has no %s in its mapping's _meta: not made by this package", index, metaKey)
		}
		c, err := schema.Decode(meta)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", index, err)
		}
		g := &generation{index: index, schema: c}
		_, isLive := info.Aliases[alias]
		_, isNext := info.Aliases[next]
		switch {
		case index == alias:
			g.target = alias
			t.live = g
		case isLive:
			g.target, g.alias = alias, true
			t.live = g
		case isNext:
			g.target, g.alias = next, true
			t.next = g
		}
	}
	if t.live == nil {
		x.forget(name)
		if t.next != nil {
			return t, fmt.Errorf("index %s (being rebuilt): %w", name, search.ErrNotFound)
		}
		return nil, fmt.Errorf("index %s: %w", name, search.ErrNotFound)
	}
	x.mu.Lock()
	x.targets[name] = t
	x.mu.Unlock()
	return t, nil
}

func (x *Index) forget(name string) {
	x.mu.Lock()
	delete(x.targets, name)
	x.mu.Unlock()
}

// generations returns the concrete indexes of name: its numbered
// generations and an index made under the bare name before aliases.
func (x *Index) generations(ctx context.Context, name string) ([]string, error) {
	yes := true
	raw, err := x.call(ctx, esapi.IndicesGetRequest{
		Index: []string{x.index(name), x.index(name) + generationSep + "*"}, IgnoreUnavailable: &yes,
		FilterPath: []string{"*.settings.index.provided_name"},
	})
	if err != nil {
		return nil, fmt.Errorf("list generations of %s: %w", name, err)
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("list generations of %s: %w", name, err)
	}
	out := make([]string, 0, len(resp))
	for index := range resp {
		out = append(out, index)
	}
	slices.Sort(out)
	return out, nil
}

// nextGeneration returns the prefixed name of a generation of name that
// does not exist yet: one more than the highest.
func (x *Index) nextGeneration(ctx context.Context, name string) (string, error) {
	all, err := x.generations(ctx, name)
	if err != nil {
		return "", err
	}
	n := 0
	base := x.index(name) + generationSep
	for _, index := range all {
		if i, err := strconv.Atoi(strings.TrimPrefix(index, base)); err == nil && strings.HasPrefix(index, base) {
			n = max(n, i)
		}
	}
	return base + strconv.Itoa(n+1), nil
}

// Refresh makes earlier writes visible to Search. It returns an error
// wrapping search.ErrNotFound for a missing index.
func (x *Index) Refresh(ctx context.Context, name string) error {
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/elastic: refresh: %w", err)
	}
	if _, err := x.call(ctx, esapi.IndicesRefreshRequest{Index: []string{x.index(name)}}); err != nil {
		return x.wrap("refresh", name, x.notFound(name, err))
	}
	return nil
}

// Drop deletes every generation of the named index, an open rebuild's
// included; a missing index is not an error.
func (x *Index) Drop(ctx context.Context, name string) error {
	if err := schema.CheckName(name); err != nil {
		return fmt.Errorf("search/elastic: drop: %w", err)
	}
	x.forget(name)
	all, err := x.generations(ctx, name)
	if err == nil && len(all) > 0 {
		_, err = x.call(ctx, esapi.IndicesDeleteRequest{Index: all})
	}
	if err != nil && !errors.Is(err, search.ErrNotFound) {
		return x.wrap("drop", name, err)
	}
	return nil
}

// notFound forgets what is cached of name when the cluster says it is gone.
func (x *Index) notFound(name string, err error) error {
	if errors.Is(err, search.ErrNotFound) {
		x.forget(name)
	}
	return err
}

// wrap prefixes a non-nil error with the package, the operation and the name.
func (x *Index) wrap(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("search/elastic: %s %s: %w", op, name, err)
}
