package feed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// Paging limits of the feeds.
const (
	DefaultLimit = 10
	MaxLimit     = 50
)

// batchSize is how many ranked items a session stores at a time: three
// default pages. The next batch is ranked afresh, so what the viewer
// watched meanwhile (their profile) shapes it: the feed adapts within a
// session, every few pages.
const batchSize = 30

// Request asks for a page of the feed. ViewerID is a user id, the id of
// the signed viewer_id cookie, or "" for a viewer with no identity (no
// history, no personalisation). Cursor is "" to start a session.
type Request struct {
	ViewerID string
	Cursor   string
	Limit    int
	Debug    bool
}

// Page is one page of a feed. NextCursor is "" when nothing is left.
type Page struct {
	Items      []Item
	NextCursor string
	Degraded   bool
}

// sessionCursor is a position in a session: item O of batch B.
type sessionCursor struct {
	Session string `json:"s"`
	Batch   int    `json:"b"`
	Offset  int    `json:"o"`
	Expires int64  `json:"e"` // unix seconds
}

// batchItem is one ranked video as a session batch stores it: compact,
// with what debug=1 shows.
type batchItem struct {
	ID      string     `json:"v"`
	Creator string     `json:"c"`
	Score   float64    `json:"s"`
	Parts   [5]float64 `json:"p"`
	Rates   [4]float64 `json:"r"`
	Sources Source     `json:"f"`
	Explore bool       `json:"x,omitempty"`
}

func toBatchItem(sc Scored) batchItem {
	p, r := sc.Parts, sc.Rates
	return batchItem{ID: sc.ID, Creator: sc.CreatorID, Score: round(sc.Score), Sources: sc.Sources, Explore: sc.Explore,
		Parts: [5]float64{round(p.Interest), round(p.Quality), round(p.Affinity), round(p.Freshness), round(p.Commerce)},
		Rates: [4]float64{round(r.Completion), round(r.Like), round(r.Share), round(r.Purchase)}}
}

func (b batchItem) debug() *Debug {
	return &Debug{Score: b.Score, Sources: b.Sources.Names(), Explore: b.Explore,
		Parts: Parts{Interest: b.Parts[0], Quality: b.Parts[1], Affinity: b.Parts[2], Freshness: b.Parts[3], Commerce: b.Parts[4]},
		Rates: Rates{Completion: b.Rates[0], Like: b.Rates[1], Share: b.Rates[2], Purchase: b.Rates[3]}}
}

func round(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// batch is one stored ranked list of a session.
type batch struct {
	items    []batchItem
	degraded bool
}

// Feed returns a page of the personalised feed. Without a cursor it ranks
// a new session; with one it continues that session from the database,
// ranking the next batch when one runs out, and offering already served
// videos again when nothing new is left. It returns a validation error
// naming cursor for a cursor it did not issue to this viewer or that
// expired, and a limit outside 1..MaxLimit.
func (s *Service) Feed(ctx context.Context, r Request) (Page, error) {
	limit, err := checkLimit(r.Limit)
	if err != nil {
		return Page{}, err
	}
	now := s.now()
	var cur sessionCursor
	fresh := r.Cursor == ""
	if fresh {
		cur = sessionCursor{Session: reelmart.NewID(), Expires: now.Add(s.cfg.SessionTTL).Unix()}
	} else if err := s.keys.open(ctx, kindSession, r.ViewerID, r.Cursor, &cur); err != nil {
		return Page{}, cursorError(err)
	} else if now.Unix() >= cur.Expires {
		return Page{}, expiredCursor()
	}

	var picked []batchItem
	degraded, ended := false, false
	var b batch
	var known *viewerState                // the viewer as this request read them to rank, if it ranked
	var store func(context.Context) error // a new session's first batch, stored beside the page's reads
	loaded := -1
	for len(picked) < limit {
		if loaded != cur.Batch {
			start := fresh && cur.Batch == 0
			if store != nil { // a later batch needs the session and its first batch stored
				if err := store(ctx); err != nil {
					return Page{}, err
				}
				store = nil
			}
			var v *viewerState
			if b, v, err = s.batch(ctx, r.ViewerID, cur, start, now); err != nil {
				return Page{}, err
			}
			if v != nil {
				known = v
			}
			if start {
				first, session := b, cur.Session
				store = func(ctx context.Context) error { return s.storeBatch(ctx, r.ViewerID, session, 0, first, true, now) }
			}
			loaded = cur.Batch
		}
		if len(b.items) == 0 {
			ended = true
			break
		}
		if cur.Offset >= len(b.items) {
			cur.Batch, cur.Offset = cur.Batch+1, 0
			continue
		}
		take := b.items[cur.Offset:min(len(b.items), cur.Offset+limit-len(picked))]
		picked = append(picked, take...)
		cur.Offset += len(take)
		degraded = degraded || b.degraded
	}

	// The page's reads and the session's writes are independent: one round
	// trip's time instead of three.
	page := Page{Degraded: degraded}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { page.Items, err = s.items(gctx, r.ViewerID, picked, r.Debug, known); return err })
	g.Go(func() error { return s.recordServed(gctx, r.ViewerID, picked, now) })
	if store != nil {
		g.Go(func() error { return store(gctx) })
	}
	if err := g.Wait(); err != nil {
		return Page{}, err
	}
	if !ended {
		if page.NextCursor, err = s.keys.seal(ctx, kindSession, r.ViewerID, cur); err != nil {
			return Page{}, err
		}
	}
	return page, nil
}

func checkLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 1 || limit > MaxLimit:
		return 0, reelmart.Invalid([]reelmart.FieldError{{Field: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", MaxLimit)}})
	}
	return limit, nil
}

func cursorError(err error) error {
	if errors.Is(err, errCursor) {
		return badCursor()
	}
	return err
}

// batch returns batch cur.Batch of the session: stored, or ranked now.
// The first batch of a new session (start) is returned unstored, for the
// caller to store; any other is stored here, and what is returned is the
// stored one (a racing request may have stored its own first). When it
// ranked, it also returns the viewer as it read them for the ranking.
func (s *Service) batch(ctx context.Context, viewerID string, cur sessionCursor, start bool, now time.Time) (batch, *viewerState, error) {
	var prior []batchItem
	if !start {
		b, err := s.loadBatch(ctx, cur.Session, cur.Batch)
		if err == nil || !errors.Is(err, db.ErrNoRows) {
			return b, nil, err
		}
		if prior, err = s.priorItems(ctx, cur.Session, cur.Batch); err != nil {
			return batch{}, nil, err
		}
	}
	v, err := s.viewer(ctx, viewerID, now)
	if err != nil {
		return batch{}, nil, err
	}
	b, err := s.rankBatch(ctx, v, cur, prior, now)
	if err != nil || start {
		return b, &v, err
	}
	if err := s.storeBatch(ctx, viewerID, cur.Session, cur.Batch, b, false, now); err != nil {
		return batch{}, nil, err
	}
	b, err = s.loadBatch(ctx, cur.Session, cur.Batch)
	return b, &v, err
}

// storeBatch stores batch n of a session (and the session itself, when
// newSession). Two requests racing for the same next batch both insert
// with ON CONFLICT DO NOTHING; the first wins and both serve it.
func (s *Service) storeBatch(ctx context.Context, viewerID, session string, n int, b batch, newSession bool, now time.Time) error {
	raw, err := json.Marshal(b.items)
	if err != nil {
		return fmt.Errorf("feed: encode batch: %w", err)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if newSession {
			if _, err := tx.ExecContext(ctx, `INSERT INTO feed_sessions (id, viewer_key, created_at) VALUES ($1, $2, $3)`,
				session, viewerID, now); err != nil {
				return fmt.Errorf("feed: store session: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_session_batches (session_id, batch, items, degraded, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, batch) DO NOTHING`, session, n, string(raw), b.degraded, now)
		if err != nil {
			return fmt.Errorf("feed: store batch: %w", err)
		}
		return nil
	})
}

// priorItems returns every item of the session's batches before n. A
// session that lacks any of them (or is gone) was swept: its cursors have
// expired.
func (s *Service) priorItems(ctx context.Context, session string, n int) ([]batchItem, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM feed_sessions WHERE id = $1`, session).Scan(&one)
	if errors.Is(err, db.ErrNoRows) {
		return nil, expiredCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("feed: load session: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT items FROM feed_session_batches WHERE session_id = $1 AND batch < $2 ORDER BY batch`, session, n)
	if err != nil {
		return nil, fmt.Errorf("feed: load session: %w", err)
	}
	defer rows.Close()
	var out []batchItem
	count := 0
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("feed: load session: %w", err)
		}
		var items []batchItem
		if err := json.Unmarshal([]byte(raw), &items); err != nil {
			return nil, fmt.Errorf("feed: decode batch of %s: %w", session, err)
		}
		out = append(out, items...)
		count++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feed: load session: %w", err)
	}
	if count != n {
		return nil, expiredCursor()
	}
	return out, nil
}

func (s *Service) loadBatch(ctx context.Context, session string, n int) (batch, error) {
	var raw string
	var b batch
	err := s.db.QueryRowContext(ctx, `SELECT items, degraded FROM feed_session_batches WHERE session_id = $1 AND batch = $2`,
		session, n).Scan(&raw, &b.degraded)
	if err != nil {
		if errors.Is(err, db.ErrNoRows) {
			return batch{}, err
		}
		return batch{}, fmt.Errorf("feed: load batch: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &b.items); err != nil {
		return batch{}, fmt.Errorf("feed: decode batch of %s: %w", session, err)
	}
	return b, nil
}

// rankBatch ranks the next list of a session: candidates that are neither
// in its earlier batches nor recently served, ranked, then mixed so that
// exploration slots and creator diversity carry on from prior. With no new
// candidate left, it offers the viewer's served videos again, least
// recently served first.
func (s *Service) rankBatch(ctx context.Context, v viewerState, cur sessionCursor, prior []batchItem, now time.Time) (batch, error) {
	inSession := make(map[string]bool, len(prior))
	exclude := make([]string, 0, len(prior)+len(v.served))
	for _, it := range prior {
		inSession[it.ID] = true
		exclude = append(exclude, it.ID)
	}
	exclude = append(exclude, v.served...)
	cands, degraded, err := s.candidates(ctx, v, exclude, now)
	if err != nil {
		return batch{}, err
	}
	var scored []Scored
	if len(cands) > 0 {
		ranked := Ranker{Weights: s.cfg.Weights, Priors: s.cfg.Priors}.Rank(v.ranking(), cands, now)
		recent := make([]string, 0, diversityWindow)
		for _, it := range prior[max(0, len(prior)-diversityWindow+1):] {
			recent = append(recent, it.Creator)
		}
		scored = mix(ranked, recent, len(prior), batchSize, sessionRand(cur.Session, cur.Batch), now)
	} else if scored, err = s.servedAgain(ctx, v, inSession); err != nil {
		return batch{}, err
	}
	scored = scored[:min(len(scored), batchSize)]
	b := batch{degraded: degraded, items: make([]batchItem, len(scored))}
	for i, sc := range scored {
		b.items[i] = toBatchItem(sc)
	}
	return b, nil
}

// sessionRand seeds the exploration picks of one batch of one session:
// repeatable for the session, different between sessions.
func sessionRand(session string, n int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(session))
	return rand.New(rand.NewPCG(h.Sum64(), uint64(n)))
}
