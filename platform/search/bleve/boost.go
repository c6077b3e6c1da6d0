package bleve

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/numeric"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// scoredQuery wraps a query to set each match's score the way
// Elasticsearch scores the same request: relevance (exactly 1 for a blank
// Text) plus the boosts the document earns, read from its doc values as a
// sort by field would. Bleve has no function_score; computing it inside the
// searcher keeps paging and the top-N heap in Bleve.
type scoredQuery struct {
	inner  query.Query
	blank  bool // a blank Text: the relevance is 1
	boosts []schema.Boost
}

func (q *scoredQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	inner, err := q.inner.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	s := &scoredSearcher{Searcher: inner, q: q, values: make([][][]byte, len(q.boosts))}
	if len(q.boosts) > 0 {
		fields := make([]string, len(q.boosts))
		for i, b := range q.boosts {
			fields[i] = b.Field.Name
		}
		if s.docValues, err = r.DocValueReader(fields); err != nil {
			inner.Close()
			return nil, fmt.Errorf("read doc values: %w", err)
		}
	}
	return s, nil
}

// scoredSearcher is the searcher of a scoredQuery: the inner searcher's
// matches with their scores replaced.
type scoredSearcher struct {
	bsearch.Searcher
	q         *scoredQuery
	docValues index.DocValueReader
	values    [][][]byte // per boost, the doc values of the current match
}

func (s *scoredSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	d, err := s.Searcher.Next(ctx)
	return s.score(d, err)
}

func (s *scoredSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	d, err := s.Searcher.Advance(ctx, id)
	return s.score(d, err)
}

func (s *scoredSearcher) score(d *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	if d == nil || err != nil {
		return d, err
	}
	score := d.Score
	if s.q.blank {
		score = 1
	}
	if s.docValues != nil {
		for i := range s.values {
			s.values[i] = s.values[i][:0]
		}
		err := s.docValues.VisitDocValues(d.IndexInternalID, func(field string, term []byte) {
			for i, b := range s.q.boosts {
				if b.Field.Name == field {
					s.values[i] = append(s.values[i], term)
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("read doc values: %w", err)
		}
		for i, b := range s.q.boosts {
			score += earned(b, s.values[i])
		}
	}
	// Elasticsearch scores in float32; rounding alike makes equal boosts tie
	// alike, so that the ID decides the order in both engines.
	d.Score = float64(float32(score))
	return d, nil
}

// earned is what one boost adds for a document whose field holds terms
// (nothing when the field is absent).
func earned(b schema.Boost, terms [][]byte) float64 {
	switch b.Field.Type {
	case search.Keyword:
		for _, t := range terms {
			for _, k := range b.Keywords {
				if string(t) == k {
					return b.Weight
				}
			}
		}
	case search.Bool:
		for _, t := range terms {
			for _, v := range b.Bools {
				if (string(t) == "T") == v {
					return b.Weight
				}
			}
		}
	case search.Number, search.Time:
		i, ok := numberTerm(terms)
		if !ok {
			return 0
		}
		v := numeric.Int64ToFloat64(i)
		if b.Field.Type == search.Time {
			v = float64(i / 1e6) // Bleve keeps nanoseconds; decays are in milliseconds
		}
		if b.Decay != nil {
			return b.Weight * b.Decay.Apply(v)
		}
		return b.Value(v)
	}
	return 0
}

// numberTerm decodes a numeric or date field's value from its doc values:
// the prefix-coded term of shift 0 (the others serve range queries).
// A number is a float64's sortable bits, a date Unix nanoseconds.
func numberTerm(terms [][]byte) (int64, bool) {
	for _, t := range terms {
		valid, shift := numeric.ValidPrefixCodedTermBytes(t)
		if !valid || shift != 0 {
			continue
		}
		i, err := numeric.PrefixCoded(t).Int64()
		if err != nil {
			continue
		}
		return i, true
	}
	return 0, false
}
