package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/internal/demo"
	"github.com/reelmart/reelmart/media"
)

// seed loads the demo world (internal/demo) and follows its videos until
// they are ready. It is idempotent: what exists is left as it is.
//
// It never opens the search index. On the embedded defaults a running
// serve holds the Bleve folder, and indexing belongs to the processes that
// run jobs anyway: seed writes the database and the blob store, enqueues a
// catalog.reindex job for the products, and the videos' transcode jobs do
// the rest. So it works the same with or without a running serve; without
// one, the jobs wait for the next start.
//
// "seed quick" makes every clip one second of 144×256, for tests and quick trials.
func seed(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 || len(args) == 1 && args[0] != "quick" {
		fmt.Fprintf(stderr, "reelmart seed: want no argument or \"quick\", got %q\n", args)
		return exitConfig
	}
	cfg.searchDeferred = true
	m, err := open(ctx, cfg, stderr)
	if err != nil {
		return startupError(stderr, "seed", err)
	}
	defer m.Close()
	if err := m.DB.Migrate(ctx, m.Log); err != nil {
		return startupError(stderr, "seed", &backendError{"REELMART_DATABASE_URL", err})
	}
	start := time.Now()
	seeder := m.seeder(demo.Options{Quick: len(args) == 1})
	sum, err := seeder.Run(ctx, func(p demo.Progress) {
		fmt.Fprintf(stdout, "seed [%d/%d] %s\n", p.Done, p.Total, p.Step)
	})
	// Whatever products were written, even by a run cut short, get indexed.
	if _, qerr := m.Jobs.Enqueue(context.WithoutCancel(ctx), nil, catalog.ReindexKind, nil); qerr != nil {
		fmt.Fprintf(stderr, "reelmart seed: queue the product index rebuild (run `reelmart reindex` later): %v\n", qerr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "reelmart seed: %v\n", oneLine(err.Error()))
		return exitFailure
	}
	fmt.Fprintf(stdout, "seed: %d made, %d already there, in %s\n", sum.Created, sum.Existing, time.Since(start).Round(100*time.Millisecond))
	return followVideos(ctx, seeder, stdout)
}

// stallAfter is how long seed waits for a demo video to make progress
// before it concludes that no serve or worker is running the queue.
const stallAfter = time.Minute

// followVideos prints the demo videos' progress until none is processing.
// When nothing moves for stallAfter it stops and says why.
func followVideos(ctx context.Context, seeder *demo.Seeder, stdout io.Writer) int {
	last, lastChange := "", time.Now()
	for {
		states, err := seeder.Videos(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return exitOK
			}
			fmt.Fprintf(stdout, "seed: cannot read the videos' state: %v\n", err)
			return exitFailure
		}
		ready, processing, failed, sum := 0, 0, 0, 0.0
		for _, s := range states {
			switch s.Status {
			case media.StatusReady:
				ready++
			case media.StatusProcessing:
				processing++
				sum += s.Progress
			case media.StatusFailed:
				failed++
			}
		}
		line := fmt.Sprintf("seed: videos %d/%d ready", ready, len(states))
		if processing > 0 {
			line += fmt.Sprintf(", %d processing (%.0f%% on average)", processing, 100*sum/float64(processing))
		}
		if failed > 0 {
			line += fmt.Sprintf(", %d failed", failed)
		}
		if line != last {
			fmt.Fprintln(stdout, line)
			last, lastChange = line, time.Now()
		}
		switch {
		case processing == 0 && failed > 0:
			fmt.Fprintln(stdout, "seed: some demo videos failed; run `reelmart seed` again to publish them anew")
			return exitFailure
		case processing == 0:
			fmt.Fprintln(stdout, "seed: done; sign in as any demo account (see the README) with the password "+demo.Password)
			return exitOK
		case time.Since(lastChange) > stallAfter:
			fmt.Fprintln(stdout, "seed: the videos are queued but nothing is transcoding them; they will be processed while `reelmart serve` (or `reelmart worker`) runs")
			return exitOK
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(2 * time.Second):
		}
	}
}
