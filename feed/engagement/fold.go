package engagement

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// counters is a change to the counters of a video, overall or on one day.
type counters struct {
	views, uniques, watchMS, completions, shares, clicks int64
}

type dayKey struct{ video, day string }

type secondKey struct {
	video  string
	second int64
}

type pairKey struct{ viewer, video string }

type interestKey struct{ viewer, kind, key string }

// historyDelta is what one batch adds to a viewer's history with a video;
// reach is the furthest position of each view (session) in the batch.
type historyDelta struct {
	first, last                 time.Time
	views, watchMS, completions int64
	reach                       map[time.Time]int64
}

// signalSum is a sum of interest signals, worth weight at time at.
type signalSum struct {
	at     time.Time
	weight float64
}

// deltas gathers what a batch of events changes, so that each row is
// written once per batch.
type deltas struct {
	halfLife  time.Duration
	videos    map[string]*counters
	days      map[dayKey]*counters
	retention map[secondKey]int64
	history   map[pairKey]*historyDelta
	interests map[interestKey]*signalSum
}

func (s *Service) newDeltas() *deltas {
	return &deltas{
		halfLife: s.cfg.ProfileHalfLife, videos: map[string]*counters{}, days: map[dayKey]*counters{},
		retention: map[secondKey]int64{}, history: map[pairKey]*historyDelta{}, interests: map[interestKey]*signalSum{},
	}
}

// isWatch reports whether an event type is one a client sends while watching.
func isWatch(typ string) bool {
	switch typ {
	case TypeView, TypeProgress, TypeComplete, TypeShare, TypeProductClick:
		return true
	}
	return false
}

func (d *deltas) add(e pending, m videoMeta, signal float64) {
	if isWatch(e.typ) {
		c := counters{watchMS: e.watched}
		if e.counted {
			switch e.typ {
			case TypeView:
				c.views = 1
			case TypeComplete:
				c.completions = 1
			case TypeShare:
				c.shares = 1
			case TypeProductClick:
				c.clicks = 1
			}
		}
		addCounters(d.videos, e.videoID, c)
		addCounters(d.days, dayKey{e.videoID, e.at.Format(time.DateOnly)}, c)
		h := d.history[pairKey{e.viewerID, e.videoID}]
		if h == nil {
			h = &historyDelta{first: e.at, reach: map[time.Time]int64{}}
			d.history[pairKey{e.viewerID, e.videoID}] = h
		}
		h.last = e.at
		h.views += c.views
		h.watchMS += c.watchMS
		h.completions += c.completions
		h.reach[e.sessionAt] = max(h.reach[e.sessionAt], e.position)
	}
	if signal <= 0 {
		return
	}
	if len(m.hashtags) > 0 {
		per := signal / float64(len(m.hashtags))
		for _, tag := range m.hashtags {
			d.addSignal(interestKey{e.viewerID, kindTag, tag}, per, e.at)
		}
	}
	d.addSignal(interestKey{e.viewerID, kindCreator, m.creatorID}, signal, e.at)
}

func addCounters[K comparable](m map[K]*counters, k K, c counters) {
	if m[k] == nil {
		m[k] = &counters{}
	}
	t := m[k]
	t.views += c.views
	t.uniques += c.uniques
	t.watchMS += c.watchMS
	t.completions += c.completions
	t.shares += c.shares
	t.clicks += c.clicks
}

func (d *deltas) addSignal(k interestKey, w float64, at time.Time) {
	sum := d.interests[k]
	if sum == nil {
		d.interests[k] = &signalSum{at: at, weight: w}
		return
	}
	*sum = combine(*sum, signalSum{at: at, weight: w}, d.halfLife)
}

// combine adds two decaying weights, as of the later of their times.
func combine(a, b signalSum, halfLife time.Duration) signalSum {
	if b.at.After(a.at) {
		a, b = b, a
	}
	return signalSum{at: a.at, weight: a.weight + b.weight*math.Exp2(-float64(a.at.Sub(b.at))/float64(halfLife))}
}

// foldHistory adds the batch to each viewer's history with each video,
// counts viewers new to a video, and moves each view's place in the
// video's retention histogram from how far it had reached to how far it
// reaches now.
func (s *Service) foldHistory(ctx context.Context, tx *sql.Tx, meta map[string]videoMeta, d *deltas) error {
	pairs := slices.SortedFunc(maps.Keys(d.history), func(a, b pairKey) int {
		return cmp.Or(cmp.Compare(a.video, b.video), cmp.Compare(a.viewer, b.viewer))
	})
	known, err := loadReach(ctx, tx, pairs)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(pairs))
	for _, p := range pairs {
		h := d.history[p]
		last, found := known[p]
		if !found {
			addCounters(d.videos, p.video, counters{uniques: 1})
		}
		maxSecond := meta[p.video].durationMS / 1000
		second := func(ms int64) int64 { return min(ms/1000, max(maxSecond, 0)) }
		for _, at := range slices.SortedFunc(maps.Keys(h.reach), time.Time.Compare) {
			reach := h.reach[at]
			switch {
			case found && at.Equal(last.at):
				if reach > last.reachMS {
					d.retention[secondKey{p.video, second(last.reachMS)}]--
					d.retention[secondKey{p.video, second(reach)}]++
					last.reachMS = reach
				}
			case !found || at.After(last.at):
				d.retention[secondKey{p.video, second(reach)}]++
				last, found = reachState{at: at, reachMS: reach}, true
			}
		}
		rows = append(rows, []any{p.viewer, p.video, h.first, h.last, h.views, h.watchMS, h.completions, last.at, last.reachMS})
	}
	err = upsert(ctx, tx, `INSERT INTO watch_history (viewer_id, video_id, first_at, last_at, views, watch_ms, completions, session_at, reach_ms)`,
		`ON CONFLICT (viewer_id, video_id) DO UPDATE SET
			first_at = CASE WHEN excluded.first_at < watch_history.first_at THEN excluded.first_at ELSE watch_history.first_at END,
			last_at = CASE WHEN excluded.last_at > watch_history.last_at THEN excluded.last_at ELSE watch_history.last_at END,
			views = watch_history.views + excluded.views, watch_ms = watch_history.watch_ms + excluded.watch_ms,
			completions = watch_history.completions + excluded.completions,
			session_at = excluded.session_at, reach_ms = excluded.reach_ms`, rows)
	if err != nil {
		return fmt.Errorf("engagement: write watch history: %w", err)
	}
	return nil
}

