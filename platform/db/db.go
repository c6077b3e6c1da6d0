// Package db opens the relational database — SQLite by default, PostgreSQL
// when the URL says postgres:// — applies the embedded migrations, and gives
// every domain the same transaction helper.
//
// Domain SQL is written once, in the subset both engines accept: positional
// $1 placeholders, INSERT … ON CONFLICT, RETURNING and conditional UPDATEs.
// Times are passed as time.Time; SQLite stores them as integer microseconds
// (so they compare as numbers) and PostgreSQL as timestamptz.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNoRows is sql.ErrNoRows, re-exported so domains need not import database/sql to test for it.
var ErrNoRows = sql.ErrNoRows

// Querier is what *sql.DB and *sql.Tx share: domain functions that may run
// inside or outside a transaction take one.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database with its dialect.
type DB struct {
	*sql.DB
	dialect Dialect
	where   string // for messages: the file path or host, never a password
	// writer queues this process's SQLite transactions for the database's
	// one write lock in arrival order. SQLite's own busy handler polls with
	// backoff, so under a burst of writers one can lose every race for
	// longer than busy_timeout and fail; waiting here first is fair.
	writer chan struct{}
}

// Dialect returns the engine behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// String describes the database without credentials, for logs.
func (db *DB) String() string { return string(db.dialect) + " " + db.where }

// Open connects to rawURL, or to the SQLite file dataDir/reelmart.db when
// rawURL is empty, and checks that the database answers. Accepted URLs are
// postgres:// and postgresql:// (PostgreSQL) and sqlite:///abs/path.db or
// sqlite:relative/path.db (SQLite). It returns an error naming the cause for
// an unknown scheme, a malformed URL or an unreachable server.
func Open(ctx context.Context, rawURL, dataDir string) (*DB, error) {
	if rawURL == "" {
		if dataDir == "" {
			return nil, errors.New("no database URL and no data directory")
		}
		return openSQLite(ctx, filepath.Join(dataDir, "reelmart.db"))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("malformed URL: %w", redactErr(err))
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		return openPostgres(ctx, rawURL, u)
	case "sqlite":
		path := u.Path
		if u.Opaque != "" {
			path = u.Opaque
		}
		if path == "" {
			return nil, errors.New("sqlite URL has no file path (want sqlite:///path/to/reelmart.db)")
		}
		return openSQLite(ctx, path)
	default:
		return nil, fmt.Errorf("unknown scheme %q (want postgres:// or sqlite://)", u.Scheme)
	}
}

// sqliteBusy is how long a SQLite writer waits for the write lock, in
// SQLite's busy handler and, before that, in DB.writer.
const sqliteBusy = 10 * time.Second

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", path, err)
	}
	// WAL lets readers run beside the one writer; _txlock=immediate takes the
	// write lock at BEGIN so two transactions never deadlock upgrading a read
	// lock; busy_timeout makes writers queue instead of failing.
	dsn := "file:" + path + "?_pragma=busy_timeout(" + strconv.Itoa(int(sqliteBusy/time.Millisecond)) + ")&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate" +
		"&_time_integer_format=unix_micro&_inttotime=1"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: sqldb, dialect: SQLite, where: path, writer: make(chan struct{}, 1)}
	if err := db.ping(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(ctx context.Context, rawURL string, u *url.URL) (*DB, error) {
	if _, err := pgconn.ParseConfig(rawURL); err != nil {
		return nil, fmt.Errorf("malformed postgres URL: %w", redactErr(err))
	}
	sqldb, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", redactErr(err))
	}
	sqldb.SetMaxOpenConns(32)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: sqldb, dialect: Postgres, where: u.Host + u.Path}
	if err := db.ping(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("cannot reach %s: %w", db, redactErr(err))
	}
	return nil
}

// Tx runs fn in a transaction and commits it if fn returns nil; otherwise, or
// if fn panics, it rolls back. A PostgreSQL serialization failure or deadlock
// reruns fn (up to three times), so fn must not have effects outside tx.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	const attempts = 3
	var err error
	for i := 0; i < attempts; i++ {
		err = db.tx(ctx, fn)
		if err == nil || !Retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	if db.writer != nil {
		release, err := db.queue(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// queue waits for this process's turn at SQLite's write lock. Writers that
// bypass DB.Tx (the job queue's driver) still meet the busy handler; so does
// one that waited here longer than sqliteBusy, which then goes on without
// its turn rather than hang behind a stuck transaction.
func (db *DB) queue(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(sqliteBusy)
	defer t.Stop()
	select {
	case db.writer <- struct{}{}:
		return func() { <-db.writer }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("db: begin: %w", ctx.Err())
	case <-t.C:
		return func() {}, nil
	}
}

// Unapplied reports whether err says for certain that a PostgreSQL
// statement run outside a transaction changed nothing: the server rejected
// it with an ERROR (the statement was rolled back), or it was never sent
// (database/sql's driver.ErrBadConn, which pgx's driver returns only then).
// Any other failure (a broken connection, a timeout, a FATAL that could
// follow a commit, a client-side error reading the result) leaves open
// whether it committed.
func Unapplied(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.SeverityUnlocalized == "ERROR" || pgErr.SeverityUnlocalized == "" && pgErr.Severity == "ERROR"
	}
	return errors.Is(err, driver.ErrBadConn)
}

// Retryable reports whether err is a PostgreSQL serialization failure or
// deadlock: the statement was rolled back and may simply be run again.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// UniqueViolation reports whether err is a unique-constraint failure and, if
// so, the violated column list as the engine names it ("email_norm" or
// "shop_id, code"), so a domain can tell which rule a duplicate broke.
func UniqueViolation(err error) (columns string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code != "23505" {
			return "", false
		}
		// Detail reads: Key (email_norm)=(a@b.c) already exists.
		d := pgErr.Detail
		if i, j := strings.Index(d, "("), strings.Index(d, ")="); i >= 0 && j > i {
			return d[i+1 : j], true
		}
		return pgErr.ConstraintName, true
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		code := sqErr.Code()
		if code != sqlite3.SQLITE_CONSTRAINT_UNIQUE && code != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return "", false
		}
		// Message reads: UNIQUE constraint failed: users.email_norm, users.x
		msg := sqErr.Error()
		if i := strings.Index(msg, "failed: "); i >= 0 {
			var cols []string
			for _, c := range strings.Split(msg[i+len("failed: "):], ", ") {
				c = strings.TrimSuffix(c, fmt.Sprintf(" (%d)", code))
				if k := strings.LastIndex(c, "."); k >= 0 {
					c = c[k+1:]
				}
				cols = append(cols, c)
			}
			return strings.Join(cols, ", "), true
		}
		return "", true
	}
	return "", false
}

// redactErr drops any password that a driver error may quote from the URL.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New(ue.Err.Error())
	}
	return err
}
