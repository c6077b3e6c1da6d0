package feed

import (
	"context"

	"github.com/reelmart/reelmart/feed/engagement"
)

var _ Signals = EngagementSignals{}

// EngagementSignals gives the feed the engagement package's counters,
// profiles and likes in the feed's own types: it is the Signals the feed
// runs on in production.
type EngagementSignals struct{ *engagement.Service }

// Stats returns the counters of each video.
func (s EngagementSignals) Stats(ctx context.Context, ids []string) (map[string]Stats, error) {
	in, err := s.Service.Stats(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Stats, len(in))
	for id, st := range in {
		out[id] = Stats{Views: st.Views, UniqueViewers: st.UniqueViewers, WatchMS: st.WatchMS, Completions: st.Completions,
			CompletionRate: st.CompletionRate, Likes: st.Likes, Shares: st.Shares, Comments: st.Comments,
			ProductClicks: st.ProductClicks, AddToCarts: st.AddToCarts, Purchases: st.Purchases}
	}
	return out, nil
}

// Profile returns the viewer's decayed hashtag and creator weights as maps.
func (s EngagementSignals) Profile(ctx context.Context, viewerID string) (Profile, error) {
	p, err := s.Service.Profile(ctx, viewerID)
	if err != nil {
		return Profile{}, err
	}
	out := Profile{Hashtags: make(map[string]float64, len(p.Hashtags)), Creators: make(map[string]float64, len(p.Creators))}
	for _, t := range p.Hashtags {
		out.Hashtags[t.Tag] = t.Weight
	}
	for _, c := range p.Creators {
		out.Creators[c.CreatorID] = c.Weight
	}
	return out, nil
}

// Liked reports which of the videos the viewer likes.
func (s EngagementSignals) Liked(ctx context.Context, viewerID string, ids []string) (map[string]bool, error) {
	return s.Service.Liked(ctx, viewerID, ids)
}

// Interactions returns the viewer's decayed interaction weight per creator.
func (s EngagementSignals) Interactions(ctx context.Context, viewerID string) (map[string]float64, error) {
	return s.Service.Interactions(ctx, viewerID)
}
