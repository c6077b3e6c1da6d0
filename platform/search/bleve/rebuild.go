package bleve

import (
	"context"
	"errors"

	"github.com/reelmart/reelmart/platform/search"
)

// Rebuild is not implemented yet; it arrives in the next change.
func (x *Index) Rebuild(ctx context.Context, name string, s search.Schema) (search.Builder, error) {
	return nil, errors.ErrUnsupported
}
