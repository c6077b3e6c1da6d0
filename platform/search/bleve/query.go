package bleve

import (
	"encoding/json"
	"fmt"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// newRequest turns a checked query into a Bleve request: the text as a
// disjunction of per-field match queries with their boosts, the filters as a
// non-scoring conjunction and exclusion, the scores as Elasticsearch would
// give them when boosts or a blank text ask for it, and the sort with the id
// as the last key.
func newRequest(q schema.Query) *blevesearch.SearchRequest {
	top := withFilters(textQuery(q), q.Filters)
	if q.Scored() {
		top = &scoredQuery{inner: top, blank: q.Text == "", boosts: q.Boosts}
	}
	req := blevesearch.NewSearchRequestOptions(top, q.Size, q.From, false)
	if q.AllFields || len(q.Fields) > 0 {
		req.Fields = []string{sourceField}
	}
	order := bsearch.SortOrder{&bsearch.SortScore{Desc: true}}
	if len(q.Sort) > 0 {
		order = order[:0]
		for _, s := range q.Sort {
			order = append(order, sortField(s))
		}
	}
	req.SortByCustom(append(order, &bsearch.SortDocID{}))
	return req
}

func textQuery(q schema.Query) query.Query {
	if q.Text == "" {
		return blevesearch.NewMatchAllQuery()
	}
	if len(q.TextFields) == 0 {
		return blevesearch.NewMatchNoneQuery()
	}
	var or []query.Query
	for _, f := range q.TextFields {
		m := blevesearch.NewMatchQuery(q.Text)
		m.SetField(f.Name)
		m.SetBoost(f.Boost)
		or = append(or, m)
	}
	return blevesearch.NewDisjunctionQuery(or...)
}

func withFilters(must query.Query, filters []schema.Filter) query.Query {
	if len(filters) == 0 {
		return must
	}
	var all, not []query.Query
	for _, f := range filters {
		if f.Not {
			not = append(not, filterQuery(f))
		} else {
			all = append(all, filterQuery(f))
		}
	}
	b := blevesearch.NewBooleanQuery()
	b.AddMust(must)
	if len(all) > 0 {
		b.AddFilter(blevesearch.NewConjunctionQuery(all...))
	}
	b.AddMustNot(not...)
	return b
}

func filterQuery(f schema.Filter) query.Query {
	yes := true
	if f.IDs != nil {
		return blevesearch.NewDocIDQuery(f.IDs)
	}
	switch f.Field.Type {
	case search.Keyword:
		var or []query.Query
		for _, v := range f.Keywords {
			t := blevesearch.NewTermQuery(v)
			t.SetField(f.Field.Name)
			or = append(or, t)
		}
		return blevesearch.NewDisjunctionQuery(or...)
	case search.Bool:
		var or []query.Query
		for _, v := range f.Bools {
			b := blevesearch.NewBoolFieldQuery(v)
			b.SetField(f.Field.Name)
			or = append(or, b)
		}
		return blevesearch.NewDisjunctionQuery(or...)
	case search.Number:
		r := blevesearch.NewNumericRangeInclusiveQuery(f.Min, f.Max, &yes, &yes)
		r.SetField(f.Field.Name)
		return r
	default:
		var after, before time.Time // zero means unbounded to Bleve
		if f.After != nil {
			after = *f.After
		}
		if f.Before != nil {
			before = *f.Before
		}
		r := blevesearch.NewDateRangeInclusiveQuery(after, before, &yes, &yes)
		r.SetField(f.Field.Name)
		return r
	}
}

func sortField(s schema.Sort) *bsearch.SortField {
	sf := &bsearch.SortField{Field: s.Field.Name, Desc: s.Desc, Missing: bsearch.SortFieldMissingLast}
	// Elasticsearch's default for multi-valued fields: smallest first ascending, largest first descending.
	sf.Mode = bsearch.SortFieldMin
	if s.Desc {
		sf.Mode = bsearch.SortFieldMax
	}
	switch s.Field.Type {
	case search.Number:
		sf.Type = bsearch.SortFieldAsNumber
	case search.Time:
		sf.Type = bsearch.SortFieldAsDate
	default:
		sf.Type = bsearch.SortFieldAsString
	}
	return sf
}

// result converts Bleve's answer, decoding each hit's stored source and
// keeping the fields q asks for.
func result(s *schema.Schema, q schema.Query, res *blevesearch.SearchResult) (search.Result, error) {
	out := search.Result{Total: int(res.Total), Hits: make([]search.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit := search.Hit{ID: h.ID, Score: h.Score, Fields: map[string]any{}}
		if raw, ok := h.Fields[sourceField].(string); ok {
			var src map[string]any
			if err := json.Unmarshal([]byte(raw), &src); err != nil {
				return search.Result{}, fmt.Errorf("decode stored document %q: %w", h.ID, err)
			}
			if !q.AllFields {
				src = keep(src, q.Fields)
			}
			fields, err := s.Hit(src)
			if err != nil {
				return search.Result{}, fmt.Errorf("document %q: %w", h.ID, err)
			}
			hit.Fields = fields
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}

// keep returns the entries of src named in fields.
func keep(src map[string]any, fields []string) map[string]any {
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := src[f]; ok {
			out[f] = v
		}
	}
	return out
}
