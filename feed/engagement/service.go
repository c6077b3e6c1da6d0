package engagement

import (
	"errors"
	"log/slog"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// Config holds the engagement rules an operator may tune. Zero values take the defaults.
type Config struct {
	MaxBatch           int           // events in one POST; default 50
	ViewWindow         time.Duration // a view counts once per viewer and video per window; default 30 min
	DedupeWindow       time.Duration // an event id is dropped when seen from the viewer this recently; default 24 h
	WatchGrace         time.Duration // watch time credited beyond the wall-clock time between batches; default 30 s
	MaxBatchSpan       time.Duration // the most wall-clock time one batch may account for; default 60 s
	ViewerEventsPerMin int           // events per viewer per minute; default 600
	ClientEventsPerMin int           // events per client address per minute; default 6,000
	CommentsPerMin     int           // comments per user per minute; default 10
	ProfileHalfLife    time.Duration // interest weights halve in this time; default 7 days
	ProfileSize        int           // hashtags and creators each in Profile; default 20
	EventRetention     time.Duration // raw events are kept this long once aggregated; default 90 days
	AggregateBatch     int           // events per aggregation transaction; default 2,000
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt(&c.MaxBatch, 50)
	def(&c.ViewWindow, 30*time.Minute)
	def(&c.DedupeWindow, 24*time.Hour)
	def(&c.WatchGrace, 30*time.Second)
	def(&c.MaxBatchSpan, time.Minute)
	defInt(&c.ViewerEventsPerMin, 600)
	defInt(&c.ClientEventsPerMin, 6000)
	defInt(&c.CommentsPerMin, 10)
	def(&c.ProfileHalfLife, 7*24*time.Hour)
	defInt(&c.ProfileSize, 20)
	def(&c.EventRetention, 90*24*time.Hour)
	defInt(&c.AggregateBatch, 2000)
	return c
}

// Deps are the backends and neighbours a Service works with.
type Deps struct {
	DB        *db.DB
	Reindexer Reindexer // optional: without it, changed counters reach no index
	Blocks    Blocks    // optional: without it, nobody is hidden
	// AvatarURL gives a user's avatar address from their avatar id ("":
	// none, nil); account.Service.AvatarURL is it. Optional: without it,
	// comment authors show no avatar.
	AvatarURL func(userID, avatarID string) *string
	Mergers   []ViewerMerger
	Log       *slog.Logger
	Now       func() time.Time // the clock; time.Now when nil
}

// Service records engagement and answers what was learned from it.
type Service struct {
	db      *db.DB
	reindex Reindexer
	blocks  Blocks
	avatars func(userID, avatarID string) *string
	mergers []ViewerMerger
	log     *slog.Logger
	cfg     Config
	now     func() time.Time
	keys    keyring
}

// NewService returns a Service. It returns an error without a database.
func NewService(deps Deps, cfg Config) (*Service, error) {
	if deps.DB == nil {
		return nil, errors.New("engagement: DB is required")
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	s := &Service{
		db: deps.DB, reindex: deps.Reindexer, blocks: deps.Blocks, avatars: deps.AvatarURL, mergers: deps.Mergers, log: deps.Log, cfg: cfg.withDefaults(),
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// avatarURL is the address of a user's avatar, nil without one.
func (s *Service) avatarURL(userID, avatarID string) *string {
	if s.avatars == nil || avatarID == "" {
		return nil
	}
	return s.avatars(userID, avatarID)
}
