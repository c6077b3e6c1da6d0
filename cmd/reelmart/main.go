// Command reelmart is the whole service in one binary: the API and web app
// (serve), background workers (worker), schema migrations (migrate) and demo
// content (seed). It reads its configuration from REELMART_* variables and
// flags, and wires every part explicitly; nothing else reads the environment.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitConfig  = 2 // bad usage, bad configuration or an unreachable backend at start
)

const usage = `reelmart — short-video commerce in one binary.

Usage:
  reelmart <command> [flags]

Commands:
  serve     Run the HTTP API (under /api/v1) and the web app, plus background
            workers for both job queues in the same process (REELMART_WORKERS
            transcodes, REELMART_SHORT_WORKERS short jobs). Applies pending
            migrations first.
  worker    Run background jobs (transcoding, indexing, sweeps) without the API,
            to scale work out across machines that share the database.
  migrate   Apply pending database migrations and print the schema version.
            "migrate status" prints the version and the pending count only.
  seed      Load the demo world (creators, shops, products, videos, orders) and
            follow its videos until they are ready. Idempotent; works while
            serve runs. "seed quick" makes one-second clips.
  reindex   Rebuild the search index from the database (the source of truth).
  transcode Internal: one sandboxed FFmpeg job, started by serve and worker.
  help      Show this text, or "reelmart help <command>" for a command's flags.

Every command reads the same configuration, each from a REELMART_* variable or
the flag of the same name (flags win):

  --addr          REELMART_ADDR          listen address (default 127.0.0.1:8080)
  --data-dir      REELMART_DATA_DIR      data directory for embedded backends (default ./data)
  --database-url  REELMART_DATABASE_URL  postgres://… for PostgreSQL (default: SQLite in the data dir)
  --blob-url      REELMART_BLOB_URL      s3://KEY:SECRET@host:port/bucket?secure=false for MinIO/S3
                                         (default: a folder in the data dir)
  --search-url    REELMART_SEARCH_URL    http://host:9200 for Elasticsearch (default: Bleve in the data dir)
  --public-url    REELMART_PUBLIC_URL    the URL browsers reach this server at (default http://<addr>)
  --currency      REELMART_CURRENCY      ISO 4217 code of the deployment's money (default USD)
  --workers       REELMART_WORKERS       transcodes (long jobs) this process runs at once (default 1)
  --short-workers REELMART_SHORT_WORKERS short jobs (index writes, fan-out) run at once (default 4)
  --demo          REELMART_DEMO          on: serve seeds the demo world into an empty database;
                                         quick: the same with one-second clips (default off;
                                         make run turns it on)
  --trusted-proxies REELMART_TRUSTED_PROXIES
                                         IPs or CIDR ranges (comma-separated) of the load
                                         balancers whose X-Forwarded-For names the client
                                         (default none: the client is the TCP peer)

A bad value or an unreachable backend stops the command with one line naming
the variable and the cause, and exit code 2.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitConfig
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "-help", "help":
		if len(rest) > 0 && rest[0] != "help" {
			return run(ctx, []string{rest[0], "--help"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	case "transcode": // internal, needs no configuration
		return transcodeChild(ctx, rest, stdout, stderr)
	}
	commands := map[string]func(context.Context, *Config, []string, io.Writer, io.Writer) int{
		"serve":   serve,
		"worker":  worker,
		"migrate": migrate,
		"seed":    seed,
		"reindex": reindex,
	}
	fn, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "reelmart: unknown command %q (try reelmart --help)\n", cmd)
		return exitConfig
	}
	cfg, rest, err := parseConfig(cmd, rest, getenv, stderr)
	if err == errHelp {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "reelmart %s: %v\n", cmd, err)
		return exitConfig
	}
	return fn(ctx, cfg, rest, stdout, stderr)
}