// reachState is how far a viewer's latest view of a video has reached.
type reachState struct {
	at      time.Time
	reachMS int64
}

// loadReach returns the latest view of each pair that has a history.
func loadReach(ctx context.Context, tx *sql.Tx, pairs []pairKey) (map[pairKey]reachState, error) {
	out := map[pairKey]reachState{}
	const perQuery = 200
	for i := 0; i < len(pairs); i += perQuery {
		part := pairs[i:min(i+perQuery, len(pairs))]
		want := map[pairKey]bool{}
		var viewers, videos []string
		for _, p := range part {
			want[p] = true
			viewers = append(viewers, p.viewer)
			videos = append(videos, p.video)
		}
		viewers, videos = dedupe(viewers), dedupe(videos)
		inV, args := inList(viewers, 1)
		inVid, args2 := inList(videos, len(args)+1)
		rows, err := tx.QueryContext(ctx, `SELECT viewer_id, video_id, session_at, reach_ms FROM watch_history
			WHERE viewer_id IN (`+inV+`) AND video_id IN (`+inVid+`)`, append(args, args2...)...)
		if err != nil {
			return nil, fmt.Errorf("engagement: load watch history: %w", err)
		}
		for rows.Next() {
			var p pairKey
			var r reachState
			if err := rows.Scan(&p.viewer, &p.video, &r.at, &r.reachMS); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engagement: scan watch history: %w", err)
			}
			if want[p] {
				r.at = r.at.UTC()
				out[p] = r
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("engagement: load watch history: %w", err)
		}
	}
	return out, nil
}

// write adds the counter changes to video_stats, video_daily and
// video_retention, each in key order so that concurrent writers of the
// same rows cannot deadlock.
func (d *deltas) write(ctx context.Context, tx *sql.Tx) error {
	var stats, daily, retention [][]any
	for _, id := range slices.Sorted(maps.Keys(d.videos)) {
		c := d.videos[id]
		stats = append(stats, []any{id, c.views, c.uniques, c.watchMS, c.completions, c.shares, c.clicks})
	}
	for _, k := range slices.SortedFunc(maps.Keys(d.days), func(a, b dayKey) int {
		return cmp.Or(cmp.Compare(a.video, b.video), cmp.Compare(a.day, b.day))
	}) {
		c := d.days[k]
		daily = append(daily, []any{k.video, k.day, c.views, c.watchMS, c.completions, c.shares, c.clicks})
	}
	for _, k := range slices.SortedFunc(maps.Keys(d.retention), func(a, b secondKey) int {
		return cmp.Or(cmp.Compare(a.video, b.video), cmp.Compare(a.second, b.second))
	}) {
		if n := d.retention[k]; n != 0 {
			retention = append(retention, []any{k.video, k.second, n})
		}
	}
	if err := upsert(ctx, tx, `INSERT INTO video_stats (video_id, views, unique_viewers, watch_ms, completions, shares, product_clicks)`,
		`ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + excluded.views,
			unique_viewers = video_stats.unique_viewers + excluded.unique_viewers, watch_ms = video_stats.watch_ms + excluded.watch_ms,
			completions = video_stats.completions + excluded.completions, shares = video_stats.shares + excluded.shares,
			product_clicks = video_stats.product_clicks + excluded.product_clicks`, stats); err != nil {
		return fmt.Errorf("engagement: add to video stats: %w", err)
	}
	if err := upsert(ctx, tx, `INSERT INTO video_daily (video_id, day, views, watch_ms, completions, shares, product_clicks)`,
		`ON CONFLICT (video_id, day) DO UPDATE SET views = video_daily.views + excluded.views,
			watch_ms = video_daily.watch_ms + excluded.watch_ms, completions = video_daily.completions + excluded.completions,
			shares = video_daily.shares + excluded.shares, product_clicks = video_daily.product_clicks + excluded.product_clicks`, daily); err != nil {
		return fmt.Errorf("engagement: add to daily counters: %w", err)
	}
	if err := upsert(ctx, tx, `INSERT INTO video_retention (video_id, second, views)`,
		`ON CONFLICT (video_id, second) DO UPDATE SET views = video_retention.views + excluded.views`, retention); err != nil {
		return fmt.Errorf("engagement: move retention: %w", err)
	}
	return nil
}
