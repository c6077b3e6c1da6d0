package main

import (
	"context"
	"errors"
	"time"

	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/internal/demo"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/search"
)

// seeder returns the demo seeder working through m's services.
func (m *Main) seeder(opt demo.Options) *demo.Seeder {
	// The seeder's likes and comments go through an engagement service of
	// its own: the demo shopper comments on every video, more often than a
	// person's per-minute comment limit allows. (NewService fails only
	// without a database, and m has one.)
	var social demo.Engagement
	if e, err := engagement.NewService(engagement.Deps{DB: m.DB, Log: m.Log, Reindexer: videosChanged{m}, Blocks: hiddenUsers{m}},
		engagement.Config{CommentsPerMin: 1000}); err == nil {
		social = demo.Social{DB: m.DB, Service: e}
	}
	return demo.New(demo.Deps{
		DB:         m.DB,
		Accounts:   m.Accounts,
		Catalog:    m.Catalog,
		Media:      m.Media,
		Clips:      transcode.Sandbox{Timeout: 5 * time.Minute}, // the child is this same binary
		Currency:   m.Config.Currency,
		Engagement: social,
		Log:        m.Log,
	}, opt)
}

// firstRun seeds the demo world in the background of serve when the
// database is empty (or a first seed was cut short), logging each step.
func (m *Main) firstRun(ctx context.Context) {
	start := time.Now()
	sum, err := m.seeder(demo.Options{OnlyIfPending: true, Quick: m.Config.Demo == "quick"}).Run(ctx, func(p demo.Progress) {
		m.Log.Info("demo seed", "step", p.Step, "done", p.Done, "total", p.Total)
	})
	switch {
	case err != nil && ctx.Err() == nil:
		m.Log.Error("demo seed stopped; it resumes at the next start or with `reelmart seed`", "err", err)
	case err == nil && !sum.Skipped:
		m.Log.Info("demo seeded; its videos are transcoding", "created", sum.Created, "existing", sum.Existing, "took", time.Since(start).String())
	}
}

// deferredIndex is the search index of a process that leaves indexing to
// the processes that run jobs: writes are accepted and dropped, because a
// the durable index jobs (and the catalog rebuild the seed command enqueues) write it
// from the database, which is the source of truth; searches fail.
type deferredIndex struct{}

var errSearchDeferred = errors.New("search is not open in this process")

var _ search.Index = deferredIndex{}

func (deferredIndex) Ensure(context.Context, string, search.Schema) error      { return nil }
func (deferredIndex) Upsert(context.Context, string, ...search.Document) error { return nil }
func (deferredIndex) Delete(context.Context, string, ...string) error          { return nil }
func (deferredIndex) Refresh(context.Context, string) error                    { return nil }
func (deferredIndex) Drop(context.Context, string) error                       { return nil }
func (deferredIndex) Ping(context.Context) error                               { return nil }
func (deferredIndex) Close() error                                             { return nil }
func (deferredIndex) Search(context.Context, string, search.Query) (search.Result, error) {
	return search.Result{}, errSearchDeferred
}
func (deferredIndex) MultiSearch(context.Context, []search.Request) ([]search.Response, error) {
	return nil, errSearchDeferred
}
func (deferredIndex) Rebuild(context.Context, string, search.Schema) (search.Builder, error) {
	return nil, errSearchDeferred
}
