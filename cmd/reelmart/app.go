package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/bus"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/imaging"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search"
)

// Main is one wired process: its backends and the services built on them.
type Main struct {
	Config   *Config
	Log      *slog.Logger
	DB       *db.DB
	Blob     blob.Store
	BlobHTTP http.Handler // signed-URL server for local-disk blobs; nil on S3
	Search   search.Index
	Jobs     *jobs.Queue
	Accounts *account.Service
	Media    *media.Service
	Catalog  *catalog.Service
	Checkout *checkout.Service
	// Engagement records watch events, likes and comments and keeps the
	// counters and interest profiles built from them.
	Engagement *engagement.Service
	// Feed ranks the feed and keeps the videos index.
	Feed    *feed.Service
	Metrics *prometheus.Registry

	// Chat is opened by serve only (openChat): workers deliver nothing.
	Bus  bus.Bus
	Chat *chat.Service
	Hub  *chat.Hub
}

// open connects every backend and builds the services. Any failure is a
// *backendError naming the variable to fix; what was opened is closed again.
func open(ctx context.Context, cfg *Config, stderr io.Writer) (*Main, error) {
	m := &Main{Config: cfg, Log: slog.New(slog.NewJSONHandler(stderr, nil))}
	var err error
	if m.DB, err = openDB(ctx, cfg); err != nil {
		return nil, err
	}
	if m.Blob, m.BlobHTTP, err = openBlob(ctx, cfg); err != nil {
		m.Close()
		return nil, err
	}
	if cfg.searchDeferred {
		m.Search = deferredIndex{}
	} else if m.Search, err = openSearch(ctx, cfg); err != nil {
		m.Close()
		return nil, err
	}
	// Engagement, the catalog and media tell the feed what changed; the
	// feed is built last, so they reach it through videosChanged.
	reindex := videosChanged{m}
	forgetViewer := func(ctx context.Context, tx *sql.Tx, id string) error { return m.Feed.ForgetViewer(ctx, tx, id) }
	mergeViewer := func(ctx context.Context, tx *sql.Tx, from, to string) error {
		return m.Feed.MergeViewer(ctx, tx, from, to)
	}
	if m.Engagement, err = engagement.NewService(engagement.Deps{DB: m.DB, Log: m.Log, Reindexer: reindex, Blocks: hiddenUsers{m},
		AvatarURL: func(userID, avatarID string) *string { return m.Accounts.AvatarURL(userID, avatarID) },
		Mergers:   []engagement.ViewerMerger{mergeViewer}}, engagement.Config{}); err != nil {
		m.Close()
		return nil, err
	}
	// One image processor bounds the decodes of every kind of upload.
	images := imaging.New(imaging.Limits{})
	// The queue needs the handlers before the services that enqueue exist;
	// the closures read the fields once the services are built below.
	m.Jobs, err = jobs.Open(ctx, m.DB, m.Log, append(m.feedKinds(), jobs.Kind{
		Name:        media.TranscodeKind,
		Queue:       jobs.QueueLong,
		MaxAttempts: 3,
		// Past the sandbox's own limit, so the child is killed (and the
		// attempt fails cleanly) before the job's context ends.
		Timeout: transcodeTimeout + 5*time.Minute,
		Handler: func(ctx context.Context, j jobs.Job) error { return m.Media.TranscodeJob(ctx, j) },
	}, jobs.Kind{
		Name:        catalog.IndexKind,
		Queue:       jobs.QueueShort,
		MaxAttempts: jobs.Forever, // until the index takes the write
		Timeout:     time.Minute,
		Handler:     func(ctx context.Context, j jobs.Job) error { return m.Catalog.IndexJob(ctx, j) },
	}, jobs.Kind{
		Name:        catalog.ReindexKind,
		Queue:       jobs.QueueShort, // as feed.rebuild (cmd/reelmart/feed.go): never behind transcodes
		MaxAttempts: 3,
		Timeout:     time.Hour,
		Handler:     func(ctx context.Context, j jobs.Job) error { return m.Catalog.ReindexJob(ctx, j) },
	}, jobs.Kind{
		// Periodic and leader-run: one process adds stored engagement events
		// to the counters and hands changed videos to the index every tick.
		// A failed run needs no retry; the next tick does its work.
		Name:        engagement.AggregateKind,
		Queue:       jobs.QueueShort,
		Every:       aggregateEvery,
		MaxAttempts: 1,
		Handler: func(ctx context.Context, _ jobs.Job) error {
			_, err := m.Engagement.Aggregate(ctx)
			return err
		},
	})...)
	if err != nil {
		m.Close()
		return nil, &backendError{"REELMART_DATABASE_URL", err}
	}
	m.Accounts = account.NewService(m.DB, account.Config{
		Erasers: []account.Eraser{m.Engagement.EraseUser, forgetViewer},
		Blobs:   m.Blob, Images: images, AvatarURLPrefix: cfg.PublicURL + "/api/v1", Log: m.Log,
	}, time.Now)
	m.Catalog = catalog.NewService(m.DB, m.Blob, m.Search, catalog.Config{
		Currency: cfg.Currency, Log: m.Log, ImageURLPrefix: cfg.PublicURL + "/api/v1", Jobs: m.Jobs, Videos: reindex, Images: images,
	}, time.Now)
	m.Checkout = checkout.NewService(m.DB, m.Catalog, checkout.Config{Currency: cfg.Currency, Log: m.Log}, time.Now)
	m.Media, err = media.NewService(media.Deps{
		DB:         m.DB,
		Blob:       m.Blob,
		Transcoder: transcode.Sandbox{Timeout: transcodeTimeout}, // the child is this same binary
		Jobs:       m.Jobs,
		Products:   m.Catalog.Pins(),
		Index:      reindex,
		Log:        m.Log,
		AvatarURL:  m.Accounts.AvatarURL,
	}, media.Config{StagingDir: filepath.Join(cfg.DataDir, "uploads"), PublicURL: cfg.PublicURL})
	if err != nil {
		m.Close()
		return nil, err
	}
	m.Feed, err = feed.NewService(feed.Deps{DB: m.DB, Index: m.Search, Jobs: m.Jobs, Videos: m.Media,
		Signals: feed.EngagementSignals{Service: m.Engagement}, Follows: m.Accounts, Users: m.Accounts, Blocks: m.Accounts, Log: m.Log}, feed.Config{})
	if err != nil {
		m.Close()
		return nil, err
	}
	m.Metrics = prometheus.NewRegistry()
	m.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m, nil
}

