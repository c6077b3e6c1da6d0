package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/platform/jobs"
)

// videosChanged is the feed's VideosChanged as a value the services built
// before the feed (engagement, catalog, media) can hold: it reaches the
// feed once it exists.
type videosChanged struct{ m *Main }

func (v videosChanged) VideosChanged(ctx context.Context, tx *sql.Tx, ids ...string) error {
	return v.m.Feed.VideosChanged(ctx, tx, ids...)
}

// hiddenUsers hands engagement the account domain's blocks; engagement is
// built before the accounts, so it reaches them through Main.
type hiddenUsers struct{ m *Main }

func (h hiddenUsers) Hidden(ctx context.Context, viewerID string) ([]string, error) {
	return h.m.Accounts.Hidden(ctx, viewerID)
}

// feedKinds are the feed's jobs. Index writes are retried until the engine
// takes them (an outage only delays them); a rebuild runs once and reports.
func (m *Main) feedKinds() []jobs.Kind {
	return []jobs.Kind{
		{
			Name:        feed.IndexKind,
			Queue:       jobs.QueueShort,
			MaxAttempts: jobs.Forever, // until the search engine takes the write
			Timeout:     2 * time.Minute,
			Handler:     func(ctx context.Context, j jobs.Job) error { return m.Feed.IndexJob(ctx, j) },
		},
		{
			// On the short queue, though it runs for minutes: it must not
			// wait behind transcodes, nor for a long slot that a server
			// with REELMART_WORKERS=0 never runs. It takes one short slot.
			Name:        feed.RebuildKind,
			Queue:       jobs.QueueShort,
			MaxAttempts: 1,
			Timeout:     2 * time.Hour,
			Handler: func(ctx context.Context, _ jobs.Job) error {
				if _, err := m.Feed.Rebuild(ctx, nil); err != nil {
					return err
				}
				_, err := m.Catalog.Reindex(ctx)
				return err
			},
		},
	}
}
