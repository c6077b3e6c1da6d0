// Package dbtest gives tests a migrated, empty database on each engine: a
// SQLite file in a temporary directory, and a fresh database on the real
// PostgreSQL server named by REELMART_TEST_POSTGRES.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/testenv"
)

// Each runs fn as a subtest once per engine ("sqlite", "postgres"), each with its own fresh database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) { fn(t, Open(t, dialect)) })
	}
}

// Open returns a migrated, empty database of dialect that is removed when t ends.
func Open(t testing.TB, dialect db.Dialect) *db.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var rawURL string
	if dialect == db.Postgres {
		rawURL = freshPostgres(t, ctx)
	}
	d, err := db.Open(ctx, rawURL, t.TempDir())
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("dbtest: migrate %s: %v", dialect, err)
	}
	return d
}

// PostgresURL returns the URL of a new, empty, unmigrated PostgreSQL database dropped when t ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return freshPostgres(t, ctx)
}

func freshPostgres(t testing.TB, ctx context.Context) string {
	t.Helper()
	admin := testenv.Postgres(t)
	adb, err := db.Open(ctx, admin, "")
	if err != nil {
		t.Fatalf("dbtest: REELMART_TEST_POSTGRES: %v (is the server up? `make services-up`)", err)
	}
	defer adb.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "rm_test_" + hex.EncodeToString(b[:])
	if _, err := adb.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adb, err := db.Open(ctx, admin, "")
		if err != nil {
			t.Errorf("dbtest: drop %s: %v", name, err)
			return
		}
		defer adb.Close()
		// A background worker can hold the database for a moment; try a few times.
		var err2 error
		for i := 0; i < 5; i++ {
			if _, err2 = adb.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err2 == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Errorf("dbtest: drop %s: %v", name, err2)
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("dbtest: REELMART_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
