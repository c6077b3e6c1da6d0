// Command feedbench prepares and cleans up the feed benchmark
// (make bench-feed, scripts/bench-feed.sh): it loads a world into a fresh
// PostgreSQL database, builds its videos index on Elasticsearch and on
// Bleve, and writes vegeta targets for GET /feed (signed-in viewers) and for
// the same candidate multi-searches sent straight to Elasticsearch.
//
//	feedbench load -admin postgres://… -es http://… -addr host:port -out DIR
//	feedbench record -es http://… -out DIR   (again, after a change to the candidate queries)
//	feedbench drop -admin postgres://… -db NAME
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: feedbench load|record|drop [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	var cfg loadConfig
	fs.StringVar(&cfg.admin, "admin", "", "postgres:// URL of a server the benchmark may create a database on")
	fs.StringVar(&cfg.es, "es", "", "http:// URL of the benchmark's Elasticsearch")
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:58091", "address the benchmarked server will listen on (for the targets)")
	fs.StringVar(&cfg.out, "out", "", "directory for the targets, the Bleve index and the summary")
	fs.StringVar(&cfg.dbName, "db", "", "drop: the database to drop")
	fs.IntVar(&cfg.videos, "videos", 100_000, "ready videos")
	fs.IntVar(&cfg.viewers, "viewers", 10_000, "signed-in viewers with interest profiles")
	fs.IntVar(&cfg.creators, "creators", 2_000, "creators")
	fs.IntVar(&cfg.record, "record", 2_000, "viewers whose candidate queries are recorded for the raw Elasticsearch run")
	fs.BoolVar(&cfg.bleve, "bleve", true, "also build the Bleve index (about 18 minutes for 100,000 videos on 2 cores)")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "load":
		err = load(ctx, cfg)
	case "record":
		err = record(ctx, cfg)
	case "drop":
		err = drop(ctx, cfg.admin, cfg.dbName)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}
