package engagement

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AggregateKind is the name the periodic aggregation job is registered
// under (jobs.Kind{Name: engagement.AggregateKind, Handler: …, Every: 5 * time.Second}).
const AggregateKind = "engagement.aggregate"

// lockAggregation takes the aggregation lock for the rest of tx: the row
// update waits for any other holder's transaction to end. Aggregation,
// viewer merges and account erasure all take it first, so they never see
// each other's half-done work, whichever node they run on.
func lockAggregation(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE engagement_lock SET runs = runs + 1 WHERE name = 'aggregate'`); err != nil {
		return fmt.Errorf("engagement: take the aggregation lock: %w", err)
	}
	return nil
}

// Aggregate adds every stored event not yet aggregated to the video
// counters, per-day counters, retention histograms, watch histories and
// interest profiles; brings checkout's sales signals into the counters; and
// passes every video whose counters changed to the Reindexer. Each batch
// of Config.AggregateBatch events is one transaction that also marks its
// events aggregated, so an event is counted exactly once however many
// aggregators run at once and wherever one stops. It returns how many
// events it aggregated.
func (s *Service) Aggregate(ctx context.Context) (int, error) {
	total := 0
	for first := true; ; first = false {
		n, err := s.aggregateBatch(ctx, first)
		total += n
		if err != nil || n < s.cfg.AggregateBatch {
			return total, err
		}
	}
}

// pending is one stored event on its way into the counters.
type pending struct {
	seq       int64
	viewerID  string
	videoID   string
	typ       string
	position  int64
	watched   int64
	counted   bool
	sessionAt time.Time
	at        time.Time
}

// videoMeta is what aggregation needs to know of a video.
type videoMeta struct {
	creatorID  string
	durationMS int64
	hashtags   []string
}

func (s *Service) aggregateBatch(ctx context.Context, withSales bool) (int, error) {
	n := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		n = 0
		if err := lockAggregation(ctx, tx); err != nil {
			return err
		}
		events, err := s.pendingEvents(ctx, tx)
		if err != nil {
			return err
		}
		n = len(events)
		now := s.now()
		changed := map[string]bool{}
		if len(events) > 0 {
			if err := s.fold(ctx, tx, events, changed); err != nil {
				return err
			}
		}
		if withSales {
			if err := s.syncSales(ctx, tx, now, changed); err != nil {
				return err
			}
		}
		if len(changed) == 0 || s.reindex == nil {
			return nil
		}
		ids := make([]string, 0, len(changed))
		for id := range changed {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if err := s.reindex.VideosChanged(ctx, tx, ids...); err != nil {
			return fmt.Errorf("engagement: re-index changed videos: %w", err)
		}
		return nil
	})
	return n, err
}

func (s *Service) pendingEvents(ctx context.Context, tx *sql.Tx) ([]pending, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, viewer_id, video_id, type, position_ms, watched_ms, counted, session_at, created_at
		FROM video_events WHERE aggregated = FALSE ORDER BY seq LIMIT `+strconv.Itoa(s.cfg.AggregateBatch))
	if err != nil {
		return nil, fmt.Errorf("engagement: load pending events: %w", err)
	}
	defer rows.Close()
	var out []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.seq, &p.viewerID, &p.videoID, &p.typ, &p.position, &p.watched, &p.counted, &p.sessionAt, &p.at); err != nil {
			return nil, fmt.Errorf("engagement: scan pending event: %w", err)
		}
		p.sessionAt, p.at = p.sessionAt.UTC(), p.at.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// fold adds events to every aggregate, marks them aggregated and adds the
// videos whose counters changed to changed.
func (s *Service) fold(ctx context.Context, tx *sql.Tx, events []pending, changed map[string]bool) error {
	var videoIDs []string
	for _, e := range events {
		videoIDs = append(videoIDs, e.videoID)
	}
	meta, err := loadVideoMeta(ctx, tx, dedupe(videoIDs))
	if err != nil {
		return err
	}
	d := s.newDeltas()
	for _, e := range events {
		// An event whose video was deleted meanwhile is only marked aggregated.
		if m, ok := meta[e.videoID]; ok {
			d.add(e, m, s.signal(e, m))
			changed[e.videoID] = true
		}
	}
	if err := s.foldHistory(ctx, tx, meta, d); err != nil {
		return err
	}
	if err := s.foldInterests(ctx, tx, d.interests); err != nil {
		return err
	}
	if err := d.write(ctx, tx); err != nil {
		return err
	}
	seqs := make([]string, len(events))
	for i, e := range events {
		seqs[i] = strconv.FormatInt(e.seq, 10)
	}
	for _, part := range chunks(seqs) {
		// The seqs are integers formatted here, so they are safe inline.
		if _, err := tx.ExecContext(ctx, `UPDATE video_events SET aggregated = TRUE WHERE seq IN (`+strings.Join(part, ", ")+`)`); err != nil {
			return fmt.Errorf("engagement: mark events aggregated: %w", err)
		}
	}
	return nil
}

