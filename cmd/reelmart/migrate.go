package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/reelmart/reelmart/platform/jobs"
)

// migrate applies pending migrations ("migrate" or "migrate up") or reports
// the schema state ("migrate status"). It opens only the database.
func migrate(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	if action != "up" && action != "status" || len(args) > 1 {
		fmt.Fprintf(stderr, "reelmart migrate: want \"up\" or \"status\", got %q\n", args)
		return exitConfig
	}
	d, err := openDB(ctx, cfg)
	if err != nil {
		return startupError(stderr, "migrate", err)
	}
	defer d.Close()
	if action == "up" {
		log := slog.New(slog.NewTextHandler(stderr, nil))
		if err := d.Migrate(ctx, log); err != nil {
			fmt.Fprintf(stderr, "reelmart migrate: %v\n", err)
			return exitFailure
		}
		// The job queue keeps its own tables; opening it migrates them.
		q, err := jobs.Open(ctx, d, log)
		if err != nil {
			fmt.Fprintf(stderr, "reelmart migrate: job queue: %v\n", err)
			return exitFailure
		}
		_ = q.Close()
	}
	version, pending, err := d.MigrationStatus(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "reelmart migrate: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s: schema version %d, %d pending\n", d, version, pending)
	return exitOK
}
