package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// worker runs the background work of a deployment without the API, so that
// many machines can share it. Today that is the periodic sweeps; the job
// queue's kinds (transcode, index) register here as they arrive.
func worker(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "reelmart worker: unexpected argument %q\n", args[0])
		return exitConfig
	}
	m, err := open(ctx, cfg, stderr)
	if err != nil {
		return startupError(stderr, "worker", err)
	}
	defer m.Close()
	if err := m.DB.Migrate(ctx, m.Log); err != nil {
		return startupError(stderr, "worker", &backendError{"REELMART_DATABASE_URL", err})
	}
	m.Log.Info("reelmart worker running", "database", m.DB.String(), "workers", cfg.Workers)
	sweepEvery(ctx, m.Log, "sessions", time.Hour, m.Accounts.Sweep)
	m.Log.Info("worker stopped")
	return exitOK
}