func loadVideoMeta(ctx context.Context, tx *sql.Tx, ids []string) (map[string]videoMeta, error) {
	out := make(map[string]videoMeta, len(ids))
	for _, part := range chunks(ids) {
		in, args := inList(part, 1)
		rows, err := tx.QueryContext(ctx, `SELECT id, creator_id, duration_ms, hashtags FROM videos WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("engagement: load videos: %w", err)
		}
		for rows.Next() {
			var id, tags string
			var m videoMeta
			if err := rows.Scan(&id, &m.creatorID, &m.durationMS, &tags); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engagement: scan video: %w", err)
			}
			if err := json.Unmarshal([]byte(tags), &m.hashtags); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engagement: video %s hashtags: %w", id, err)
			}
			out[id] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("engagement: load videos: %w", err)
		}
	}
	return out, nil
}

// Interest signal strengths per event. A view or a product click counts
// only when its once-per-view rule counted it; progress teaches nothing
// beyond the view it belongs to.
var signalWeight = map[string]float64{
	TypeView: 1, TypeComplete: 2, TypeShare: 3, TypeProductClick: 2, typeLike: 3, typeComment: 2,
}

// signal returns how much e says about its viewer's interest in the
// video's hashtags and creator. Watching one's own videos says nothing.
func (s *Service) signal(e pending, m videoMeta) float64 {
	if e.viewerID == m.creatorID || !e.counted {
		return 0
	}
	return signalWeight[e.typ]
}

// syncSales brings checkout's video_sales into the counters: the change
// since the last sync is added to today's add-to-carts and purchases.
func (s *Service) syncSales(ctx context.Context, tx *sql.Tx, now time.Time, changed map[string]bool) error {
	rows, err := tx.QueryContext(ctx, `SELECT t.video_id, t.carts - COALESCE(st.add_to_carts, 0), t.purchases - COALESCE(st.purchases, 0)
		FROM (SELECT video_id, CAST(SUM(add_to_carts) AS BIGINT) AS carts, CAST(SUM(purchases) AS BIGINT) AS purchases
			FROM video_sales GROUP BY video_id) t
		JOIN videos v ON v.id = t.video_id
		LEFT JOIN video_stats st ON st.video_id = t.video_id
		WHERE t.carts <> COALESCE(st.add_to_carts, 0) OR t.purchases <> COALESCE(st.purchases, 0)
		ORDER BY t.video_id`)
	if err != nil {
		return fmt.Errorf("engagement: compare sales: %w", err)
	}
	var stats, daily [][]any
	day := now.Format(time.DateOnly)
	for rows.Next() {
		var id string
		var carts, purchases int64
		if err := rows.Scan(&id, &carts, &purchases); err != nil {
			rows.Close()
			return fmt.Errorf("engagement: scan sales: %w", err)
		}
		stats = append(stats, []any{id, carts, purchases})
		daily = append(daily, []any{id, day, carts, purchases})
		changed[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("engagement: compare sales: %w", err)
	}
	if err := upsert(ctx, tx, `INSERT INTO video_stats (video_id, add_to_carts, purchases)`,
		`ON CONFLICT (video_id) DO UPDATE SET add_to_carts = video_stats.add_to_carts + excluded.add_to_carts,
			purchases = video_stats.purchases + excluded.purchases`, stats); err != nil {
		return fmt.Errorf("engagement: add sales to stats: %w", err)
	}
	if err := upsert(ctx, tx, `INSERT INTO video_daily (video_id, day, add_to_carts, purchases)`,
		`ON CONFLICT (video_id, day) DO UPDATE SET add_to_carts = video_daily.add_to_carts + excluded.add_to_carts,
			purchases = video_daily.purchases + excluded.purchases`, daily); err != nil {
		return fmt.Errorf("engagement: add sales to days: %w", err)
	}
	return nil
}
