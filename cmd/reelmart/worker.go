package main

import (
	"context"
	"fmt"
	"io"

	"github.com/reelmart/reelmart/platform/jobs"
)

// worker runs the background work of a deployment without the API, so that
// many machines can share it: both job queues (transcodes; index writes and
// other short jobs) and the sweeps.
func worker(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "reelmart worker: unexpected argument %q\n", args[0])
		return exitConfig
	}
	if cfg.Workers+cfg.ShortWorkers == 0 {
		fmt.Fprintln(stderr, "reelmart worker: REELMART_WORKERS and REELMART_SHORT_WORKERS are both 0: this worker would run nothing")
		return exitConfig
	}
	release, err := holdEmbeddedSearch(cfg)
	if err != nil {
		return startupError(stderr, "worker", err)
	}
	defer release()
	m, err := open(ctx, cfg, stderr)
	if err != nil {
		return startupError(stderr, "worker", err)
	}
	defer m.Close()
	if err := m.DB.Migrate(ctx, m.Log); err != nil {
		return startupError(stderr, "worker", &backendError{"REELMART_DATABASE_URL", err})
	}
	m.Log.Info("reelmart worker running", "database", m.DB.String(), "workers", cfg.Workers, "short_workers", cfg.ShortWorkers)
	m.background(ctx, jobs.Workers{Long: cfg.Workers, Short: cfg.ShortWorkers})
	m.Log.Info("worker stopped")
	return exitOK
}
