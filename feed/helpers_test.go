package feed_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/bleve"
	"github.com/reelmart/reelmart/platform/search/elastic/elastictest"
)

var ctx = context.Background()

// engine opens a search engine for one test.
type engine struct {
	name string
	open func(t testing.TB) search.Index
}

func engines() []engine {
	return []engine{
		{"bleve", func(t testing.TB) search.Index {
			ix, err := bleve.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ix.Close() })
			return ix
		}},
		{"elastic", func(t testing.TB) search.Index {
			return elastictest.Open(t, "feed", feed.IndexName, catalog.IndexName)
		}},
	}
}

// eachEngine runs fn once per search engine, on a SQLite database.
func eachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, en := range engines() {
		t.Run(en.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, dbtest.Open(t, db.SQLite), en.open(t)))
		})
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is the feed on real engines with the real media, catalog, account
// and job queue around it. Only engagement is a stand-in (signals), until
// its package is wired.
type env struct {
	t        testing.TB
	d        *db.DB
	ix       search.Index
	clock    *clock
	sig      *signals
	jobs     *jobs.Queue
	accounts *account.Service
	media    *media.Service
	catalog  *catalog.Service
	feed     *feed.Service
	blocks   *blockList
}

func newEnv(t testing.TB, d *db.DB, ix search.Index, opts ...func(*feed.Config)) *env {
	t.Helper()
	e := &env{t: t, d: d, ix: ix, clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}, sig: newSignals(), blocks: &blockList{}}
	var err error
	e.jobs, err = jobs.OpenWith(ctx, d, nil, jobs.Options{Backoff: func(int) time.Duration { return 100 * time.Millisecond }, ShortPollInterval: 50 * time.Millisecond},
		jobs.Kind{Name: feed.IndexKind, Queue: jobs.QueueShort, MaxAttempts: jobs.Forever, Timeout: time.Minute,
			Handler: func(ctx context.Context, j jobs.Job) error { return e.feed.IndexJob(ctx, j) }},
		jobs.Kind{Name: feed.RebuildKind, MaxAttempts: 1, Timeout: 10 * time.Minute,
			Handler: func(ctx context.Context, _ jobs.Job) error { _, err := e.feed.Rebuild(ctx, nil); return err }},
		jobs.Kind{Name: media.TranscodeKind, Handler: func(context.Context, jobs.Job) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.jobs.Close() })
	blobs, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	e.accounts = account.NewService(d, account.Config{}, e.clock.now)
	e.catalog = catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD", Videos: indexerOf(e)}, e.clock.now)
	e.media, err = media.NewService(media.Deps{DB: d, Blob: blobs, Transcoder: transcode.Sandbox{}, Jobs: e.jobs,
		Products: e.catalog.Pins(), Index: indexerOf(e), Now: e.clock.now}, media.Config{StagingDir: t.TempDir(), PublicURL: "http://reelmart.test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := feed.Config{}
	for _, o := range opts {
		o(&cfg)
	}
	e.feed, err = feed.NewService(feed.Deps{DB: d, Index: ix, Jobs: e.jobs, Videos: e.media, Signals: e.sig,
		Follows: e.accounts, Blocks: e.blocks, Users: e.accounts, Log: slog.New(slog.DiscardHandler), Now: e.clock.now}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// indexerOf reaches e.feed once it exists: media and catalog are built first.
type lateIndexer struct{ e *env }

func indexerOf(e *env) lateIndexer { return lateIndexer{e} }

func (l lateIndexer) VideosChanged(ctx context.Context, tx *sql.Tx, ids ...string) error {
	return l.e.feed.VideosChanged(ctx, tx, ids...)
}

// work runs the job queue until the test ends.
func (e *env) work() {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.jobs.Work(wctx, jobs.Workers{Short: 2}); err != nil {
			e.t.Errorf("job queue: %v", err)
		}
	}()
	e.t.Cleanup(func() { cancel(); <-done })
}

// user inserts an account (no password hashing: the feed never logs in).
func (e *env) user(handle string) string {
	e.t.Helper()
	id := reelmart.NewID()
	_, err := e.d.ExecContext(ctx, `INSERT INTO users (id, email, email_norm, handle, display_name, password_hash, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $4, 'x', $5, $5)`, id, handle+"@example.com", handle, "The "+handle, e.clock.now())
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// video inserts a ready video published age ago, as the transcode job
// leaves it, without indexing it.
func (e *env) video(creator string, age time.Duration, tags ...string) string {
	e.t.Helper()
	id := reelmart.NewID()
	raw, _ := json.Marshal(tags)
	at := e.clock.now().Add(-age)
	_, err := e.d.ExecContext(ctx, `INSERT INTO videos (id, creator_id, status, progress, caption, hashtags, duration_ms, width, height,
		renditions, hls_key, poster_key, created_at, updated_at)
		VALUES ($1, $2, 'ready', 1, $3, $4, 15000, 720, 1280, '[]', $5, $6, $7, $7)`,
		id, creator, "A video about "+fmt.Sprint(tags), string(raw), "videos/"+id+"/hls/master.m3u8", "videos/"+id+"/poster.jpg", at)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// index writes the documents of ids now and makes them searchable.
func (e *env) index(ids ...string) {
	e.t.Helper()
	if err := e.feed.IndexVideos(ctx, ids...); err != nil {
		e.t.Fatal(err)
	}
	if err := e.ix.Refresh(ctx, feed.IndexName); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) follow(follower, followee string) {
	e.t.Helper()
	if err := e.accounts.Follow(ctx, follower, followee); err != nil {
		e.t.Fatal(err)
	}
}

// product creates an active product with one SKU of stock, pinned to video.
func (e *env) product(owner, video string, stock int) catalog.Product {
	e.t.Helper()
	sh, err := e.catalog.CreateShop(ctx, owner, catalog.ShopInput{Name: "shop " + reelmart.NewID()[:8]})
	if err != nil {
		e.t.Fatal(err)
	}
	code := "STD"
	p, err := e.catalog.CreateProduct(ctx, owner, catalog.ProductInput{ShopID: sh.ID, Title: "Copper pan", CommissionBPS: 500,
		Status: catalog.StatusActive, SKUs: []catalog.SKUInput{{Code: &code, Price: &catalog.Money{AmountMinor: 2500}, Stock: &stock}}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.media.Relink(ctx, video, owner, []media.ProductLink{{ProductID: p.ID}}); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// feedPage asks for a page, failing the test on an error.
func (e *env) page(viewer, cursor string, limit int) feed.Page {
	e.t.Helper()
	p, err := e.feed.Feed(ctx, feed.Request{ViewerID: viewer, Cursor: cursor, Limit: limit, Debug: true})
	if err != nil {
		e.t.Fatalf("feed for %q: %v", viewer, err)
	}
	return p
}

func ids(items []feed.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// signals stands in for engagement in tests: counters per video, and
// profiles and interactions built from what each viewer watched.
type signals struct {
	mu       sync.Mutex
	stats    map[string]feed.Stats
	profiles map[string]map[string]float64
	inter    map[string]map[string]float64
	liked    map[string]map[string]bool
}

func newSignals() *signals {
	return &signals{stats: map[string]feed.Stats{}, profiles: map[string]map[string]float64{},
		inter: map[string]map[string]float64{}, liked: map[string]map[string]bool{}}
}

func (s *signals) Stats(_ context.Context, ids []string) (map[string]feed.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]feed.Stats{}
	for _, id := range ids {
		if st, ok := s.stats[id]; ok {
			out[id] = st
		}
	}
	return out, nil
}

func (s *signals) Profile(_ context.Context, viewer string) (feed.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return feed.Profile{Hashtags: maps.Clone(s.profiles[viewer])}, nil
}

func (s *signals) Liked(_ context.Context, viewer string, ids []string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for _, id := range ids {
		if s.liked[viewer][id] {
			out[id] = true
		}
	}
	return out, nil
}

func (s *signals) Interactions(_ context.Context, viewer string) (map[string]float64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.inter[viewer]), nil
}

// setStats replaces a video's counters.
func (s *signals) setStats(id string, st feed.Stats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats[id] = st
}

// watch records one view: completed and liked when the viewer liked what
// they saw, which also feeds their profile and interactions, as
// engagement's events would.
func (s *signals) watch(viewer string, it feed.Item, liked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[it.ID]
	st.Views++
	if liked {
		st.Completions++
		st.Likes++
		if s.profiles[viewer] == nil {
			s.profiles[viewer], s.inter[viewer], s.liked[viewer] = map[string]float64{}, map[string]float64{}, map[string]bool{}
		}
		for _, t := range it.Hashtags {
			s.profiles[viewer][t]++
		}
		s.inter[viewer][it.Creator.ID]++
		s.liked[viewer][it.ID] = true
	}
	s.stats[it.ID] = st
}

// blockList is the account domain's blocks as the feed sees them.
type blockList struct {
	mu     sync.Mutex
	hidden map[string][]string
}

func (b *blockList) Hidden(_ context.Context, viewer string) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.hidden[viewer]), nil
}

func (b *blockList) block(viewer, other string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hidden == nil {
		b.hidden = map[string][]string{}
	}
	b.hidden[viewer] = append(b.hidden[viewer], other)
	b.hidden[other] = append(b.hidden[other], viewer)
}
