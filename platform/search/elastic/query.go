package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

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
	Source         any      `json:"_source,omitempty"`
	From           int      `json:"from"`
	Size           int      `json:"size"`
	TrackTotalHits bool     `json:"track_total_hits"`
	TrackScores    bool     `json:"track_scores"`
}

// Search runs q as one bool query (see newSearchRequest). It returns an
// error wrapping search.ErrInvalid for a query that breaks the schema and
// search.ErrNotFound for a missing index.
func (x *Index) Search(ctx context.Context, name string, q search.Query) (search.Result, error) {
	t, err := x.lookup(ctx, name)
	if err != nil {
		return search.Result{}, x.wrap("search", name, err)
	}
	cq, err := t.live.schema.Query(q)
	if err != nil {
		return search.Result{}, x.wrap("search", name, err)
	}
	body, err := json.Marshal(x.newSearchRequest(cq))
	if err != nil {
		return search.Result{}, x.wrap("search", name, err)
	}
	raw, err := x.call(ctx, esapi.SearchRequest{Index: []string{x.index(name)}, Body: bytes.NewReader(body), FilterPath: filterPath})
	if err != nil {
		return search.Result{}, x.wrap("search", name, x.notFound(name, err))
	}
	answer, err := parseAnswer(raw)
	if err != nil {
		return search.Result{}, x.wrap("search", name, fmt.Errorf("decode: %w", err))
	}
	out, err := decodeSearch(t.live.schema, answer)
	return out, x.wrap("search", name, err)
}

// newSearchRequest builds one bool query: the text's terms as a best_fields
// multi_match over the Text fields' terms with their boosts (match_all, which
// scores 1, without text); the filters in filter context and the exclusions
// and tombstones as must_not, neither scoring; each boost a should clause
// that adds exactly what it earns.
func (x *Index) newSearchRequest(q schema.Query) searchRequest {
	filters, not := []clause{}, []clause{{"term": clause{deletedField: true}}}
	for _, f := range q.Filters {
		if f.Not {
			not = append(not, filterClause(f))
		} else {
			filters = append(filters, filterClause(f))
		}
	}
	should := []clause{}
	for _, b := range q.Boosts {
		should = append(should, boostClause(b))
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
	var source any
	if !q.AllFields {
		source = false
		if len(q.Fields) > 0 {
			source = clause{"includes": q.Fields}
		}
	}
	return searchRequest{
		Query:          clause{"bool": clause{"must": []clause{x.textClause(q)}, "filter": filters, "must_not": not, "should": should}},
		Sort:           sort,
		Source:         source,
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
	switch {
	case f.IDs != nil:
		return clause{"terms": clause{idField: f.IDs}}
	case f.Field.Type == search.Keyword:
		for _, v := range f.Keywords {
			values = append(values, v)
		}
	case f.Field.Type == search.Bool:
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

// boostClause scores exactly what a boost earns: a constant_score for a
// match on values, otherwise a function_score that replaces the score of
// the documents that have the field (a non-negative one, for a value) by
// weight × the function.
func boostClause(b schema.Boost) clause {
	name := b.Field.Name
	if b.Keywords != nil || b.Bools != nil {
		var values []any
		for _, v := range b.Keywords {
			values = append(values, v)
		}
		for _, v := range b.Bools {
			values = append(values, v)
		}
		return clause{"constant_score": clause{"filter": clause{"terms": clause{name: values}}, "boost": b.Weight}}
	}
	has := clause{"exists": clause{"field": name}}
	var fn clause
	if d := b.Decay; d != nil {
		shape := map[search.DecayShape]string{search.Gauss: "gauss", search.Exp: "exp", search.Linear: "linear"}[d.Shape]
		params := clause{"origin": d.Origin, "scale": d.Scale, "offset": d.Offset, "decay": d.Decay}
		if b.Field.Type == search.Time {
			params = clause{
				"origin": time.UnixMilli(int64(d.Origin)).UTC().Format("2006-01-02T15:04:05.000Z"),
				"scale":  strconv.FormatInt(int64(d.Scale), 10) + "ms",
				"offset": strconv.FormatInt(int64(d.Offset), 10) + "ms",
				"decay":  d.Decay,
			}
		}
		fn = clause{shape: clause{name: params}}
	} else {
		modifier := "none"
		if b.Log {
			modifier = "ln1p"
		}
		has = clause{"range": clause{name: clause{"gte": 0}}}
		fn = clause{"field_value_factor": clause{"field": name, "modifier": modifier, "factor": 1, "missing": 0}}
	}
	fn["weight"] = b.Weight
	return clause{"function_score": clause{"query": has, "functions": []clause{fn}, "boost_mode": "replace"}}
}
