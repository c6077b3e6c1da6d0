package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// clause is one node of the query DSL; the DSL is too polymorphic for a
// struct per node to pay off.
type clause = map[string]any

type searchRequest struct {
	Query          clause   `json:"query"`
	Sort           []clause `json:"sort"`
	From           int      `json:"from"`
	Size           int      `json:"size"`
	TrackTotalHits bool     `json:"track_total_hits"`
	TrackScores    bool     `json:"track_scores"`
}

type searchResponse struct {
	Hits struct {
		Total struct {
			Value int `json:"value"`
		} `json:"total"`
		Hits []struct {
			ID     string         `json:"_id"`
			Score  *float64       `json:"_score"`
			Source map[string]any `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
}

// Search runs q as a bool query: the text's terms as a best_fields
// multi_match over the Text fields' terms with their boosts (match_all without text), the filters in
// filter context. It returns an error wrapping search.ErrInvalid for a query
// that breaks the schema and search.ErrNotFound for a missing index.
func (x *Index) Search(ctx context.Context, name string, q search.Query) (search.Result, error) {
	c, err := x.schemaOf(ctx, name)
	if err != nil {
		return search.Result{}, fmt.Errorf("search/elastic: search %s: %w", name, err)
	}
	cq, err := c.Query(q)
	if err != nil {
		return search.Result{}, fmt.Errorf("search/elastic: search %s: %w", name, err)
	}
	body, err := json.Marshal(x.newSearchRequest(cq))
	if err != nil {
		return search.Result{}, fmt.Errorf("search/elastic: search %s: %w", name, err)
	}
	raw, err := x.call(ctx, esapi.SearchRequest{Index: []string{x.index(name)}, Body: bytes.NewReader(body)})
	if err != nil {
		return search.Result{}, fmt.Errorf("search/elastic: search %s: %w", name, x.notFound(name, err))
	}
	var resp searchResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return search.Result{}, fmt.Errorf("search/elastic: search %s: decode: %w", name, err)
	}
	out := search.Result{Total: resp.Hits.Total.Value, Hits: make([]search.Hit, 0, len(resp.Hits.Hits))}
	for _, h := range resp.Hits.Hits {
		fields, err := c.Hit(h.Source)
		if err != nil {
			return search.Result{}, fmt.Errorf("search/elastic: search %s: document %q: %w", name, h.ID, err)
		}
		hit := search.Hit{ID: h.ID, Fields: fields}
		if h.Score != nil {
			hit.Score = *h.Score
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}

func (x *Index) newSearchRequest(q schema.Query) searchRequest {
	filters := []clause{}
	for _, f := range q.Filters {
		filters = append(filters, filterClause(f))
	}
	sort := []clause{{"_score": clause{"order": "desc"}}}
	if len(q.Sort) > 0 {
		sort = sort[:0]
		for _, s := range q.Sort {
			// Spelled out although they are the defaults, because Bleve is told the same.
			order, mode := "asc", "min"
			if s.Desc {
				order, mode = "desc", "max"
			}
			sort = append(sort, clause{s.Field.Name: clause{"order": order, "mode": mode, "missing": "_last"}})
		}
	}
	sort = append(sort, clause{idField: clause{"order": "asc"}})
	return searchRequest{
		Query:          clause{"bool": clause{"must": []clause{x.textClause(q)}, "filter": filters}},
		Sort:           sort,
		From:           q.From,
		Size:           q.Size,
		TrackTotalHits: true,
		TrackScores:    true,
	}
}

// textClause matches the analysed query terms against the Text fields'
// terms, best field wins. Text of stop words only matches nothing, as in Bleve.
func (x *Index) textClause(q schema.Query) clause {
	if q.Text == "" {
		return clause{"match_all": clause{}}
	}
	terms := x.english.Terms(q.Text)
	if len(q.TextFields) == 0 || len(terms) == 0 {
		// multi_match with no fields would search every field.
		return clause{"match_none": clause{}}
	}
	var fields []string
	for _, f := range q.TextFields {
		fields = append(fields, termsField+"."+f.Name+"^"+strconv.FormatFloat(f.Boost, 'f', -1, 64))
	}
	return clause{"multi_match": clause{"query": strings.Join(terms, " "), "type": "best_fields", "fields": fields}}
}

func filterClause(f schema.Filter) clause {
	name := f.Field.Name
	var values []any
	switch f.Field.Type {
	case search.Keyword:
		for _, v := range f.Keywords {
			values = append(values, v)
		}
	case search.Bool:
		for _, v := range f.Bools {
			values = append(values, v)
		}
	default:
		r := clause{}
		if f.Min != nil {
			r["gte"] = *f.Min
		}
		if f.Max != nil {
			r["lte"] = *f.Max
		}
		if f.After != nil {
			r["gte"] = f.After
		}
		if f.Before != nil {
			r["lte"] = f.Before
		}
		return clause{"range": clause{name: r}}
	}
	if len(values) == 1 {
		return clause{"term": clause{name: values[0]}}
	}
	return clause{"terms": clause{name: values}}
}
