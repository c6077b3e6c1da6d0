package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// aliasAction is one action of an atomic _aliases request.
type aliasAction map[string]clause

// Rebuild creates the next generation of name with s behind the alias
// <name>.next, dropping an unfinished one it replaces in the same atomic
// step, then waits until every process's writers have seen it (noticeWait),
// so that from its return every write goes to both generations. It returns
// an error wrapping search.ErrInvalid for a bad name or schema.
func (x *Index) Rebuild(ctx context.Context, name string, s search.Schema) (search.Builder, error) {
	if err := schema.CheckName(name); err != nil {
		return nil, fmt.Errorf("search/elastic: rebuild: %w", err)
	}
	c, err := schema.New(s)
	if err != nil {
		return nil, x.wrap("rebuild", name, err)
	}
	x.forget(name)
	t, err := x.lookup(ctx, name)
	if err != nil && !errors.Is(err, search.ErrNotFound) {
		return nil, x.wrap("rebuild", name, err)
	}
	gen, err := x.nextGeneration(ctx, name)
	if err != nil {
		return nil, x.wrap("rebuild", name, err)
	}
	body, err := json.Marshal(createIndex{Settings: indexSettings{Shards: 1}, Mappings: newMapping(c)})
	if err != nil {
		return nil, err
	}
	if _, err := x.call(ctx, esapi.IndicesCreateRequest{Index: gen, Body: bytes.NewReader(body)}); err != nil {
		return nil, x.wrap("rebuild", name, err)
	}
	next := x.index(name) + nextSuffix
	actions := []aliasAction{{"add": {"index": gen, "alias": next}}}
	if t != nil && t.next != nil {
		actions = append(actions, aliasAction{"remove_index": {"index": t.next.index}})
	}
	if err := x.aliases(ctx, actions); err != nil {
		x.call(context.WithoutCancel(ctx), esapi.IndicesDeleteRequest{Index: []string{gen}})
		return nil, x.wrap("rebuild", name, err)
	}
	x.forget(name)
	select {
	case <-time.After(noticeWait):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &builder{x: x, name: name, index: gen, schema: c}, nil
}

// aliases applies actions atomically.
func (x *Index) aliases(ctx context.Context, actions []aliasAction) error {
	body, err := json.Marshal(clause{"actions": actions})
	if err != nil {
		return err
	}
	_, err = x.call(ctx, esapi.IndicesUpdateAliasesRequest{Body: bytes.NewReader(body)})
	return err
}

// builder is the search.Builder of an Elasticsearch rebuild.
type builder struct {
	x         *Index
	name      string
	index     string // the new generation, prefixed
	schema    *schema.Schema
	committed bool
}

// Upsert writes docs to the new generation through the <name>.next alias,
// so that a write after a Drop fails instead of creating an index. A
// replaced builder's writes may reach the rebuild that replaced it; their
// versions make that harmless.
func (b *builder) Upsert(ctx context.Context, docs ...search.Document) error {
	g := &generation{index: b.index, target: b.x.index(b.name) + nextSuffix, alias: true, schema: b.schema}
	ops, err := b.x.indexOps(g, docs)
	if err == nil {
		err = b.x.bulk(ctx, b.name, ops)
	}
	if errors.Is(err, errStaleTargets) {
		err = errors.New("rebuild was committed, aborted, replaced or dropped")
	}
	return b.x.wrap("rebuild: upsert into", b.name, err)
}

// Commit refreshes the new generation, then in one atomic _aliases request
// moves the alias to it and removes <name>.next (failing if this rebuild no
// longer holds it), and after retireDelay deletes the old generation.
func (b *builder) Commit(ctx context.Context) error {
	x := b.x
	if _, err := x.call(ctx, esapi.IndicesRefreshRequest{Index: []string{b.index}}); err != nil {
		return x.wrap("commit rebuild of", b.name, err)
	}
	x.forget(b.name)
	t, err := x.lookup(ctx, b.name)
	if err != nil && !errors.Is(err, search.ErrNotFound) {
		return x.wrap("commit rebuild of", b.name, err)
	}
	alias := x.index(b.name)
	actions := []aliasAction{
		{"remove": {"index": b.index, "alias": alias + nextSuffix, "must_exist": true}},
		{"add": {"index": b.index, "alias": alias}},
	}
	var retired string
	if t != nil && t.live != nil {
		if t.live.alias {
			actions = append(actions, aliasAction{"remove": {"index": t.live.index, "alias": alias}})
			retired = t.live.index
		} else {
			// An index under the bare name must go before the alias can take it.
			actions = append(actions, aliasAction{"remove_index": {"index": t.live.index}})
		}
	}
	if err := x.aliases(ctx, actions); err != nil {
		return x.wrap("commit rebuild of", b.name, err)
	}
	b.committed = true
	x.forget(b.name)
	if retired == "" {
		return nil
	}
	select {
	case <-time.After(retireDelay):
	case <-ctx.Done():
	}
	_, err = x.call(context.WithoutCancel(ctx), esapi.IndicesDeleteRequest{Index: []string{retired}})
	if err != nil && !errors.Is(err, search.ErrNotFound) {
		return x.wrap("commit rebuild of", b.name, fmt.Errorf("delete the old generation %s: %w", retired, err))
	}
	return nil
}

// Abort deletes the new generation if it is still this rebuild's; after
// Commit, or once replaced or dropped, it does nothing.
func (b *builder) Abort(ctx context.Context) error {
	if b.committed {
		return nil
	}
	x := b.x
	x.forget(b.name)
	t, err := x.lookup(ctx, b.name)
	if err != nil && !errors.Is(err, search.ErrNotFound) {
		return x.wrap("abort rebuild of", b.name, err)
	}
	if t == nil || t.next == nil || t.next.index != b.index {
		return nil
	}
	_, err = x.call(ctx, esapi.IndicesDeleteRequest{Index: []string{b.index}})
	x.forget(b.name)
	if err != nil && !errors.Is(err, search.ErrNotFound) {
		return x.wrap("abort rebuild of", b.name, err)
	}
	return nil
}
