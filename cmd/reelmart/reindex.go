package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/reelmart/reelmart/platform/jobs"
)

// reindex rebuilds the search indexes (videos, then products) from the
// database, for a new search cluster, a changed mapping or an index that
// missed writes. On Elasticsearch it rebuilds here, beside the serving
// nodes, without downtime. The embedded engine's folder belongs to one
// process: when serve holds it, the rebuild is handed to serve as a job and
// followed from the database until it ends.
func reindex(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "reelmart reindex: unexpected argument %q\n", args[0])
		return exitConfig
	}
	release, err := holdEmbeddedSearch(cfg)
	inServer := errors.Is(err, errSearchHeld)
	if err != nil && !inServer {
		return startupError(stderr, "reindex", err)
	}
	if !inServer {
		defer release()
	}
	m, err := open(ctx, cfg, stderr)
	if err != nil {
		return startupError(stderr, "reindex", err)
	}
	defer m.Close()
	if err := m.DB.Migrate(ctx, m.Log); err != nil {
		return startupError(stderr, "reindex", &backendError{"REELMART_DATABASE_URL", err})
	}
	if inServer {
		return reindexInServer(ctx, m, stdout, stderr)
	}
	last := time.Time{}
	videos, err := m.Feed.Rebuild(ctx, func(done, total int64) {
		if time.Since(last) >= time.Second || done == total {
			fmt.Fprintf(stdout, "videos: %d of %d\n", done, total)
			last = time.Now()
		}
	})
	if err != nil {
		fmt.Fprintf(stderr, "reelmart reindex: %v\n", err)
		return exitFailure
	}
	products, err := m.Catalog.Reindex(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "reelmart reindex: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "reindexed %d videos and %d products\n", videos, products)
	return exitOK
}

// reindexInServer hands the rebuild to the serving process and reports its
// progress until the job ends (or this command is interrupted: the rebuild
// then carries on in the server).
func reindexInServer(ctx context.Context, m *Main, stdout, stderr io.Writer) int {
	id, err := m.Feed.RequestRebuild(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "reelmart reindex: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "the embedded search folder belongs to the running server; it rebuilds the indexes (job %d)\n", id)
	var shown int64 = -1
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "reelmart reindex: stopped following; the server carries on with job %d\n", id)
			return exitFailure
		case <-time.After(time.Second):
		}
		if p, err := m.Feed.RebuildProgress(ctx); err == nil && p.Done != shown && p.Total > 0 {
			fmt.Fprintf(stdout, "videos: %d of %d\n", p.Done, p.Total)
			shown = p.Done
		}
		st, err := m.Jobs.State(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "reelmart reindex: %v\n", err)
			return exitFailure
		}
		switch st.State {
		case jobs.StateCompleted:
			fmt.Fprintln(stdout, "reindexed videos and products")
			return exitOK
		case jobs.StateDiscarded, jobs.StateCancelled:
			msg := "failed"
			if n := len(st.Errors); n > 0 {
				msg = st.Errors[n-1].Message
			}
			fmt.Fprintf(stderr, "reelmart reindex: %s\n", msg)
			return exitFailure
		}
	}
}
