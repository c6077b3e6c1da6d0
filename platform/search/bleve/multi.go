package bleve

import (
	"context"

	"github.com/reelmart/reelmart/platform/search"
)

// MultiSearch runs each request in turn: Bleve is in process, so there is no
// round trip to save. It returns ctx's error if ctx ends.
func (x *Index) MultiSearch(ctx context.Context, reqs []search.Request) ([]search.Response, error) {
	out := make([]search.Response, len(reqs))
	for i, r := range reqs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i].Result, out[i].Err = x.Search(ctx, r.Index, r.Query)
	}
	return out, nil
}
