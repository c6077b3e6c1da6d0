// Package demo loads Reelmart's demo world — creators with avatars and
// bios, shops with products, stock and pictures, short videos with product
// pins, follows, orders, likes and comments — through the same services
// the API uses, so every rule and every job (probe, transcode, indexing)
// applies to it as to real content.
//
// Seeding is idempotent: each thing is looked up by a natural key before
// it is made (see world.go), so a second run changes nothing. A lease in
// the database (table demo_seed) lets one seeder run at a time across
// processes and nodes; the others wait for it. The pictures are drawn in
// Go and the videos synthesised by transcode.Clip, so nothing is
// downloaded and no media file is shipped.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/db"
)

// Synthesizer makes a clip's source file; transcode.Sandbox is one.
type Synthesizer interface {
	Synthesize(ctx context.Context, c transcode.Clip) error
}

// Engagement records likes and comments. Like is idempotent; Comment must
// not add a second comment with the same body by the same user on the same
// video, and reports whether it added one. Social is the production one.
type Engagement interface {
	Like(ctx context.Context, userID, videoID string) error
	Comment(ctx context.Context, userID, videoID, body string) (added bool, err error)
}

// Deps are the services the seeder works through.
type Deps struct {
	DB       *db.DB
	Accounts *account.Service
	Catalog  *catalog.Service
	Media    *media.Service
	Clips    Synthesizer
	// Currency is the deployment's; the demo orders are placed in it over
	// the past week through checkout services of their own whose clocks
	// are set back. Empty: no orders.
	Currency string
	// Engagement adds likes and comments once the videos are ready. Nil: none.
	Engagement Engagement
	Log        *slog.Logger
}

// Options tune one run.
type Options struct {
	// OnlyIfPending skips the run when the demo has already been seeded to
	// the end (the first start of serve uses it; `reelmart seed` does not).
	OnlyIfPending bool
	// ReadyTimeout bounds the wait for the videos to become ready before
	// likes and comments are added to them; default 20 minutes.
	ReadyTimeout time.Duration
	// TempDir holds the synthesised clips until they are published; default os.TempDir().
	TempDir string
	// Quick makes every clip one second of 144×256: the same world, ready
	// in seconds, for tests and quick trials.
	Quick bool
}

// Progress is one step of a run, for a progress line or a log entry.
type Progress struct {
	Step  string // what was just done, e.g. `video "…" published`
	Done  int
	Total int
}

// Summary counts what a run made and what it found already there.
type Summary struct {
	Created, Existing int
	Skipped           bool // OnlyIfPending and nothing was pending
}

// Seeder loads the demo world.
type Seeder struct {
	d   Deps
	opt Options
	// ids of what the run found or made, by natural key
	users    map[string]string // handle → user id
	shops    map[string]string // shop name → shop id
	products map[string]catalog.Product
	videoIDs []string // by index in videos
	sum      Summary
	done     int
	report   func(Progress)
}

// New returns a Seeder working through d.
func New(d Deps, opt Options) *Seeder {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if opt.ReadyTimeout <= 0 {
		opt.ReadyTimeout = 20 * time.Minute
	}
	if opt.TempDir == "" {
		opt.TempDir = os.TempDir()
	}
	return &Seeder{d: d, opt: opt}
}

// total is the number of steps a run reports.
func (s *Seeder) total() int {
	n := len(creators) + 1 + 1 + len(videos) // accounts, the shopper, follows, videos
	for _, c := range creators {
		if c.Shop != nil {
			n += 1 + len(c.Shop.Products)
		}
	}
	if s.d.Currency != "" {
		n += len(orders)
	}
	if s.d.Engagement != nil {
		n += len(videos)
		for _, cs := range comments {
			n += len(cs)
		}
	}
	return n
}

// Run seeds the demo world, calling report after each step. It waits while
// another seeder holds the lease. It returns the first error that stops it;
// what was made before stays, and the next run goes on from there.
func (s *Seeder) Run(ctx context.Context, report func(Progress)) (Summary, error) {
	if report == nil {
		report = func(Progress) {}
	}
	s.report = report
	s.users, s.shops, s.products = map[string]string{}, map[string]string{}, map[string]catalog.Product{}
	s.videoIDs = make([]string, len(videos))
	s.sum, s.done = Summary{}, 0

	if s.opt.OnlyIfPending {
		if pending, err := Pending(ctx, s.d.DB); err != nil || !pending {
			return Summary{Skipped: err == nil}, err
		}
	}
	l, err := s.acquire(ctx)
	if err != nil {
		return s.sum, err
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go l.renew(ctx, stop)
	if s.opt.OnlyIfPending {
		// Another node may have seeded it to the end while this one waited.
		if done, err := finished(ctx, s.d.DB); err != nil || done {
			l.release(context.WithoutCancel(ctx), false)
			return Summary{Skipped: err == nil}, err
		}
	}
	err = s.steps(ctx)
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause // the lease was lost: say so rather than "context canceled"
	}
	l.release(context.WithoutCancel(ctx), err == nil)
	return s.sum, err
}

// steps runs the seed in an order that gets the small videos to the
// transcoder first: their shops, then them, then everything else.
func (s *Seeder) steps(ctx context.Context) error {
	early := map[string]bool{}
	for _, v := range videos {
		for _, p := range v.Pins {
			early[p.Shop] = early[p.Shop] || v.Small
		}
	}
	first := func(small bool) func(string) bool { return func(shop string) bool { return early[shop] == small } }
	for _, step := range []func(context.Context) error{
		s.people, s.follows,
		func(ctx context.Context) error { return s.shopsAndProducts(ctx, first(true)) },
		func(ctx context.Context) error { return s.videos(ctx, true) },
		func(ctx context.Context) error { return s.shopsAndProducts(ctx, first(false)) },
		func(ctx context.Context) error { return s.videos(ctx, false) },
		s.orders, s.engage,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// step reports one unit of work done; created says whether it made
// something or found it there.
func (s *Seeder) step(created bool, format string, args ...any) {
	if created {
		s.sum.Created++
	} else {
		s.sum.Existing++
	}
	s.done++
	s.report(Progress{Step: fmt.Sprintf(format, args...), Done: s.done, Total: s.total()})
}

// Pending reports whether the demo should be seeded at the first start: the
// database has no users and has never been seeded, or a seed began and
// never finished.
func Pending(ctx context.Context, d *db.DB) (bool, error) {
	var started, finished, users int
	err := d.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM demo_seed),
		(SELECT COUNT(*) FROM demo_seed WHERE finished_at IS NOT NULL),
		(SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) u)`).Scan(&started, &finished, &users)
	if err != nil {
		return false, fmt.Errorf("demo: seed state: %w", err)
	}
	if started > 0 {
		return finished == 0, nil
	}
	return users == 0, nil
}
