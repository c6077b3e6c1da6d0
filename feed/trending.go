package feed

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/search"
)

// Trending hashtags rules (docs/FEED.md).
const (
	TrendingWindow   = 24 * time.Hour
	MaxTrending      = 50
	trendingVideos   = 1000 // the most viewed videos of the window that count
	trendingCacheFor = time.Minute
	// A degraded answer is kept briefly, so the engine's return shows soon.
	trendingDegradedFor = 10 * time.Second
)

// Hashtag is one trending hashtag: its score, and how many videos of the
// window carry it with how many views.
type Hashtag struct {
	Tag    string  `json:"tag"`
	Score  float64 `json:"score"`
	Videos int     `json:"videos"`
	Views  int64   `json:"views"`
}

// Trending is the trending hashtags, best first; Degraded when they were
// computed from the database because the search engine failed.
type Trending struct {
	Items    []Hashtag
	Degraded bool
}

type trendingCache struct {
	mu      sync.Mutex
	value   Trending
	expires time.Time
}

// TrendingHashtags returns up to limit (1..MaxTrending, 0 for 20) hashtags
// of the ready videos published in the last 24 hours, by the sum over
// their videos of 1 + ln(1+views) + 2·ln(1+likes+shares). The answer is
// computed at most once a minute per Service.
func (s *Service) TrendingHashtags(ctx context.Context, limit int) (Trending, error) {
	switch {
	case limit == 0:
		limit = 20
	case limit < 1 || limit > MaxTrending:
		return Trending{}, reelmart.Invalid([]reelmart.FieldError{{Field: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", MaxTrending)}})
	}
	s.trending.mu.Lock()
	defer s.trending.mu.Unlock()
	now := s.now()
	if now.After(s.trending.expires) {
		t, err := s.computeTrending(ctx, now)
		if err != nil {
			return Trending{}, err
		}
		ttl := trendingCacheFor
		if t.Degraded {
			ttl = trendingDegradedFor
		}
		s.trending.value, s.trending.expires = t, now.Add(ttl)
	}
	t := s.trending.value
	t.Items = t.Items[:min(limit, len(t.Items))]
	return t, nil
}

// trendingVideo is what a trending computation knows of one video.
type trendingVideo struct {
	tags                 []string
	views, likes, shares int64
}

func (s *Service) computeTrending(ctx context.Context, now time.Time) (Trending, error) {
	since := now.Add(-TrendingWindow)
	var videos []trendingVideo
	var res search.Result
	err := s.breakerOr(func() error {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.CandidateTimeout)
		defer cancel()
		return s.withIndex(sctx, func() error {
			var err error
			res, err = s.index.Search(sctx, IndexName, search.Query{
				Filters: []search.Filter{{Field: "published_at", Min: since}},
				Sort:    []search.Sort{{Field: "views", Desc: true}},
				Fields:  []string{"hashtags", "views", "likes", "shares"},
				Size:    trendingVideos,
			})
			return err
		})
	})
	degraded := err != nil
	if degraded {
		if ctx.Err() != nil {
			return Trending{}, ctx.Err()
		}
		s.log.WarnContext(ctx, "feed: trending from the database: search engine failed", "err", err)
		if videos, err = s.trendingFromDatabase(ctx, since); err != nil {
			return Trending{}, err
		}
	} else {
		for _, h := range res.Hits {
			videos = append(videos, trendingVideo{tags: hitStrings(h.Fields, "hashtags"),
				views: hitNumber(h.Fields, "views"), likes: hitNumber(h.Fields, "likes"), shares: hitNumber(h.Fields, "shares")})
		}
	}
	return Trending{Items: rankHashtags(videos), Degraded: degraded}, nil
}

// breakerOr runs fn unless the breaker is open; a failure trips it.
func (s *Service) breakerOr(fn func() error) error {
	if s.breaker.isOpen(time.Now()) {
		return errBreakerOpen
	}
	err := fn()
	if err != nil {
		s.breaker.trip(time.Now(), s.cfg.BreakerPause)
	}
	return err
}

var errBreakerOpen = fmt.Errorf("feed: search engine failed recently; not asking for %s", "a few seconds")

func (s *Service) trendingFromDatabase(ctx context.Context, since time.Time) ([]trendingVideo, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT id, hashtags FROM videos WHERE status = 'ready' AND created_at >= $1
		ORDER BY created_at DESC LIMIT %d`, trendingVideos), since)
	if err != nil {
		return nil, fmt.Errorf("feed: list recent videos: %w", err)
	}
	defer rows.Close()
	var ids []string
	var tags [][]string
	for rows.Next() {
		var id, raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("feed: list recent videos: %w", err)
		}
		var t []string
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return nil, fmt.Errorf("feed: hashtags of %s: %w", id, err)
		}
		ids, tags = append(ids, id), append(tags, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feed: list recent videos: %w", err)
	}
	stats, err := s.signals.Stats(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("feed: counters of recent videos: %w", err)
	}
	out := make([]trendingVideo, len(ids))
	for i, id := range ids {
		st := stats[id]
		out[i] = trendingVideo{tags: tags[i], views: st.Views, likes: st.Likes, shares: st.Shares}
	}
	return out, nil
}

// rankHashtags scores each tag over its videos, so that posting and
// engagement both count and a single viral video does not decide alone.
func rankHashtags(videos []trendingVideo) []Hashtag {
	byTag := map[string]*Hashtag{}
	for _, v := range videos {
		score := 1 + math.Log1p(float64(v.views)) + 2*math.Log1p(float64(v.likes+v.shares))
		for _, t := range slices.Compact(slices.Sorted(slices.Values(v.tags))) {
			h := byTag[t]
			if h == nil {
				h = &Hashtag{Tag: t}
				byTag[t] = h
			}
			h.Score += score
			h.Videos++
			h.Views += v.views
		}
	}
	out := make([]Hashtag, 0, len(byTag))
	for _, h := range byTag {
		h.Score = round(h.Score)
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b Hashtag) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Tag, b.Tag)
	})
	return out[:min(len(out), MaxTrending)]
}
