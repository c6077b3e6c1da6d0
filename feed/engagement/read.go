package engagement

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// Stats returns the counters of each of videoIDs, in a fixed number of
// queries per 500 ids. Every id asked for is in the map; a video nobody
// has engaged with yet (or that does not exist) has zero Stats.
func (s *Service) Stats(ctx context.Context, videoIDs []string) (map[string]Stats, error) {
	out := make(map[string]Stats, len(videoIDs))
	for _, id := range videoIDs {
		out[id] = Stats{}
	}
	for _, part := range chunks(dedupe(videoIDs)) {
		in, args := inList(part, 1)
		rows, err := s.db.QueryContext(ctx, `SELECT video_id, views, unique_viewers, watch_ms, completions, likes, shares,
			comments, product_clicks, add_to_carts, purchases FROM video_stats WHERE video_id IN (`+in+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("engagement: load stats: %w", err)
		}
		for rows.Next() {
			var id string
			var st Stats
			if err := rows.Scan(&id, &st.Views, &st.UniqueViewers, &st.WatchMS, &st.Completions, &st.Likes, &st.Shares,
				&st.Comments, &st.ProductClicks, &st.AddToCarts, &st.Purchases); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engagement: scan stats: %w", err)
			}
			out[id] = st.withRate()
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("engagement: load stats: %w", err)
		}
	}
	return out, nil
}

func (st Stats) withRate() Stats {
	if st.Views > 0 {
		st.CompletionRate = math.Min(1, float64(st.Completions)/float64(st.Views))
	}
	return st
}

// Liked returns, for each of videoIDs, whether viewerID likes it. A
// signed-out viewer (or "") likes nothing. Every id asked for is in the map.
func (s *Service) Liked(ctx context.Context, viewerID string, videoIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(videoIDs))
	for _, id := range videoIDs {
		out[id] = false
	}
	if viewerID == "" || IsSignedOut(viewerID) {
		return out, nil
	}
	for _, part := range chunks(dedupe(videoIDs)) {
		in, args := inList(part, 2)
		rows, err := s.db.QueryContext(ctx, `SELECT video_id FROM video_likes WHERE user_id = $1 AND video_id IN (`+in+`)`,
			append([]any{viewerID}, args...)...)
		if err != nil {
			return nil, fmt.Errorf("engagement: load likes: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engagement: scan like: %w", err)
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("engagement: load likes: %w", err)
		}
	}
	return out, nil
}

// Profile returns viewerID's strongest interests: up to Config.ProfileSize
// hashtags and as many creators, weights decayed to now.
func (s *Service) Profile(ctx context.Context, viewerID string) (Profile, error) {
	all, err := s.weights(ctx, viewerID)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Hashtags: []TagWeight{}, Creators: []CreatorWeight{}, HalfLifeHours: s.cfg.ProfileHalfLife.Hours()}
	for _, w := range all {
		switch {
		case w.kind == kindTag && len(p.Hashtags) < s.cfg.ProfileSize:
			p.Hashtags = append(p.Hashtags, TagWeight{Tag: w.key, Weight: w.weight})
		case w.kind == kindCreator && len(p.Creators) < s.cfg.ProfileSize:
			p.Creators = append(p.Creators, CreatorWeight{CreatorID: w.key, Weight: w.weight})
		}
	}
	return p, nil
}

// Interactions returns viewerID's affinity to every creator they have
// engaged with (watched to the end, liked, commented on, shared, clicked a
// product of), as decayed weights: the larger, the closer.
func (s *Service) Interactions(ctx context.Context, viewerID string) (map[string]float64, error) {
	all, err := s.weights(ctx, viewerID)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, w := range all {
		if w.kind == kindCreator {
			out[w.key] = w.weight
		}
	}
	return out, nil
}

// Interest weight kinds, as stored.
const (
	kindTag     = "tag"
	kindCreator = "creator"
)

type weight struct {
	kind, key string
	weight    float64
}

// weights returns every interest weight of viewerID decayed to now, heaviest first.
func (s *Service) weights(ctx context.Context, viewerID string) ([]weight, error) {
	stored, err := interestsOf(ctx, s.db, viewerID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]weight, 0, len(stored))
	for k, w := range stored {
		out = append(out, weight{kind: k.kind, key: k.key, weight: s.decay(w.weight, w.at, now)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].weight != out[j].weight {
			return out[i].weight > out[j].weight
		}
		return out[i].key < out[j].key
	})
	return out, nil
}

// decay returns what a weight w that held at time from is worth at time to.
func (s *Service) decay(w float64, from, to time.Time) float64 {
	dt := to.Sub(from)
	if dt <= 0 {
		return w
	}
	return w * math.Exp2(-float64(dt)/float64(s.cfg.ProfileHalfLife))
}
