package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// bulkChunk bounds how many documents go in one _bulk request.
const bulkChunk = 500

type bulkAction struct {
	Index  *bulkTarget `json:"index,omitempty"`
	Delete *bulkTarget `json:"delete,omitempty"`
}

type bulkTarget struct {
	ID string `json:"_id"`
}

type bulkResponse struct {
	Errors bool                         `json:"errors"`
	Items  []map[string]bulkItemOutcome `json:"items"`
}

type bulkItemOutcome struct {
	ID     string     `json:"_id"`
	Status int        `json:"status"`
	Result string     `json:"result"`
	Error  *errorBody `json:"error"`
}

// Upsert adds or replaces docs through _bulk. Every document is checked
// first, so a document that breaks the schema fails the call
// (search.ErrInvalid) before anything is written; a missing index gives
// search.ErrNotFound; a document the cluster rejects fails the call after the
// others in its request were written.
func (x *Index) Upsert(ctx context.Context, name string, docs ...search.Document) error {
	c, err := x.schemaOf(ctx, name)
	if err != nil {
		return fmt.Errorf("search/elastic: bulk upsert into %s: %w", name, err)
	}
	ops := make([][]byte, 0, len(docs))
	for _, d := range docs {
		fields, err := c.Doc(d)
		if err != nil {
			return fmt.Errorf("search/elastic: bulk upsert into %s: %w", name, err)
		}
		fields[idField] = d.ID
		if terms := x.terms(c, fields); len(terms) > 0 {
			fields[termsField] = terms
		}
		action, err := json.Marshal(bulkAction{Index: &bulkTarget{ID: d.ID}})
		if err != nil {
			return fmt.Errorf("search/elastic: bulk upsert into %s: %w", name, err)
		}
		source, err := json.Marshal(fields)
		if err != nil {
			return fmt.Errorf("search/elastic: bulk upsert into %s: encode %q: %w", name, d.ID, err)
		}
		ops = append(ops, ndjson(action, source))
	}
	if err := x.bulk(ctx, name, ops); err != nil {
		return fmt.Errorf("search/elastic: bulk upsert into %s: %w", name, err)
	}
	return nil
}

// Delete removes ids through _bulk; missing ids are ignored. It returns an
// error wrapping search.ErrNotFound for a missing index.
func (x *Index) Delete(ctx context.Context, name string, ids ...string) error {
	if _, err := x.schemaOf(ctx, name); err != nil {
		return fmt.Errorf("search/elastic: bulk delete from %s: %w", name, err)
	}
	ops := make([][]byte, 0, len(ids))
	for _, id := range ids {
		action, err := json.Marshal(bulkAction{Delete: &bulkTarget{ID: id}})
		if err != nil {
			return fmt.Errorf("search/elastic: bulk delete from %s: %w", name, err)
		}
		ops = append(ops, ndjson(action))
	}
	if err := x.bulk(ctx, name, ops); err != nil {
		return fmt.Errorf("search/elastic: bulk delete from %s: %w", name, err)
	}
	return nil
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
// search.ErrInvalid. A delete of a missing document is not an error.
func (x *Index) bulk(ctx context.Context, name string, ops [][]byte) error {
	for len(ops) > 0 {
		n := min(len(ops), bulkChunk)
		body := bytes.Join(ops[:n], nil)
		ops = ops[n:]
		raw, err := x.call(ctx, esapi.BulkRequest{Index: x.index(name), Body: bytes.NewReader(body)})
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
				if o.Error == nil || (op == "delete" && o.Status == 404) {
					continue
				}
				err := &apiError{Status: o.Status, Type: o.Error.Type, Reason: o.Error.Reason}
				return fmt.Errorf("document %q: %w", o.ID, x.notFound(name, err))
			}
		}
	}
	return nil
}
