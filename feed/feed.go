// Package feed ranks the swipe feed: it keeps a search document per ready
// video (versioned, written by durable jobs), draws several hundred
// candidates from the index in one multi-search, ranks them in Go with
// explainable parts, mixes in exploration and creator diversity, and pages
// through the result with signed cursors every node accepts. When the search
// engine is down it ranks from the database instead. It also serves the
// following feed, video and user search, and trending hashtags.
//
// docs/FEED.md is the design; this package is its code.
package feed

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/search"
)

// Stats are a video's engagement counters, as the engagement package keeps
// them. Completions is what CompletionRate is a rate of.
type Stats struct {
	Views          int64   `json:"views"`
	UniqueViewers  int64   `json:"unique_viewers"`
	WatchMS        int64   `json:"watch_ms"`
	Completions    int64   `json:"completions"`
	CompletionRate float64 `json:"completion_rate"`
	Likes          int64   `json:"likes"`
	Shares         int64   `json:"shares"`
	Comments       int64   `json:"comments"`
	ProductClicks  int64   `json:"product_clicks"`
	AddToCarts     int64   `json:"add_to_carts"`
	Purchases      int64   `json:"purchases"`
}

// Profile is a viewer's interest profile: decayed weights over hashtags and
// creators (any positive scale; the ranker uses them relative to the largest).
type Profile struct {
	Hashtags map[string]float64
	Creators map[string]float64
}

// Signals is what the feed reads of engagement; the engagement package
// provides it. A video or viewer without data gives zero values, not errors.
//
// Stats returns the counters of each of videoIDs (missing ones are zero).
// Profile returns the viewer's interest profile. Liked reports, of
// videoIDs, those the viewer likes. Interactions returns the viewer's
// decayed weight of past interactions per creator id.
type Signals interface {
	Stats(ctx context.Context, videoIDs []string) (map[string]Stats, error)
	Profile(ctx context.Context, viewerID string) (Profile, error)
	Liked(ctx context.Context, viewerID string, videoIDs []string) (map[string]bool, error)
	Interactions(ctx context.Context, viewerID string) (map[string]float64, error)
}

// Videos reads videos, whatever their status, with their pinned products;
// media.Service satisfies it.
type Videos interface {
	Videos(ctx context.Context, ids []string) (map[string]media.Video, error)
}

// Follows says whom a user follows; account.Service satisfies it.
// Followees returns up to limit ids, most recently followed first.
type Follows interface {
	Followees(ctx context.Context, userID string, limit int) ([]string, error)
}

// Blocks names the users a viewer must not see: those the viewer blocked
// and those who blocked the viewer. The account domain provides it.
type Blocks interface {
	Hidden(ctx context.Context, viewerID string) ([]string, error)
}

// Users finds accounts by handle and display name for user search;
// account.Service satisfies it. It returns one page of profiles as viewerID
// sees them, leaving out exclude, and the total number of matches.
type Users interface {
	SearchUsers(ctx context.Context, q, viewerID string, exclude []string, offset, limit int) ([]account.Profile, int, error)
}

// Enqueuer adds a job inside a transaction; *jobs.Queue satisfies it.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, kind string, args any) (int64, error)
}

// Deps are the backends and neighbours a Service works with. Blocks and
// Users are optional: without Blocks nobody is hidden, without Users user
// search finds nobody.
type Deps struct {
	DB      *db.DB
	Index   search.Index
	Jobs    Enqueuer
	Videos  Videos
	Signals Signals
	Follows Follows
	Blocks  Blocks
	Users   Users
	Log     *slog.Logger
	Now     func() time.Time // the clock; time.Now when nil
}

// Config holds what an operator may tune. Zero values take the defaults.
type Config struct {
	Weights Weights
	Priors  Priors

	// CandidateTimeout bounds the candidate search; past it the page is
	// ranked from the database (degraded). Default 1 s.
	CandidateTimeout time.Duration
	// BreakerPause is how long the feed stops asking a search engine that
	// failed, answering from the database meanwhile. Default 5 s.
	BreakerPause time.Duration
	// SessionTTL is how long a feed session and its cursors live. Default 24 h.
	SessionTTL time.Duration
	// ServedFor is how long a video served to a viewer is left out of their
	// next sessions. Default 7 days.
	ServedFor time.Duration
	// KeepServed is how long the served history is kept at all (for
	// offering videos again, least recently served first). Default 30 days.
	KeepServed time.Duration
}

func (c Config) withDefaults() Config {
	if c.Weights == (Weights{}) {
		c.Weights = DefaultWeights
	}
	if c.Priors == (Priors{}) {
		c.Priors = DefaultPriors
	}
	if c.CandidateTimeout <= 0 {
		c.CandidateTimeout = time.Second
	}
	if c.BreakerPause <= 0 {
		c.BreakerPause = 5 * time.Second
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 24 * time.Hour
	}
	if c.ServedFor <= 0 {
		c.ServedFor = 7 * 24 * time.Hour
	}
	if c.KeepServed <= 0 {
		c.KeepServed = 30 * 24 * time.Hour
	}
	return c
}

// Service ranks and serves the feed and keeps the videos index.
type Service struct {
	db      *db.DB
	index   search.Index
	jobs    Enqueuer
	videos  Videos
	signals Signals
	follows Follows
	blocks  Blocks
	users   Users
	log     *slog.Logger
	cfg     Config
	now     func() time.Time

	keys     keyring
	breaker  breaker
	ensured  ensureOnce
	trending trendingCache
	// rebuilding serialises this process's rebuilds: two at once would
	// each open a new generation, and the later would fail the earlier.
	rebuilding sync.Mutex
}

// NewService returns a Service. It returns an error if a required
// dependency is missing.
func NewService(deps Deps, cfg Config) (*Service, error) {
	if deps.DB == nil || deps.Index == nil || deps.Jobs == nil || deps.Videos == nil || deps.Signals == nil || deps.Follows == nil {
		return nil, errors.New("feed: DB, Index, Jobs, Videos, Signals and Follows are required")
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	s := &Service{
		db: deps.DB, index: deps.Index, jobs: deps.Jobs, videos: deps.Videos, signals: deps.Signals,
		follows: deps.Follows, blocks: deps.Blocks, users: deps.Users, log: deps.Log, cfg: cfg.withDefaults(),
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.keys.db, s.keys.now = deps.DB, s.now
	return s, nil
}

// Errors with stable codes that clients can act on.
var (
	// ErrSearchUnavailable is returned by search when the engine fails.
	ErrSearchUnavailable = &reelmart.Error{Kind: reelmart.KindUnavailable, Code: "search_unavailable", Message: "search is unavailable; try again shortly"}
)

// badCursor and expiredCursor are the validation errors of a cursor this
// service did not issue for this viewer, or that outlived its session.
func badCursor() error {
	return reelmart.Invalid([]reelmart.FieldError{{Field: "cursor", Message: "is not a cursor this endpoint returned"}})
}

func expiredCursor() error {
	return reelmart.Invalid([]reelmart.FieldError{{Field: "cursor", Message: "has expired; start again without a cursor"}})
}

// hidden returns the creators the viewer must not see: the viewer's own
// videos are not shown to them either.
func (s *Service) hidden(ctx context.Context, viewerID string) ([]string, error) {
	var out []string
	if viewerID != "" {
		out = append(out, viewerID)
	}
	if s.blocks == nil || viewerID == "" {
		return out, nil
	}
	ids, err := s.blocks.Hidden(ctx, viewerID)
	if err != nil {
		return nil, err
	}
	return append(out, ids...), nil
}
