package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies every embedded migration of db's dialect that has not run
// yet. On PostgreSQL a session advisory lock makes concurrent starts of many
// nodes safe: one migrates, the others wait and find nothing left to do.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.String())
	}
	return nil
}

// MigrationStatus returns the current schema version and how many embedded migrations are pending.
func (db *DB) MigrationStatus(ctx context.Context) (version int64, pending int, err error) {
	p, err := db.migrator()
	if err != nil {
		return 0, 0, err
	}
	version, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("db: schema version: %w", err)
	}
	status, err := p.Status(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("db: migration status: %w", err)
	}
	for _, s := range status {
		if s.State == goose.StatePending {
			pending++
		}
	}
	return version, pending, nil
}

func (db *DB) migrator() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, fmt.Errorf("db: migrations for %s: %w", db.dialect, err)
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("db: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.DB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	return p, nil
}
