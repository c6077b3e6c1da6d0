package bleve

import (
	"context"
	"runtime"
	"sync"

	"github.com/reelmart/reelmart/platform/search"
)

// MultiSearch runs the requests side by side, as many at once as there are
// processors: Bleve is in process, so there is no round trip to save, but
// a feed's candidate queries need not wait for each other. It returns ctx's
// error if ctx ends.
func (x *Index) MultiSearch(ctx context.Context, reqs []search.Request) ([]search.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]search.Response, len(reqs))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, r := range reqs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			out[i].Result, out[i].Err = x.Search(ctx, r.Index, r.Query)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
