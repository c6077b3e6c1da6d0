package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"

	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/blob/s3"
	"github.com/reelmart/reelmart/platform/bus"
	"github.com/reelmart/reelmart/platform/bus/memory"
	buspg "github.com/reelmart/reelmart/platform/bus/postgres"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/bleve"
	"github.com/reelmart/reelmart/platform/search/elastic"
)

// backendError is a failure to open a configured backend; it names the
// variable so the operator knows which setting to fix.
type backendError struct {
	variable string
	err      error
}

func (e *backendError) Error() string { return e.variable + ": " + e.err.Error() }
func (e *backendError) Unwrap() error { return e.err }

// openBus picks the chat bus by database: nodes on one PostgreSQL find
// each other through it; a SQLite deployment is one node.
func openBus(ctx context.Context, cfg *Config, d *db.DB, log *slog.Logger) (bus.Bus, error) {
	if d.Dialect() != db.Postgres {
		return memory.New(), nil
	}
	b, err := buspg.Open(ctx, cfg.DatabaseURL, buspg.Options{Log: log})
	if err != nil {
		return nil, &backendError{"REELMART_DATABASE_URL", redact(err)}
	}
	return b, nil
}

func openDB(ctx context.Context, cfg *Config) (*db.DB, error) {
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, &backendError{"REELMART_DATABASE_URL", err}
	}
	return d, nil
}

// openBlob picks the object store by URL scheme: none or file: is a folder on
// local disk (signed URLs served by this process under /blob), s3:// is MinIO
// or any S3. The returned handler is nil for S3, whose URLs are presigned.
func openBlob(ctx context.Context, cfg *Config) (blob.Store, http.Handler, error) {
	fail := func(err error) (blob.Store, http.Handler, error) {
		return nil, nil, &backendError{"REELMART_BLOB_URL", err}
	}
	dir := filepath.Join(cfg.DataDir, "blobs")
	if cfg.BlobURL != "" {
		u, err := url.Parse(cfg.BlobURL)
		if err != nil {
			return fail(fmt.Errorf("malformed URL: %v", redact(err)))
		}
		switch u.Scheme {
		case "s3":
			st, err := s3.Open(ctx, cfg.BlobURL)
			if err != nil {
				return fail(err)
			}
			return st, nil, nil
		case "file":
			dir = u.Path
			if u.Opaque != "" {
				dir = u.Opaque
			}
		default:
			return fail(fmt.Errorf("unknown scheme %q (want s3:// or file://)", u.Scheme))
		}
	}
	secret, err := local.LoadOrCreateSecret(filepath.Join(cfg.DataDir, "blob-url.key"))
	if err != nil {
		return fail(err)
	}
	st, err := local.New(dir, local.Options{BaseURL: cfg.PublicURL + "/blob", Secret: secret})
	if err != nil {
		return fail(err)
	}
	return st, st.Handler(), nil
}

// openSearch picks the search engine by URL scheme: none or bleve: is an
// embedded Bleve index in the data dir, http(s):// is Elasticsearch.
func openSearch(ctx context.Context, cfg *Config) (search.Index, error) {
	fail := func(err error) (search.Index, error) { return nil, &backendError{"REELMART_SEARCH_URL", err} }
	dir, err := embeddedSearchDir(cfg)
	if err != nil {
		return fail(err)
	}
	if dir == "" {
		ix, err := elastic.Open(ctx, cfg.SearchURL)
		if err != nil {
			return fail(err)
		}
		return ix, nil
	}
	ix, err := bleve.Open(dir)
	if err != nil {
		return fail(err)
	}
	return ix, nil
}

// embeddedSearchDir returns the folder of the embedded search engine, or ""
// when REELMART_SEARCH_URL names Elasticsearch.
func embeddedSearchDir(cfg *Config) (string, error) {
	if cfg.SearchURL == "" {
		return filepath.Join(cfg.DataDir, "search"), nil
	}
	u, err := url.Parse(cfg.SearchURL)
	if err != nil {
		return "", fmt.Errorf("malformed URL: %v", redact(err))
	}
	switch u.Scheme {
	case "http", "https":
		return "", nil
	case "bleve":
		if u.Opaque != "" {
			return u.Opaque, nil
		}
		return u.Path, nil
	default:
		return "", fmt.Errorf("unknown scheme %q (want http(s):// for Elasticsearch or bleve:)", u.Scheme)
	}
}

// redact keeps url.Parse errors from echoing a URL that may hold a password.
func redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
