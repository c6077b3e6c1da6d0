package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

// MultiSearch sends every request that passes its checks in one _msearch.
// A request for a missing index or with an invalid query fails its own
// Response; the error return is for a failure of the whole call.
func (x *Index) MultiSearch(ctx context.Context, reqs []search.Request) ([]search.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]search.Response, len(reqs))
	schemas := make([]*schema.Schema, len(reqs))
	var body [][]byte
	var sent []int // the request behind each search in the body
	for i, r := range reqs {
		t, err := x.lookup(ctx, r.Index)
		var cq schema.Query
		if err == nil {
			schemas[i] = t.live.schema
			cq, err = t.live.schema.Query(r.Query)
		}
		if err != nil {
			if !errors.Is(err, search.ErrNotFound) && !errors.Is(err, search.ErrInvalid) {
				return nil, fmt.Errorf("search/elastic: multi-search: %w", err)
			}
			out[i].Err = x.wrap("search", r.Index, err)
			continue
		}
		header, err := json.Marshal(clause{"index": x.index(r.Index)})
		if err != nil {
			return nil, err
		}
		q, err := json.Marshal(x.newSearchRequest(cq))
		if err != nil {
			return nil, err
		}
		body = append(body, ndjson(header, q))
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		return out, nil
	}
	raw, err := x.call(ctx, esapi.MsearchRequest{Body: bytes.NewReader(bytes.Join(body, nil)), FilterPath: multiFilterPath})
	if err != nil {
		return nil, fmt.Errorf("search/elastic: multi-search: %w", err)
	}
	resps, err := decodeMulti(raw, len(sent))
	if err != nil {
		return nil, fmt.Errorf("search/elastic: multi-search: decode: %w", err)
	}
	for j, r := range resps {
		i := sent[j]
		name := reqs[i].Index
		if ae := responseError(r); ae != nil {
			out[i].Err = x.wrap("search", name, x.notFound(name, ae))
			continue
		}
		out[i].Result, out[i].Err = decodeSearch(schemas[i], r)
		out[i].Err = x.wrap("search", name, out[i].Err)
	}
	return out, nil
}
