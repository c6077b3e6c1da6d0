package feed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/search"
)

// Candidate source sizes and windows (docs/FEED.md).
const (
	freshSize     = 80
	interestSize  = 120
	followingSize = 80
	trendingSize  = 80
	exploreSize   = 40

	topTags         = 10   // profile hashtags the interest source asks for
	maxFollowees    = 1000 // followees the following source asks for
	trendingWindow  = 7 * 24 * time.Hour
	trendingScale   = 2 * 24 * time.Hour
	degradedFresh   = 300
	degradedFollows = 100
)

// candidateFields are the fields the ranker reads, and nothing else: the
// hits of several hundred candidates are most of a feed request's work.
var candidateFields = []string{"creator_id", "hashtags", "published_at", "has_products", "in_stock",
	"views", "completions", "likes", "shares", "purchases"}

// viewerState is what one ranking knows of the viewer.
type viewerState struct {
	id           string
	hidden       []string // creators not to show: the viewer and blocks
	followees    []string
	profile      Profile
	interactions map[string]float64
	served       []string // recently served, newest first
}

func (v viewerState) ranking() Viewer {
	follows := make(map[string]bool, len(v.followees))
	for _, id := range v.followees {
		follows[id] = true
	}
	return Viewer{Hashtags: v.profile.Hashtags, Interactions: v.interactions, Followees: follows}
}

// candidateRequests builds one search per source that has input, each
// leaving out the excluded videos and hidden creators.
func candidateRequests(v viewerState, exclude []string, now time.Time) ([]search.Request, []Source) {
	base := []search.Filter{}
	if len(exclude) > 0 {
		base = append(base, search.Filter{Field: search.DocID, Values: anys(exclude), Not: true})
	}
	if len(v.hidden) > 0 {
		base = append(base, search.Filter{Field: "creator_id", Values: anys(v.hidden), Not: true})
	}
	with := func(extra ...search.Filter) []search.Filter { return append(slices.Clone(base), extra...) }
	newest := []search.Sort{{Field: "published_at", Desc: true}}
	q := func(size int) search.Query { return search.Query{Fields: candidateFields, Size: size} }

	var reqs []search.Request
	var srcs []Source
	add := func(src Source, query search.Query) {
		reqs = append(reqs, search.Request{Index: IndexName, Query: query})
		srcs = append(srcs, src)
	}

	fresh := q(freshSize)
	fresh.Filters, fresh.Sort = with(), newest
	add(SourceFresh, fresh)

	if tags := topWeights(v.profile.Hashtags, topTags); len(tags) > 0 {
		interest := q(interestSize)
		values := make([]any, len(tags))
		top := v.profile.Hashtags[tags[0]]
		for i, t := range tags {
			values[i] = t
			interest.Boosts = append(interest.Boosts, search.Boost{Field: "hashtags", Values: []any{t}, Weight: v.profile.Hashtags[t] / top})
		}
		interest.Filters = with(search.Filter{Field: "hashtags", Values: values})
		add(SourceInterest, interest)
	}

	if len(v.followees) > 0 {
		following := q(followingSize)
		following.Filters = with(search.Filter{Field: "creator_id", Values: anys(v.followees[:min(len(v.followees), maxFollowees)])})
		following.Sort = newest
		add(SourceFollowing, following)
	}

	// Trending: views (on a log scale, so a hit does not drown the rest)
	// plus nearness in time, over the last week.
	trending := q(trendingSize)
	trending.Filters = with(search.Filter{Field: "published_at", Min: now.Add(-trendingWindow)})
	trending.Boosts = []search.Boost{
		{Field: "views", Log: true, Weight: 1},
		{Field: "published_at", Weight: 3, Decay: &search.Decay{Shape: search.Gauss, Origin: now, Scale: trendingScale}},
	}
	add(SourceTrending, trending)

	// Exploration: the least exposed recent videos first, so that every
	// upload gets its first views however many arrive after it.
	explore := q(exploreSize)
	explore.Filters = with(search.Filter{Field: "views", Max: exploreMaxViews}, search.Filter{Field: "published_at", Min: now.Add(-exploreMaxAge)})
	explore.Sort = []search.Sort{{Field: "views"}, {Field: "published_at", Desc: true}}
	add(SourceExplore, explore)
	return reqs, srcs
}

