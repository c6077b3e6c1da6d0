package elastic

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// The hits of a search are read straight from the answer's bytes with
// gjson, walking each _source once and handing every value to the schema,
// instead of decoding them into a map per hit first with encoding/json: a
// feed request reads several hundred hits, and that decoding was most of
// its time on the node and most of its garbage (docs/DECISIONS.md).

// filterPath trims a search answer to what decodeSearch reads, so that
// Elasticsearch neither writes nor sends the rest (_index, sort values).
var filterPath = []string{"hits.total.value", "hits.hits._id", "hits.hits._score", "hits.hits._source"}

// multiFilterPath is filterPath under an _msearch's responses, with each
// response's own error and status.
var multiFilterPath = []string{"responses.hits.total.value", "responses.hits.hits._id", "responses.hits.hits._score",
	"responses.hits.hits._source", "responses.error", "responses.status"}

var errBadAnswer = errors.New("malformed answer")

// decodeSearch reads one search's answer: {"hits": {"total": {"value"},
// "hits": [{"_id", "_score", "_source"}]}}.
func decodeSearch(c *schema.Schema, r gjson.Result) (search.Result, error) {
	hits := r.Get("hits.hits")
	if hits.Exists() && !hits.IsArray() {
		return search.Result{}, errBadAnswer
	}
	out := search.Result{Total: int(r.Get("hits.total.value").Int())}
	out.Hits = []search.Hit{}
	var err error
	hits.ForEach(func(_, h gjson.Result) bool {
		var hit search.Hit
		hit, err = decodeHit(c, h)
		out.Hits = append(out.Hits, hit)
		return err == nil
	})
	if err != nil {
		return search.Result{}, err
	}
	return out, nil
}

func decodeHit(c *schema.Schema, h gjson.Result) (search.Hit, error) {
	if !h.IsObject() {
		return search.Hit{}, errBadAnswer
	}
	var hit search.Hit
	var source gjson.Result
	h.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "_id":
			hit.ID = v.Str
		case "_score":
			hit.Score = v.Num // 0 for a null score
		case "_source":
			source = v
		}
		return true
	})
	if source.Exists() && !source.IsObject() && source.Type != gjson.Null {
		return search.Hit{}, errBadAnswer
	}
	var err error
	hit.Fields = make(map[string]any, len(c.Fields()))
	source.ForEach(func(k, v gjson.Result) bool {
		f, known := c.Field(k.Str)
		if !known || v.Type == gjson.Null {
			return true // stored fields the schema does not declare (@terms, @deleted) are not built
		}
		var dv any
		if dv, err = schema.StoredValue(f, jsonValue(v)); err != nil {
			err = fmt.Errorf("document %q: %w", hit.ID, err)
			return false
		}
		hit.Fields[k.Str] = dv
		return true
	})
	return hit, err
}

// jsonValue is v as encoding/json would decode it into an any.
func jsonValue(v gjson.Result) any {
	switch v.Type {
	case gjson.String:
		return v.Str
	case gjson.Number:
		return v.Num
	case gjson.True:
		return true
	case gjson.False:
		return false
	case gjson.Null:
		return nil
	}
	if v.IsArray() {
		var out []any
		v.ForEach(func(_, e gjson.Result) bool {
			out = append(out, jsonValue(e))
			return true
		})
		return out
	}
	return v.Value()
}

// parseAnswer checks that raw is JSON and parses it.
func parseAnswer(raw []byte) (gjson.Result, error) {
	if !gjson.ValidBytes(raw) {
		return gjson.Result{}, errBadAnswer
	}
	return gjson.ParseBytes(raw), nil
}

// decodeMulti reads an _msearch answer with n responses, each a search's
// answer or its own error.
func decodeMulti(raw []byte, n int) ([]gjson.Result, error) {
	answer, err := parseAnswer(raw)
	if err != nil {
		return nil, err
	}
	resps := answer.Get("responses")
	if !resps.IsArray() {
		return nil, errBadAnswer
	}
	out := make([]gjson.Result, 0, n)
	resps.ForEach(func(_, r gjson.Result) bool {
		out = append(out, r)
		return true
	})
	if len(out) != n {
		return nil, fmt.Errorf("%d responses to %d searches", len(out), n)
	}
	return out, nil
}

// responseError is the error of one response of an _msearch, or nil.
func responseError(r gjson.Result) *apiError {
	e := r.Get("error")
	if !e.Exists() {
		return nil
	}
	ae := &apiError{Status: int(r.Get("status").Int())}
	var eb errorBody
	if json.Unmarshal([]byte(e.Raw), &eb) == nil {
		ae.Type, ae.Reason = eb.Type, eb.Reason
	}
	return ae
}
