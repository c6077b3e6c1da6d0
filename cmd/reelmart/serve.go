package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/web"
)

func serve(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "reelmart serve: unexpected argument %q\n", args[0])
		return exitConfig
	}
	// Claim the port first: a clash is the cheapest mistake to report.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return startupError(stderr, "serve", &backendError{"REELMART_ADDR", err})
	}
	defer ln.Close()
	release, err := holdEmbeddedSearch(cfg)
	if err != nil {
		return startupError(stderr, "serve", err)
	}
	defer release()
	m, err := open(ctx, cfg, stderr)
	if err != nil {
		return startupError(stderr, "serve", err)
	}
	defer m.Close()
	if err := m.DB.Migrate(ctx, m.Log); err != nil {
		return startupError(stderr, "serve", &backendError{"REELMART_DATABASE_URL", err})
	}
	if err := m.openChat(ctx); err != nil {
		return startupError(stderr, "serve", err)
	}
	handler := api.New(api.Deps{
		Log:        m.Log,
		Accounts:   m.Accounts,
		Media:      m.Media,
		Catalog:    m.Catalog,
		Checkout:   m.Checkout,
		Engagement: m.Engagement,
		Feed:       m.Feed,
		Chat:       m.Chat,
		Hub:        m.Hub,
		PublicURL:  cfg.PublicURL,
		// The default public URL names one host; a browser that opens
		// another name for it (localhost) is sent there.
		RedirectToPublicURL: cfg.publicURLDerived,
		TrustedProxies:      cfg.TrustedProxies,
		Checks:              m.checks(),
		Metrics:             m.Metrics,
		Blob:                m.BlobHTTP,
		Web:                 web.Dist(),
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}

	var wg sync.WaitGroup
	bg, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.background(bg, jobs.Workers{Long: cfg.Workers, Short: cfg.ShortWorkers})
	}()
	if cfg.Demo != "off" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.firstRun(bg)
		}()
	}

	m.Log.Info("reelmart serving", "addr", ln.Addr().String(), "public_url", cfg.PublicURL,
		"database", m.DB.String(), "workers", cfg.Workers, "short_workers", cfg.ShortWorkers, "currency", cfg.Currency)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		stopBackground()
		wg.Wait()
		m.Log.Error("server stopped", "err", err)
		return exitFailure
	case <-ctx.Done():
	}
	// Sockets first: their clients reconnect to another node while this
	// one finishes its requests.
	m.Log.Info("shutting down: closing sockets, finishing requests in flight")
	m.Hub.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopBackground()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		m.Log.Error("shutdown", "err", err)
		return exitFailure
	}
	m.Log.Info("stopped")
	return exitOK
}
