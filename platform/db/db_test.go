package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

var ctx = context.Background()

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"mysql://x", `unknown scheme "mysql"`},
		{"postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2", "cannot reach"},
		{"postgres://%zz", "malformed"},
		{"sqlite://", "no file path"},
	} {
		_, err := db.Open(ctx, tc.url, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) = %v, want an error containing %q and no password", tc.url, err, tc.want)
		}
	}
}

func TestTx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if _, err := d.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO kv (k, v) VALUES ($1, $2)`, "a", 1); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want the callback's error", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("a panic inside Tx was swallowed")
				}
			}()
			_ = d.Tx(ctx, func(tx *sql.Tx) error {
				_, _ = tx.Exec(`INSERT INTO kv (k, v) VALUES ($1, $2)`, "b", 2)
				panic("inside tx")
			})
		}()
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO kv (k, v) VALUES ($1, $2)`, "c", 3)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var keys []string
		rows, err := d.Query(`SELECT k FROM kv ORDER BY k`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			_ = rows.Scan(&k)
			keys = append(keys, k)
		}
		if strings.Join(keys, ",") != "c" {
			t.Fatalf("rows after rollback, panic and commit = %v, want only c", keys)
		}
	})
}

func TestUniqueViolationNamesTheColumn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if _, err := d.Exec(`CREATE TABLE u (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, a TEXT, b TEXT, UNIQUE (a, b))`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(`INSERT INTO u VALUES ('1', 'x@y.z', 'p', 'q')`); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ sql, cols string }{
			{`INSERT INTO u VALUES ('2', 'x@y.z', 'r', 's')`, "email"},
			{`INSERT INTO u VALUES ('3', 'new@y.z', 'p', 'q')`, "a, b"},
			{`INSERT INTO u VALUES ('1', 'other@y.z', 't', 'u')`, "id"},
		} {
			_, err := d.Exec(tc.sql)
			cols, ok := db.UniqueViolation(err)
			if !ok || cols != tc.cols {
				t.Errorf("%s: UniqueViolation = %q, %v (err %v); want %q", tc.sql, cols, ok, err, tc.cols)
			}
		}
		if _, ok := db.UniqueViolation(errors.New("other")); ok {
			t.Error("a plain error reported as a unique violation")
		}
		_, err := d.Exec(`INSERT INTO u (id, email) VALUES (NULL, NULL)`)
		if _, ok := db.UniqueViolation(err); ok || err == nil {
			t.Errorf("NOT NULL failure %v reported as a unique violation", err)
		}
	})
}

// Times compare as instants on both engines, whatever zone or precision the
// Go value had: as text, 12:00+02:00 would sort after 10:00:00.5Z although it is earlier.
func TestTimesRoundTripAndCompare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := "TIMESTAMP"
		if d.Dialect() == db.Postgres {
			ts = "TIMESTAMPTZ"
		}
		if _, err := d.Exec(`CREATE TABLE ev (id INTEGER PRIMARY KEY, at ` + ts + ` NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		times := []time.Time{base.Add(900 * time.Millisecond), base.Add(123456 * time.Microsecond), base, base.Add(time.Second),
			base.In(time.FixedZone("CEST", 2*3600))}
		for i, at := range times {
			if _, err := d.Exec(`INSERT INTO ev (id, at) VALUES ($1, $2)`, i, at); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM ev WHERE at > $1`, base.Add(500*time.Millisecond)).Scan(&n); err != nil || n != 2 {
			t.Fatalf("rows after +0.5 s = %d, %v; want 2", n, err)
		}
		var got time.Time
		if err := d.QueryRow(`SELECT at FROM ev WHERE id = 1`).Scan(&got); err != nil || !got.Equal(times[1]) {
			t.Fatalf("round trip = %v, %v; want %v", got, err, times[1])
		}
	})
}

func TestMigrateIsIdempotentAndSafeConcurrently(t *testing.T) {
	url := dbtest.PostgresURL(t)
	log := slog.New(slog.DiscardHandler)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := db.Open(ctx, url, "")
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			errs <- d.Migrate(ctx, log)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
	d, err := db.Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx, log); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	version, pending, err := d.MigrationStatus(ctx)
	if err != nil || version < 1 || pending != 0 {
		t.Fatalf("status = v%d, %d pending, %v", version, pending, err)
	}
}

// reelmart_abort fails the statement that reaches it, on both engines, and
// on PostgreSQL undoes the writable CTEs of the same autocommit statement;
// a CASE that does not reach it writes normally.
func TestAbort(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if _, err := d.Exec(`CREATE TABLE counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(`CREATE TABLE entry (id TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(`INSERT INTO counter (id, n) VALUES ('a', 0)`); err != nil {
			t.Fatal(err)
		}
		insert := func(ok bool) error {
			var p db.Params
			q := `INSERT INTO entry (id, n) SELECT ` + p.Add("e1") + `, CASE WHEN ` + p.Add(ok) + ` THEN 1 ELSE reelmart_abort('not today') END`
			if d.Dialect() == db.Postgres {
				q = `WITH bump AS (UPDATE counter SET n = n + 1 WHERE id = 'a') ` + q
			}
			_, err := d.ExecContext(ctx, q, p...)
			return err
		}
		err := insert(false)
		if reason, ok := db.Aborted(err); !ok || reason != "not today" {
			t.Fatalf("aborted statement: %v (reason %q, %v)", err, reason, ok)
		}
		var entries, n int
		if err := d.QueryRow(`SELECT (SELECT COUNT(*) FROM entry), (SELECT n FROM counter)`).Scan(&entries, &n); err != nil || entries != 0 || n != 0 {
			t.Fatalf("after abort: %d entries, counter %d, %v; want nothing written", entries, n, err)
		}
		if err := insert(true); err != nil {
			t.Fatal(err)
		}
		if _, ok := db.Aborted(insert(true)); ok {
			t.Fatal("a unique violation reads as an abort")
		}
		if err := d.QueryRow(`SELECT COUNT(*) FROM entry`).Scan(&entries); err != nil || entries != 1 {
			t.Fatalf("entries after a good insert: %d, %v", entries, err)
		}
	})
}

// Unapplied is certain only of server errors (and of failures before
// sending); a failure on the client side leaves it open.
func TestUnapplied(t *testing.T) {
	d := dbtest.Open(t, db.Postgres)
	_, err := d.Exec(`SELECT * FROM no_such_table`)
	if err == nil || !db.Unapplied(err) {
		t.Errorf("a server error: Unapplied(%v) is false", err)
	}
	var n int
	err = d.QueryRow(`SELECT 'not a number'`).Scan(&n)
	if err == nil || db.Unapplied(err) {
		t.Errorf("a client-side scan error: Unapplied(%v) is true", err)
	}
	if !db.Unapplied(fmt.Errorf("query: %w", driver.ErrBadConn)) {
		t.Error("a statement never sent: Unapplied is false")
	}
	if db.Unapplied(&pgconn.PgError{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "57P01"}) {
		t.Error("a FATAL (which can follow a commit): Unapplied is true")
	}
	if db.Unapplied(nil) {
		t.Error("Unapplied(nil) is true")
	}
}
