package main

import (
	"context"
	"fmt"
	"io"
)

// worker runs the background work of a deployment without the API, so that
// many machines can share it: the job queue (transcodes) and the sweeps.
func worker(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "reelmart worker: unexpected argument %q\n", args[0])
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
	m.Log.Info("reelmart worker running", "database", m.DB.String(), "workers", cfg.Workers)
	workers := cfg.Workers
	if workers == 0 {
		workers = 1 // a worker process exists to work
	}
	m.background(ctx, workers)
	m.Log.Info("worker stopped")
	return exitOK
}
