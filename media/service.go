package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
)

// Config holds the media rules an operator may tune. Zero values take the defaults.
type Config struct {
	// StagingDir holds tus uploads until they become videos (e.g. <data>/uploads). Required.
	StagingDir string
	// PublicURL is where browsers reach the API (REELMART_PUBLIC_URL), the base of hls_url and poster_url.
	PublicURL string

	MaxUploadBytes   int64         // one upload; default 2 GiB (the transcode limit)
	UploadQuotaBytes int64         // a user's unfinished and unused uploads together; default 4 GiB
	AbandonAfter     time.Duration // age after which Sweep removes an unused upload; default 24 hours

	Limits         transcode.Limits // what Probe accepts; zero fields take transcode's defaults
	Rungs          []int            // ladder (short side); nil means transcode's default
	SegmentSeconds float64          // HLS segment length; 0 means transcode's default
}

func (c Config) withDefaults() Config {
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 2 << 30
	}
	if c.UploadQuotaBytes <= 0 {
		c.UploadQuotaBytes = 4 << 30
	}
	if c.AbandonAfter <= 0 {
		c.AbandonAfter = 24 * time.Hour
	}
	if c.Limits.MaxBytes <= 0 {
		c.Limits.MaxBytes = c.MaxUploadBytes
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	return c
}

// Deps are the backends and neighbours a Service works with.
type Deps struct {
	DB         *db.DB
	Blob       blob.Store
	Transcoder Transcoder
	Jobs       Enqueuer
	Products   ProductLinker // optional: without it, POST /videos refuses product links
	Index      Indexer       // optional: keeps the feed's search documents in line
	Log        *slog.Logger
	Now        func() time.Time // the clock; time.Now when nil
	// AvatarURL builds the URL of a creator's avatar from users.avatar_id
	// (account.Service.AvatarURL); nil leaves every avatar_url null.
	AvatarURL func(userID, avatarID string) *string
}

// Service publishes, transcodes, serves and deletes videos, and runs the tus
// upload staging area.
type Service struct {
	db        *db.DB
	blob      blob.Store
	tc        Transcoder
	jobs      Enqueuer
	products  ProductLinker
	index     Indexer
	log       *slog.Logger
	cfg       Config
	now       func() time.Time
	tus       http.Handler
	avatarURL func(userID, avatarID string) *string
}

// NewService returns a Service, creating the staging directory. It returns an
// error if a required dependency is missing or the directory cannot be used.
func NewService(deps Deps, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if deps.DB == nil || deps.Blob == nil || deps.Transcoder == nil || deps.Jobs == nil {
		return nil, errors.New("media: DB, Blob, Transcoder and Jobs are required")
	}
	if cfg.StagingDir == "" {
		return nil, errors.New("media: no staging directory for uploads")
	}
	if err := os.MkdirAll(cfg.StagingDir, 0o750); err != nil {
		return nil, fmt.Errorf("media: create staging directory: %w", err)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	s := &Service{
		db: deps.DB, blob: deps.Blob, tc: deps.Transcoder, jobs: deps.Jobs, products: deps.Products, index: deps.Index,
		log: deps.Log, cfg: cfg, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
		avatarURL: deps.AvatarURL,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.tus, err = s.newTusHandler(); err != nil {
		return nil, err
	}
	return s, nil
}

// MaxUploadBytes is the largest upload accepted, for the Tus-Max-Size header.
func (s *Service) MaxUploadBytes() int64 { return s.cfg.MaxUploadBytes }

func videoPrefix(id string) string { return "videos/" + id + "/" }
