package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// bulkChunk bounds how many operations go in one _bulk request.
const bulkChunk = 500

type bulkAction struct {
	Index  *bulkTarget `json:"index,omitempty"`
	Delete *bulkTarget `json:"delete,omitempty"`
}

type bulkTarget struct {
	Index        string `json:"_index"`
	ID           string `json:"_id"`
	Version      int64  `json:"version,omitempty"`
	VersionType  string `json:"version_type,omitempty"`
	RequireAlias bool   `json:"require_alias,omitempty"`
}

type bulkResponse struct {
	Errors bool                         `json:"errors"`
	Items  []map[string]bulkItemOutcome `json:"items"`
}

type bulkItemOutcome struct {
	Index  string     `json:"_index"`
	ID     string     `json:"_id"`
	Status int        `json:"status"`
	Error  *errorBody `json:"error"`
}

// errStaleTargets reports a write to a rebuild's alias that a Commit or
// Abort has removed since the targets were looked up.
var errStaleTargets = errors.New("rebuild finished meanwhile")

// Upsert adds or replaces docs through _bulk, on the live generation and,
// while a Rebuild is open, the next one, with external versions so that the
// cluster drops what is not newer. Every document is checked against each
// generation's schema first, so a document that breaks one fails the call
// (search.ErrInvalid) before anything is written; a missing index gives
// search.ErrNotFound; a document the cluster rejects fails the call after
// the others in its request were written.
func (x *Index) Upsert(ctx context.Context, name string, docs ...search.Document) error {
	return x.wrap("bulk upsert into", name, x.retryStale(ctx, name, func(t *targets) error {
		var ops [][]byte
		for _, g := range t.gens() {
			gops, err := x.indexOps(g, docs)
			if err != nil {
				return err
			}
			ops = append(ops, gops...)
		}
		return x.bulk(ctx, name, ops)
	}))
}

// Delete removes ids from every generation through _bulk; missing ids are
// ignored. It returns an error wrapping search.ErrNotFound for a missing index.
func (x *Index) Delete(ctx context.Context, name string, ids ...string) error {
	return x.wrap("bulk delete from", name, x.retryStale(ctx, name, func(t *targets) error {
		var ops [][]byte
		for _, g := range t.gens() {
			for _, id := range ids {
				action, err := json.Marshal(bulkAction{Delete: &bulkTarget{Index: g.target, ID: id, RequireAlias: g.alias}})
				if err != nil {
					return err
				}
				ops = append(ops, ndjson(action))
			}
		}
		return x.bulk(ctx, name, ops)
	}))
}

// retryStale runs write on name's generations, and once more on fresh ones
// if a rebuild ended between the lookup and the write.
func (x *Index) retryStale(ctx context.Context, name string, write func(*targets) error) error {
	for attempt := 0; ; attempt++ {
		t, err := x.lookup(ctx, name)
		if err != nil {
			return err
		}
		err = write(t)
		if errors.Is(err, errStaleTargets) && attempt == 0 {
			x.forget(name)
			continue
		}
		return err
	}
}

// gens returns the generations a write goes to.
func (t *targets) gens() []*generation {
	if t.next != nil {
		return []*generation{t.live, t.next}
	}
	return []*generation{t.live}
}

// indexOps checks docs against g's schema and returns their bulk operations.
func (x *Index) indexOps(g *generation, docs []search.Document) ([][]byte, error) {
	ops := make([][]byte, 0, len(docs))
	for _, d := range docs {
		fields, err := g.schema.Doc(d)
		if err != nil {
			return nil, err
		}
		fields[idField] = d.ID
		if d.Deleted {
			fields[deletedField] = true
		} else if terms := x.terms(g.schema, fields); len(terms) > 0 {
			fields[termsField] = terms
		}
		target := &bulkTarget{Index: g.target, ID: d.ID, RequireAlias: g.alias}
		if d.Version > 0 {
			target.Version, target.VersionType = d.Version, "external"
		}
		action, err := json.Marshal(bulkAction{Index: target})
		if err != nil {
			return nil, err
		}
		source, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("encode %q: %w", d.ID, err)
		}
		ops = append(ops, ndjson(action, source))
	}
	return ops, nil
}

// terms returns the analysed terms of each Text field in fields, joined by spaces.
func (x *Index) terms(c *schema.Schema, fields map[string]any) map[string]string {
	out := map[string]string{}
	for _, f := range c.TextFields() {
		if v, ok := fields[f.Name].(string); ok {
			out[f.Name] = strings.Join(x.english.Terms(v), " ")
		}
	}
	return out
}

// ndjson joins the lines of one bulk operation, each ended by a newline.
func ndjson(lines ...[]byte) []byte {
	var b []byte
	for _, l := range lines {
		b = append(append(b, l...), '\n')
	}
	return b
}

// bulk sends ops (NDJSON, one operation each) in chunks and returns the
// first item error as an *apiError, so that a mapping error unwraps to
// search.ErrInvalid. A delete of a missing document and a version conflict
// (the index holds that version or a newer one) are not errors; a write to
// a rebuild's alias that is gone is errStaleTargets.
func (x *Index) bulk(ctx context.Context, name string, ops [][]byte) error {
	next := x.index(name) + nextSuffix
	stale := false
	for len(ops) > 0 {
		n := min(len(ops), bulkChunk)
		body := bytes.Join(ops[:n], nil)
		ops = ops[n:]
		raw, err := x.call(ctx, esapi.BulkRequest{Body: bytes.NewReader(body)})
		if err != nil {
			return x.notFound(name, err)
		}
		var resp bulkResponse
		if err := json.Unmarshal(raw, &resp); err != nil {
			return fmt.Errorf("decode bulk response: %w", err)
		}
		if !resp.Errors {
			continue
		}
		for _, item := range resp.Items {
			for op, o := range item {
				switch {
				case o.Error == nil, op == "delete" && o.Status == 404, o.Error.Type == "version_conflict_engine_exception":
					continue
				case o.Error.Type == "index_not_found_exception" && o.Error.Index == next:
					stale = true
					continue
				}
				err := &apiError{Status: o.Status, Type: o.Error.Type, Reason: o.Error.Reason}
				return fmt.Errorf("document %q: %w", o.ID, x.notFound(name, err))
			}
		}
	}
	if stale {
		return errStaleTargets
	}
	return nil
}
