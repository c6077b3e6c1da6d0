// Package english is the one English analyzer both search engines use, so
// that a word matches the same documents whichever engine runs: the Unicode
// word tokenizer, possessive ('s) removal, lower case, Lucene's English stop
// words, Porter stemming — the chain of Elasticsearch's "english" analyzer.
//
// Bleve registers it in each index mapping. The Elasticsearch engine runs it
// in Go and sends the terms, because the distribution the project tests on
// (integ-test-zip) lacks the analysis-common module and so has no "english"
// analyzer or any stemmer.
package english

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Name is the analyzer's name in a Bleve index mapping.
const Name = "reelmart_english"

const (
	stopMapName    = "reelmart_english_stop_words"
	stopFilterName = "reelmart_english_stop"
)

// stopWords is Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, which
// Elasticsearch's _english_ also is; Bleve's own list is longer.
func stopWords() []any {
	return []any{
		"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
		"no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
		"they", "this", "to", "was", "will", "with",
	}
}

// Register adds the analyzer, under Name, to a Bleve index mapping. It
// returns an error if the mapping refuses it.
func Register(im *mapping.IndexMappingImpl) error {
	if err := im.AddCustomTokenMap(stopMapName, map[string]any{"type": tokenmap.Name, "tokens": stopWords()}); err != nil {
		return fmt.Errorf("english: stop words: %w", err)
	}
	if err := im.AddCustomTokenFilter(stopFilterName, map[string]any{"type": stop.Name, "stop_token_map": stopMapName}); err != nil {
		return fmt.Errorf("english: stop filter: %w", err)
	}
	err := im.AddCustomAnalyzer(Name, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, stopFilterName, porter.Name},
	})
	if err != nil {
		return fmt.Errorf("english: analyzer: %w", err)
	}
	return nil
}

// Analyzer runs the analyzer outside a Bleve index. It is safe for concurrent use.
type Analyzer struct {
	a analysis.Analyzer
}

// New builds the analyzer. It returns an error if Bleve cannot build it.
func New() (*Analyzer, error) {
	im := mapping.NewIndexMapping()
	if err := Register(im); err != nil {
		return nil, err
	}
	a := im.AnalyzerNamed(Name)
	if a == nil {
		return nil, fmt.Errorf("english: analyzer %s not built", Name)
	}
	return &Analyzer{a: a}, nil
}

// Terms returns the indexed terms of text in order.
func (a *Analyzer) Terms(text string) []string {
	stream := a.a.Analyze([]byte(text))
	out := make([]string, 0, len(stream))
	for _, tok := range stream {
		out = append(out, string(tok.Term))
	}
	return out
}
