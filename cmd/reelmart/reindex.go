package main

import (
	"context"
	"fmt"
	"io"
)

// reindex rebuilds the search index from the database, for a new search
// cluster, a changed mapping or an index that missed writes.
func reindex(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "reelmart reindex: unexpected argument %q\n", args[0])
		return exitConfig
	}
	m, err := open(ctx, cfg, stderr)
	if err != nil {
		return startupError(stderr, "reindex", err)
	}
	defer m.Close()
	if err := m.DB.Migrate(ctx, m.Log); err != nil {
		return startupError(stderr, "reindex", &backendError{"REELMART_DATABASE_URL", err})
	}
	n, err := m.Catalog.Reindex(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "reelmart reindex: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "reindexed %d products\n", n)
	return exitOK
}