// searchCandidates runs the candidate searches in one MultiSearch and
// merges the hits by id. A source that fails alone is logged and left out;
// the call fails when the engine does.
func (s *Service) searchCandidates(ctx context.Context, v viewerState, exclude []string, now time.Time) ([]Candidate, error) {
	reqs, srcs := candidateRequests(v, exclude, now)
	var resps []search.Response
	err := s.withIndex(ctx, func() error {
		var err error
		resps, err = s.index.MultiSearch(ctx, reqs)
		if err == nil && len(resps) > 0 && errors.Is(resps[0].Err, search.ErrNotFound) {
			return resps[0].Err
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]*Candidate{}
	var order []string
	var failed []error
	for i, r := range resps {
		if r.Err != nil {
			s.log.ErrorContext(ctx, "feed: candidate source failed", "source", srcs[i].Names(), "err", r.Err)
			failed = append(failed, r.Err)
			continue
		}
		for _, h := range r.Result.Hits {
			if c, ok := byID[h.ID]; ok {
				c.Sources |= srcs[i]
				continue
			}
			c := candidateFromHit(h, srcs[i])
			byID[h.ID] = &c
			order = append(order, h.ID)
		}
	}
	if len(failed) == len(resps) {
		// Every source failing is the engine failing, whichever way it
		// reports it.
		return nil, fmt.Errorf("feed: every candidate source failed: %w", errors.Join(failed...))
	}
	out := make([]Candidate, len(order))
	for i, id := range order {
		out[i] = *byID[id]
	}
	return out, nil
}

func candidateFromHit(h search.Hit, src Source) Candidate {
	f := h.Fields
	return Candidate{
		ID: h.ID, CreatorID: hitString(f, "creator_id"), Hashtags: hitStrings(f, "hashtags"),
		PublishedAt: hitTime(f, "published_at"), HasProducts: hitBool(f, "has_products"), InStock: hitBool(f, "in_stock"),
		Stats: Stats{
			Views: hitNumber(f, "views"), UniqueViewers: hitNumber(f, "unique_viewers"), WatchMS: hitNumber(f, "watch_ms"),
			Completions: hitNumber(f, "completions"), Likes: hitNumber(f, "likes"), Shares: hitNumber(f, "shares"),
			Comments: hitNumber(f, "comments"), ProductClicks: hitNumber(f, "product_clicks"),
			AddToCarts: hitNumber(f, "add_to_carts"), Purchases: hitNumber(f, "purchases"),
		},
		Sources: src,
	}
}

// databaseCandidates is the degraded path: the newest ready videos and the
// followees' newest, read from the database, with the same exclusions.
func (s *Service) databaseCandidates(ctx context.Context, v viewerState, exclude []string) ([]Candidate, error) {
	skip := make(map[string]bool, len(exclude))
	for _, id := range exclude {
		skip[id] = true
	}
	hidden := make(map[string]bool, len(v.hidden))
	for _, id := range v.hidden {
		hidden[id] = true
	}
	// Excluded videos are dropped here rather than in SQL (a thousand
	// parameters); asking for that many more keeps the page full.
	ids, err := s.readyVideoIDs(ctx, nil, degradedFresh+len(exclude))
	if err != nil {
		return nil, err
	}
	var followed []string
	if len(v.followees) > 0 {
		if followed, err = s.readyVideoIDs(ctx, v.followees[:min(len(v.followees), maxFollowees)], degradedFollows+len(exclude)); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	var want []string
	for _, id := range append(ids, followed...) {
		if !skip[id] && !seen[id] {
			seen[id] = true
			want = append(want, id)
		}
	}
	videos, err := s.videos.Videos(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("feed: load candidate videos: %w", err)
	}
	stats, err := s.signals.Stats(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("feed: load candidate counters: %w", err)
	}
	var out []Candidate
	for _, id := range want {
		vid, ok := videos[id]
		if !ok || vid.Status != media.StatusReady || hidden[vid.Creator.ID] {
			continue
		}
		out = append(out, candidateFromVideo(vid, stats[id], SourceDatabase))
	}
	return out, nil
}

func candidateFromVideo(v media.Video, st Stats, src Source) Candidate {
	c := Candidate{ID: v.ID, CreatorID: v.Creator.ID, Hashtags: v.Hashtags, PublishedAt: v.CreatedAt,
		HasProducts: len(v.Products) > 0, Stats: st, Sources: src}
	for _, p := range v.Products {
		c.InStock = c.InStock || p.StockAvailable > 0
	}
	return c
}

// readyVideoIDs returns the ids of the newest ready videos, of creators
// only when creators is not nil.
func (s *Service) readyVideoIDs(ctx context.Context, creators []string, limit int) ([]string, error) {
	q := `SELECT id FROM videos WHERE status = 'ready'`
	var args []any
	if creators != nil {
		in, a := inList(creators, 1)
		q += ` AND creator_id IN (` + in + `)`
		args = a
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("feed: list ready videos: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("feed: list ready videos: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// breaker stops the feed asking a search engine that just failed, so a
// dead cluster does not add its timeout to every request.
type breaker struct {
	mu    sync.Mutex
	until time.Time
}

func (b *breaker) isOpen(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return now.Before(b.until)
}

func (b *breaker) trip(now time.Time, pause time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.until = now.Add(pause)
}

// candidates asks the index, or the database when the index cannot answer
// (then degraded is true).
func (s *Service) candidates(ctx context.Context, v viewerState, exclude []string, now time.Time) (cands []Candidate, degraded bool, err error) {
	if !s.breaker.isOpen(time.Now()) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.CandidateTimeout)
		cands, err = s.searchCandidates(sctx, v, exclude, now)
		cancel()
		if err == nil {
			return cands, false, nil
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		s.log.WarnContext(ctx, "feed: search engine failed; ranking from the database", "err", err)
		s.breaker.trip(time.Now(), s.cfg.BreakerPause)
	}
	cands, err = s.databaseCandidates(ctx, v, exclude)
	return cands, true, err
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// topWeights returns up to n keys of m with the largest positive values.
func topWeights(m map[string]float64, n int) []string {
	keys := slices.Collect(maps.Keys(m))
	keys = slices.DeleteFunc(keys, func(k string) bool { return m[k] <= 0 })
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return keys[:min(len(keys), n)]
}

// CandidateQueries returns the searches a new feed session of viewerID
// sends to the index (one multi-search), without running them: for
// explaining a ranking, and for measuring the engine on the feed's own
// queries.
func (s *Service) CandidateQueries(ctx context.Context, viewerID string) ([]search.Request, error) {
	now := s.now()
	v, err := s.viewer(ctx, viewerID, now)
	if err != nil {
		return nil, err
	}
	reqs, _ := candidateRequests(v, v.served, now)
	return reqs, nil
}
