package bleve

import (
	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/english"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// sourceField holds the normalised document as JSON, stored but not indexed,
// so that Hit.Fields comes back exactly as Elasticsearch's _source does.
// Schema field names cannot start with '_', so it never collides.
const sourceField = "_source"

// newMapping returns the explicit Bleve mapping for s: nothing dynamic, every
// schema field indexed by its type, only sourceField stored.
func newMapping(s *schema.Schema) (*mapping.IndexMappingImpl, error) {
	im := blevesearch.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring // as Elasticsearch
	im.IndexDynamic, im.StoreDynamic, im.DocValuesDynamic = false, false, false
	if err := english.Register(im); err != nil {
		return nil, err
	}
	dm := blevesearch.NewDocumentStaticMapping()
	for _, f := range s.Fields() {
		dm.AddFieldMappingsAt(f.Name, fieldMapping(f))
	}
	src := blevesearch.NewTextFieldMapping()
	src.Index, src.Store, src.DocValues, src.IncludeInAll, src.IncludeTermVectors = false, true, false, false, false
	dm.AddFieldMappingsAt(sourceField, src)
	im.DefaultMapping = dm
	return im, im.Validate()
}

func fieldMapping(f search.Field) *mapping.FieldMapping {
	var fm *mapping.FieldMapping
	switch f.Type {
	case search.Text:
		fm = blevesearch.NewTextFieldMapping()
		fm.Analyzer = english.Name
		fm.DocValues = false // not sortable
	case search.Keyword:
		fm = blevesearch.NewTextFieldMapping()
		fm.Analyzer = keyword.Name
	case search.Number:
		fm = blevesearch.NewNumericFieldMapping()
	case search.Bool:
		fm = blevesearch.NewBooleanFieldMapping()
	default:
		fm = blevesearch.NewDateTimeFieldMapping()
	}
	fm.Store, fm.IncludeInAll, fm.IncludeTermVectors = false, false, false
	return fm
}
