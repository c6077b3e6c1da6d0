package engagement_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
)

var ctx = context.Background()

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is a Service on a real database with a settable clock and a
// Reindexer that records each call in its transaction.
type env struct {
	t     *testing.T
	db    *db.DB
	svc   *engagement.Service
	clock *clock
	index *reindexLog
}

func newEnv(t *testing.T, d *db.DB, cfg engagement.Config) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)}
	ix := &reindexLog{}
	svc, err := engagement.NewService(engagement.Deps{DB: d, Now: c.now, Reindexer: ix}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: d, svc: svc, clock: c, index: ix}
}

// reindexLog is the feed's side of the flush for these tests: it writes
// each call into a table inside the caller's transaction, so a call counts
// only if the aggregation that made it committed.
type reindexLog struct{}

func (reindexLog) VideosChanged(ctx context.Context, tx *sql.Tx, ids ...string) error {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS test_reindexed (video_id TEXT NOT NULL)`); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO test_reindexed (video_id) VALUES ($1)`, id); err != nil {
			return err
		}
	}
	return nil
}

// reindexed returns how many times each video was passed to VideosChanged.
func (e *env) reindexed() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	rows, err := e.db.Query(`SELECT video_id FROM test_reindexed`)
	if err != nil {
		return out // no call yet: the table does not exist
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		out[id]++
	}
	return out
}

// user inserts a user row and returns its id.
func (e *env) user(handle string) string {
	e.t.Helper()
	id := reelmart.NewID()
	_, err := e.db.Exec(`INSERT INTO users (id, email, email_norm, handle, display_name, password_hash, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $3, 'x', $4, $4)`, id, handle+"@example.com", handle, e.clock.now())
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// video inserts a video of creator with status, duration and hashtags.
func (e *env) video(creator, status string, durationMS int64, tags ...string) string {
	e.t.Helper()
	id := reelmart.NewID()
	if tags == nil {
		tags = []string{}
	}
	raw, _ := json.Marshal(tags)
	_, err := e.db.Exec(`INSERT INTO videos (id, creator_id, status, duration_ms, hashtags, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, id, creator, status, durationMS, string(raw), e.clock.now())
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func code(err error) string {
	if e := reelmart.AsError(err); e != nil {
		return e.Code
	}
	return ""
}

// ev builds an event.
func ev(id, typ string, positionMS, watchedMS int64) engagement.Event {
	return engagement.Event{EventID: id, Type: typ, PositionMS: positionMS, WatchedMS: watchedMS}
}

// record sends events and fails the test on an error.
func (e *env) record(viewer, video string, events ...engagement.Event) engagement.Receipt {
	e.t.Helper()
	r, err := e.svc.Record(ctx, viewer, video, "192.0.2.1", events)
	if err != nil {
		e.t.Fatalf("record %v: %v", events, err)
	}
	return r
}

// aggregate runs the aggregator until it has nothing left.
func (e *env) aggregate() int {
	e.t.Helper()
	n, err := e.svc.Aggregate(ctx)
	if err != nil {
		e.t.Fatalf("aggregate: %v", err)
	}
	return n
}

func (e *env) stats(video string) engagement.Stats {
	e.t.Helper()
	st, err := e.svc.Stats(ctx, []string{video})
	if err != nil {
		e.t.Fatal(err)
	}
	return st[video]
}

func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// pin creates a shop and an active product of owner and pins it to video.
func (e *env) pin(owner, video string) string {
	e.t.Helper()
	now := e.clock.now()
	shop, product := reelmart.NewID(), reelmart.NewID()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO shops (id, owner_id, name, name_norm, created_at, updated_at) VALUES ($1, $2, $3, $3, $4, $4)`, []any{shop, owner, "shop " + shop, now}},
		{`INSERT INTO products (id, shop_id, title, commission_bps, status, created_at, updated_at) VALUES ($1, $2, 'thing', 0, 'active', $3, $3)`, []any{product, shop, now}},
		{`INSERT INTO pins (id, video_id, product_id, position, created_at) VALUES ($1, $2, $3, 0, $4)`, []any{reelmart.NewID(), video, product, now}},
	} {
		if _, err := e.db.Exec(q.sql, q.args...); err != nil {
			e.t.Fatal(err)
		}
	}
	return product
}

func (e *env) creatorOf(video string) string {
	e.t.Helper()
	var id string
	if err := e.db.QueryRow(`SELECT creator_id FROM videos WHERE id = $1`, video).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}
