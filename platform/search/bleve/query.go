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
// non-scoring conjunction, and the sort with the id as the last key.
func newRequest(q schema.Query) *blevesearch.SearchRequest {
	req := blevesearch.NewSearchRequestOptions(withFilters(textQuery(q), q.Filters), q.Size, q.From, false)
	req.Fields = []string{sourceField}
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
	var all []query.Query
	for _, f := range filters {
		all = append(all, filterQuery(f))
	}
	b := blevesearch.NewBooleanQuery()
	b.AddMust(must)
	b.AddFilter(blevesearch.NewConjunctionQuery(all...))
	return b
}

func filterQuery(f schema.Filter) query.Query {
	yes := true
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

// result converts Bleve's answer, decoding each hit's stored source.
func result(s *schema.Schema, res *blevesearch.SearchResult) (search.Result, error) {
	out := search.Result{Total: int(res.Total), Hits: make([]search.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		raw, _ := h.Fields[sourceField].(string)
		var src map[string]any
		if err := json.Unmarshal([]byte(raw), &src); err != nil {
			return search.Result{}, fmt.Errorf("decode stored document %q: %w", h.ID, err)
		}
		fields, err := s.Hit(src)
		if err != nil {
			return search.Result{}, fmt.Errorf("document %q: %w", h.ID, err)
		}
		out.Hits = append(out.Hits, search.Hit{ID: h.ID, Score: h.Score, Fields: fields})
	}
	return out, nil
}
