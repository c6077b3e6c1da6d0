package jobs

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/rivermigrate"

	"github.com/reelmart/reelmart/platform/db"
)

// migrateLockKey is the PostgreSQL advisory lock taken around River's
// migrations: rivermigrate takes no lock of its own, and two nodes starting
// together would otherwise both try to create the same tables.
const migrateLockKey int64 = 0x7265656c_72697672 // "reelrivr"

// migrate brings River's tables in d up to date. It is idempotent and safe
// when several processes start at once: on PostgreSQL one holds an advisory
// lock while the others wait; on SQLite the whole run is one transaction,
// which _txlock=immediate makes take the write lock at BEGIN.
func migrate(ctx context.Context, d *db.DB, pool *sql.DB, log *slog.Logger) error {
	m, err := rivermigrate.New(newDriver(d, pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	var res *rivermigrate.MigrateResult
	if d.Dialect() == db.Postgres {
		res, err = migratePostgres(ctx, pool, m)
	} else {
		res, err = migrateSQLite(ctx, pool, m)
	}
	if err != nil {
		return fmt.Errorf("jobs: migrate river tables: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("jobs: river migration applied", "version", v.Version, "name", v.Name, "took", v.Duration.String())
	}
	return nil
}

// migratePostgres runs the migrations one transaction each, as River
// requires (a later one uses an enum value that an earlier one adds), under
// a session advisory lock held on a connection of its own.
func migratePostgres(ctx context.Context, pool *sql.DB, m *rivermigrate.Migrator[*sql.Tx]) (_ *rivermigrate.MigrateResult, err error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	defer func() {
		// A lock that cannot be released dies with the connection.
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey); uerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return m.Migrate(ctx, rivermigrate.DirectionUp, nil)
}

func migrateSQLite(ctx context.Context, pool *sql.DB, m *rivermigrate.Migrator[*sql.Tx]) (*rivermigrate.MigrateResult, error) {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	//lint:ignore SA1019 one transaction is what serialises concurrent starts on SQLite; River deprecates MigrateTx for PostgreSQL's enum changes.
	res, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, err
	}
	return res, tx.Commit()
}