// aggregateEvery is how often stored engagement events are added to the
// counters and changed videos handed to the index: half the 10 s the
// counters may lag, so a batch that just missed a run still makes it.
const aggregateEvery = 5 * time.Second

// openChat connects the bus between API nodes — in process on SQLite,
// LISTEN/NOTIFY on PostgreSQL — and builds chat and this node's hub.
func (m *Main) openChat(ctx context.Context) error {
	b, err := openBus(ctx, m.Config, m.DB, m.Log)
	if err != nil {
		return err
	}
	m.Bus = b
	m.Chat = chat.NewService(chat.Deps{
		DB: m.DB, Bus: b, Products: m.Catalog, Shops: m.Catalog, Orders: m.Checkout, Videos: m.Media, Blocks: m.Accounts,
		AvatarURL: m.Accounts.AvatarURL, Log: m.Log,
	}, chat.Config{}, time.Now)
	m.Hub = m.Chat.NewHub()
	return nil
}

// transcodeTimeout bounds one sandboxed transcode: a 10-minute 4K upload on two cores fits.
const transcodeTimeout = 45 * time.Minute

// Close releases every backend that was opened.
func (m *Main) Close() {
	if m.Hub != nil {
		m.Hub.Close()
	}
	if m.Bus != nil {
		_ = m.Bus.Close()
	}
	if m.Jobs != nil {
		_ = m.Jobs.Close()
	}
	if m.Search != nil {
		_ = m.Search.Close()
	}
	if m.DB != nil {
		_ = m.DB.Close()
	}
}

// checks are what /readyz pings.
func (m *Main) checks() []api.Check {
	return []api.Check{
		{Name: "database", Ping: m.DB.PingContext},
		{Name: "blob", Ping: m.Blob.Ping},
		{Name: "search", Ping: m.Search.Ping, Optional: true}, // the feed falls back to the database
	}
}

// startupError prints err as one line for the operator and returns the exit code.
func startupError(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "reelmart %s: %s\n", cmd, oneLine(err.Error()))
	var be *backendError
	if errors.As(err, &be) {
		return exitConfig
	}
	return exitFailure
}

// sweepEvery runs fn now and then every interval until ctx ends, logging failures.
func sweepEvery(ctx context.Context, log *slog.Logger, name string, interval time.Duration, fn func(context.Context) (int64, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := fn(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("sweep failed", "sweep", name, "err", err)
		case n > 0:
			log.Info("sweep removed rows", "sweep", name, "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// oneLine folds a multi-line driver message (pgx lists each connection
// attempt on its own line) into one line, dropping repeated parts.
func oneLine(msg string) string {
	seen := map[string]bool{}
	var parts []string
	for _, p := range strings.Split(msg, "\n") {
		p = strings.TrimSpace(p)
		if p != "" && !seen[p] {
			seen[p] = true
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// background runs the periodic sweeps and, with any workers, the job queue
// (both of its queues), until ctx ends. serve runs it beside the API;
// worker runs only this.
func (m *Main) background(ctx context.Context, workers jobs.Workers) {
	var wg sync.WaitGroup
	run := func(fn func()) {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	run(func() { sweepEvery(ctx, m.Log, "sessions", time.Hour, m.Accounts.Sweep) })
	run(func() { sweepEvery(ctx, m.Log, "uploads", time.Hour, m.Media.Sweep) })
	// An unpaid order holds its stock until it is cancelled, also after it
	// expires; placing an order cancels expired ones itself before it
	// answers out_of_stock, so the sweep only tidies up and a minute is
	// soon enough.
	run(func() { sweepEvery(ctx, m.Log, "expired orders", time.Minute, m.Checkout.Sweep) })
	// A sold-out SKU whose placement's process died before the search index
	// heard of it: a minute of a product wrongly in stock at worst.
	run(func() { sweepEvery(ctx, m.Log, "sold-out SKUs for search", time.Minute, m.Catalog.SweepStockFlips) })
	run(func() { sweepEvery(ctx, m.Log, "engagement", time.Hour, m.Engagement.Sweep) })
	run(func() { sweepEvery(ctx, m.Log, "feed sessions", time.Hour, m.Feed.Sweep) })
	if workers.Long+workers.Short > 0 {
		run(func() {
			if err := m.Jobs.Work(ctx, workers); err != nil {
				m.Log.Error("job queue stopped", "err", err)
			}
		})
	}
	wg.Wait()
}
