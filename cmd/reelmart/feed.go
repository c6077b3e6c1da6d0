package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/jobs"
)

// videosChanged is the feed's VideosChanged as a value the services built
// before the feed (engagement, catalog, media) can hold: it reaches the
// feed once it exists.
type videosChanged struct{ m *Main }

func (v videosChanged) VideosChanged(ctx context.Context, tx *sql.Tx, ids ...string) error {
	return v.m.Feed.VideosChanged(ctx, tx, ids...)
}

// feedKinds are the feed's jobs. Index writes are retried until the engine
// takes them (an outage only delays them); a rebuild runs once and reports.
func (m *Main) feedKinds() []jobs.Kind {
	return []jobs.Kind{
		{
			Name:        feed.IndexKind,
			MaxAttempts: indexAttempts,
			Timeout:     2 * time.Minute,
			Handler:     func(ctx context.Context, j jobs.Job) error { return m.Feed.IndexJob(ctx, j) },
		},
		{
			Name:        feed.RebuildKind,
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

// indexAttempts is as good as forever: an index job is retried until the
// search engine takes its write.
const indexAttempts = 1 << 30

// engagementSignals gives the feed engagement's counters and profiles in
// the feed's own types.
type engagementSignals struct{ e *engagement.Service }

func (s engagementSignals) Stats(ctx context.Context, ids []string) (map[string]feed.Stats, error) {
	in, err := s.e.Stats(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]feed.Stats, len(in))
	for id, st := range in {
		out[id] = feed.Stats{Views: st.Views, UniqueViewers: st.UniqueViewers, WatchMS: st.WatchMS, Completions: st.Completions,
			CompletionRate: st.CompletionRate, Likes: st.Likes, Shares: st.Shares, Comments: st.Comments,
			ProductClicks: st.ProductClicks, AddToCarts: st.AddToCarts, Purchases: st.Purchases}
	}
	return out, nil
}

func (s engagementSignals) Profile(ctx context.Context, viewerID string) (feed.Profile, error) {
	p, err := s.e.Profile(ctx, viewerID)
	if err != nil {
		return feed.Profile{}, err
	}
	out := feed.Profile{Hashtags: make(map[string]float64, len(p.Hashtags)), Creators: make(map[string]float64, len(p.Creators))}
	for _, t := range p.Hashtags {
		out.Hashtags[t.Tag] = t.Weight
	}
	for _, c := range p.Creators {
		out.Creators[c.CreatorID] = c.Weight
	}
	return out, nil
}

func (s engagementSignals) Liked(ctx context.Context, viewerID string, ids []string) (map[string]bool, error) {
	return s.e.Liked(ctx, viewerID, ids)
}

func (s engagementSignals) Interactions(ctx context.Context, viewerID string) (map[string]float64, error) {
	return s.e.Interactions(ctx, viewerID)
}
