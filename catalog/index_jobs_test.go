package catalog_test

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/elastic/elastictest"
)

// withJobs builds the env's service with a real job queue on its database
// that runs the catalog's index jobs, retrying fast, and counts the
// attempts that failed.
func withJobs(t *testing.T, d *db.DB, opts ...func(*envOptions)) (*env, *atomic.Int64) {
	t.Helper()
	var svc atomic.Pointer[catalog.Service]
	var failed atomic.Int64
	q, err := jobs.OpenWith(ctx, d, slog.New(slog.DiscardHandler), jobs.Options{
		Backoff:           func(int) time.Duration { return 100 * time.Millisecond },
		PollInterval:      50 * time.Millisecond,
		ShortPollInterval: 50 * time.Millisecond,
	}, jobs.Kind{Name: catalog.IndexKind, Queue: jobs.QueueShort, MaxAttempts: jobs.Forever, Timeout: 30 * time.Second, Handler: func(ctx context.Context, j jobs.Job) error {
		err := svc.Load().IndexJob(ctx, j)
		if err != nil {
			failed.Add(1)
		}
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, d, append(opts, withConfig(catalog.Config{Jobs: q}))...)
	svc.Store(e.svc)
	work, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := q.Work(work, jobs.Workers{Short: 2}); err != nil {
			t.Errorf("Work: %v", err)
		}
	}()
	t.Cleanup(func() {
		stop()
		<-done
		q.Close()
	})
	return e, &failed
}

// eventually polls cond every 50 ms until it holds, failing after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > limit {
			t.Fatalf("%s: not after %s", what, limit)
		}
	}
}

// TestIndexWriteRetriedUntilItSucceeds makes the cluster refuse writes to
// the products index: a change still commits, its index job fails and is
// retried, and once the cluster takes writes again the index catches up.
func TestIndexWriteRetriedUntilItSucceeds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ix := elastictest.Open(t, "catalog-jobs", catalog.IndexName)
		e, failed := withJobs(t, d, withIndex(ix))
		ana := e.user("ana")
		p := e.product(ana, e.shop(ana, "Ana").ID, "Copper teapot", catalog.StatusActive)
		eventually(t, 5*time.Second, "new product searchable", func() bool { return slices.Equal(e.findIDs("teapot"), []string{p.ID}) })

		elastictest.BlockWrites(t, ix, catalog.IndexName, true)
		t.Cleanup(func() { elastictest.BlockWrites(t, ix, catalog.IndexName, false) })
		if _, err := e.svc.UpdateProduct(ctx, ana, p.ID, catalog.ProductPatch{Title: ptr("Copper kettle")}); err != nil {
			t.Fatalf("a change must commit while the index refuses writes: %v", err)
		}
		eventually(t, 10*time.Second, "index job failing and retried", func() bool { return failed.Load() >= 2 })
		if got := e.findIDs("kettle"); len(got) != 0 {
			t.Fatalf("kettle found while writes are blocked: %v", got)
		}

		elastictest.BlockWrites(t, ix, catalog.IndexName, false)
		start := time.Now()
		defer func() {
			t.Logf("caught up %s after writes resumed, after %d failed attempts", time.Since(start), failed.Load())
		}()
		eventually(t, 30*time.Second, "index caught up after writes resumed", func() bool {
			return slices.Equal(e.findIDs("kettle"), []string{p.ID})
		})
	})
}

// TestStockChangedTxIsDurable changes availability the way checkout does,
// inside its own transaction, and relies on nothing after the commit: the
// job enqueued with the change updates in_stock.
func TestStockChangedTxIsDurable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e, _ := withJobs(t, d)
		ana := e.user("ana")
		p := e.product(ana, e.shop(ana, "Ana").ID, "Last teapot", catalog.StatusActive, sku("T", 2500, 1))
		inStock := func() []string {
			ids, _ := e.find(catalog.SearchQuery{Text: "teapot", InStock: true})
			return ids
		}
		eventually(t, 5*time.Second, "in stock", func() bool { return slices.Equal(inStock(), []string{p.ID}) })
		err := e.db.Tx(ctx, func(tx *sql.Tx) error {
			// Hold the last unit as an order placement does.
			if _, err := tx.ExecContext(ctx, `UPDATE skus SET reserved = reserved + 1 WHERE id = $1`, p.SKUs[0].ID); err != nil {
				return err
			}
			return e.svc.StockChangedTx(ctx, tx, p.SKUs[0].ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "sold out in search", func() bool { return len(inStock()) == 0 })
		e.release(p.SKUs[0].ID, 1)
		e.svc.StockChanged(ctx, p.SKUs[0].ID)
		eventually(t, 5*time.Second, "back in stock", func() bool { return slices.Equal(inStock(), []string{p.ID}) })
	})
}

// TestLateWriteNeverWins writes documents of older versions straight into
// the index, as a slow or retried writer would: neither a changed product
// nor an archived one goes back, before or after a reindex.
func TestLateWriteNeverWins(t *testing.T) {
	for name, ix := range map[string]func(*testing.T) search.Index{"bleve": bleveIndex, "elastic": elasticIndex} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dbtest.Open(t, db.SQLite), withIndex(ix(t)))
			ana := e.user("ana")
			sh := e.shop(ana, "Ana")
			kettle := e.product(ana, sh.ID, "Teapot", catalog.StatusActive)
			gone := e.product(ana, sh.ID, "Old lamp", catalog.StatusActive)
			if _, err := e.svc.UpdateProduct(ctx, ana, kettle.ID, catalog.ProductPatch{Title: ptr("Kettle")}); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.ArchiveProduct(ctx, ana, gone.ID); err != nil {
				t.Fatal(err)
			}
			late := func() {
				t.Helper()
				for _, id := range []string{kettle.ID, gone.ID} {
					// Version 1 is what the first write after creation carried.
					err := e.index.Upsert(ctx, catalog.IndexName, search.Document{ID: id, Version: 1, Fields: map[string]any{"title": "stale"}})
					if err != nil {
						t.Fatal(err)
					}
				}
				if got := e.findIDs("stale"); len(got) != 0 {
					t.Errorf("a late write of an older version came back: %v", got)
				}
				if got := e.findIDs("kettle"); !slices.Equal(got, []string{kettle.ID}) {
					t.Errorf("kettle = %v", got)
				}
			}
			late()
			if n, err := e.svc.Reindex(ctx); err != nil || n != 1 {
				t.Fatalf("Reindex = %d, %v", n, err)
			}
			late() // the archived product's tombstone was rebuilt too
		})
	}
}
