package engagement

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// MaxWatchedMS bounds watched_ms of one event: ten minutes of playback
// between two events of one video is more than any client reports.
const MaxWatchedMS = 600_000

// positionSlack is how far past the probed duration a position may be:
// players report the end of the last frame a little late.
const positionSlack = 1000

var eventIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// watchable is what Record needs to know of a video.
type watchable struct {
	creatorID  string
	durationMS int64
	hashtags   []string
}

// Record stores a batch of events that viewerID sent for videoID from the
// client address clientIP, and returns what became of them once they are
// durably stored. Events whose id the viewer sent in the last
// Config.DedupeWindow are dropped as duplicates.
//
// It returns a validation error naming id for a video that is missing,
// not ready or hidden from the viewer (an event about a video no one can
// watch is a forged one); a validation error naming each bad field
// (events[3].position_ms) for a malformed batch, storing nothing; and a
// KindRateLimited error (too_many_events) when the viewer or the address is
// over its rate.
func (s *Service) Record(ctx context.Context, viewerID, videoID, clientIP string, events []Event) (Receipt, error) {
	v, err := s.watchable(ctx, viewerID, videoID)
	if errors.Is(err, ErrVideoNotFound) {
		return Receipt{}, reelmart.Invalid([]reelmart.FieldError{{Field: "id", Message: "is not a ready video this viewer can watch"}})
	}
	if err != nil {
		return Receipt{}, err
	}
	pins, err := s.pinnedProducts(ctx, videoID, events)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.validate(events, v.durationMS, pins); err != nil {
		return Receipt{}, err
	}
	unique := uniqueEvents(events)
	var rec Receipt
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The viewer's rate row is taken first, so one viewer's batches
		// take turns; the address's, shared by many viewers, is taken last
		// and so held only for the commit.
		now := s.now()
		if err := s.charge(ctx, tx, now, len(events), s.cfg.ViewerEventsPerMin, "viewer:"+viewerID); err != nil {
			return err
		}
		fresh, err := s.claimEventIDs(ctx, tx, viewerID, unique, now)
		if err != nil {
			return err
		}
		rec.Accepted = len(fresh)
		if len(fresh) > 0 {
			sess, err := loadSession(ctx, tx, viewerID, videoID, now)
			if err != nil {
				return err
			}
			sess, rows := s.apply(sess, now, fresh)
			if err := saveSession(ctx, tx, viewerID, videoID, sess, now); err != nil {
				return err
			}
			if err := insertEvents(ctx, tx, viewerID, videoID, rows); err != nil {
				return err
			}
		}
		return s.charge(ctx, tx, now, len(events), s.cfg.ClientEventsPerMin, "ip:"+clientIP)
	})
	if err != nil {
		return Receipt{}, err
	}
	rec.Duplicates = len(events) - rec.Accepted
	return rec, nil
}

// watchable loads a ready video the viewer may see, or returns ErrVideoNotFound.
func (s *Service) watchable(ctx context.Context, viewerID, videoID string) (watchable, error) {
	var v watchable
	var status, tags string
	err := s.db.QueryRowContext(ctx, `SELECT creator_id, status, duration_ms, hashtags FROM videos WHERE id = $1`, videoID).
		Scan(&v.creatorID, &status, &v.durationMS, &tags)
	if errors.Is(err, db.ErrNoRows) || (err == nil && status != "ready") {
		return watchable{}, ErrVideoNotFound
	}
	if err != nil {
		return watchable{}, fmt.Errorf("engagement: load video %s: %w", videoID, err)
	}
	if err := json.Unmarshal([]byte(tags), &v.hashtags); err != nil {
		return watchable{}, fmt.Errorf("engagement: video %s hashtags: %w", videoID, err)
	}
	hidden, err := s.hidden(ctx, viewerID)
	if err != nil {
		return watchable{}, err
	}
	if slices.Contains(hidden, v.creatorID) {
		return watchable{}, ErrVideoNotFound
	}
	return v, nil
}

// hidden returns the users viewerID must not see; signed-out viewers block nobody.
func (s *Service) hidden(ctx context.Context, viewerID string) ([]string, error) {
	if s.blocks == nil || viewerID == "" || IsSignedOut(viewerID) {
		return nil, nil
	}
	ids, err := s.blocks.Hidden(ctx, viewerID)
	if err != nil {
		return nil, fmt.Errorf("engagement: blocked users of %s: %w", viewerID, err)
	}
	return ids, nil
}

// pinnedProducts returns the products pinned to videoID, read only when a
// batch has a product click.
func (s *Service) pinnedProducts(ctx context.Context, videoID string, events []Event) (map[string]bool, error) {
	if !slices.ContainsFunc(events, func(e Event) bool { return e.Type == TypeProductClick }) {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT product_id FROM pins WHERE video_id = $1`, videoID)
	if err != nil {
		return nil, fmt.Errorf("engagement: pins of %s: %w", videoID, err)
	}
	defer rows.Close()
	pins := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("engagement: scan pin: %w", err)
		}
		pins[id] = true
	}
	return pins, rows.Err()
}

// validate returns a validation error naming every bad field of events.
func (s *Service) validate(events []Event, durationMS int64, pins map[string]bool) error {
	if len(events) == 0 || len(events) > s.cfg.MaxBatch {
		return reelmart.Invalid([]reelmart.FieldError{{Field: "events", Message: fmt.Sprintf("must hold 1 to %d events", s.cfg.MaxBatch)}})
	}
	var errs []reelmart.FieldError
	for i, e := range events {
		add := func(field, msg string) {
			errs = append(errs, reelmart.FieldError{Field: "events[" + strconv.Itoa(i) + "]." + field, Message: msg})
		}
		if !eventIDPattern.MatchString(e.EventID) {
			add("event_id", "must be 1 to 64 letters, digits, '.', '_', ':' or '-'")
		}
		switch e.Type {
		case TypeView, TypeProgress, TypeComplete, TypeShare, TypeProductClick:
		default:
			add("type", "must be view, progress, complete, share or product_click")
		}
		switch {
		case e.PositionMS < 0:
			add("position_ms", "must not be negative")
		case durationMS > 0 && e.PositionMS > durationMS+positionSlack:
			add("position_ms", fmt.Sprintf("must be at most the video's duration (%d ms)", durationMS))
		}
		if e.WatchedMS < 0 || e.WatchedMS > MaxWatchedMS {
			add("watched_ms", fmt.Sprintf("must be from 0 to %d", MaxWatchedMS))
		}
		switch {
		case e.Type == TypeProductClick && e.ProductID == "":
			add("product_id", "is required for a product_click")
		case e.Type == TypeProductClick && !pins[e.ProductID]:
			add("product_id", "is not a product pinned to this video")
		case e.Type != TypeProductClick && e.ProductID != "":
			add("product_id", "is only for a product_click")
		}
	}
	return reelmart.Invalid(errs)
}

// uniqueEvents drops repeats of an event id within one batch, keeping the first.
func uniqueEvents(events []Event) []Event {
	seen := map[string]bool{}
	out := make([]Event, 0, len(events))
	for _, e := range events {
		if !seen[e.EventID] {
			seen[e.EventID] = true
			out = append(out, e)
		}
	}
	return out
}

// claimEventIDs records the event ids of events for viewerID and returns
// the events whose id was not seen within the dedupe window. A row older
// than the window is taken over, so it counts as new.
func (s *Service) claimEventIDs(ctx context.Context, tx *sql.Tx, viewerID string, events []Event, now time.Time) ([]Event, error) {
	var b strings.Builder
	args := []any{viewerID, now, now.Add(-s.cfg.DedupeWindow)}
	// Claimed in id order, so two batches sharing ids cannot deadlock.
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.EventID
	}
	slices.Sort(ids)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "($1, $%d, $2)", len(args)+1)
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO viewer_event_ids (viewer_id, event_id, seen_at) VALUES `+b.String()+`
		ON CONFLICT (viewer_id, event_id) DO UPDATE SET seen_at = excluded.seen_at WHERE viewer_event_ids.seen_at <= $3
		RETURNING event_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("engagement: claim event ids: %w", err)
	}
	defer rows.Close()
	claimed := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("engagement: scan event id: %w", err)
		}
		claimed[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engagement: claim event ids: %w", err)
	}
	var fresh []Event
	for _, e := range events {
		if claimed[e.EventID] {
			fresh = append(fresh, e)
		}
	}
	return fresh, nil
}

// charge counts n events against key's fixed one-minute window and fails
// with too_many_events, rolling the batch back, when that passes limit.
func (s *Service) charge(ctx context.Context, tx *sql.Tx, now time.Time, n, limit int, key string) error {
	var count int
	var start time.Time
	err := tx.QueryRowContext(ctx, `INSERT INTO event_rates (key, window_start, events) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET
			events = CASE WHEN event_rates.window_start <= $4 THEN excluded.events ELSE event_rates.events + excluded.events END,
			window_start = CASE WHEN event_rates.window_start <= $4 THEN excluded.window_start ELSE event_rates.window_start END
		RETURNING events, window_start`, key, now, n, now.Add(-time.Minute)).Scan(&count, &start)
	if err != nil {
		return fmt.Errorf("engagement: count events of %s: %w", key, err)
	}
	if count > limit {
		return rateLimited("too_many_events", "events", start.Add(time.Minute).Sub(now))
	}
	return nil
}

// storedEvent is one row of video_events.
type storedEvent struct {
	Event
	counted   bool
	sessionAt time.Time
	at        time.Time
}

func insertEvents(ctx context.Context, tx *sql.Tx, viewerID, videoID string, rows []storedEvent) error {
	var b strings.Builder
	args := []any{viewerID, videoID}
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "($1, $2, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		var product any
		if r.ProductID != "" {
			product = r.ProductID
		}
		args = append(args, r.Type, r.EventID, r.PositionMS, r.WatchedMS, product, r.counted, r.sessionAt, r.at)
	}
	seqs := make([]string, 0, len(rows))
	err := each(ctx, tx, `INSERT INTO video_events (viewer_id, video_id, type, event_id, position_ms, watched_ms,
		product_id, counted, session_at, created_at) VALUES `+b.String()+` RETURNING seq`, args, func(r *sql.Rows) error {
		var seq int64
		err := r.Scan(&seq)
		seqs = append(seqs, "("+strconv.FormatInt(seq, 10)+")")
		return err
	})
	if err != nil {
		return fmt.Errorf("engagement: store events: %w", err)
	}
	// The seqs are integers formatted here, so they are safe inline.
	if _, err := tx.ExecContext(ctx, `INSERT INTO pending_events (seq) VALUES `+strings.Join(seqs, ", ")); err != nil {
		return fmt.Errorf("engagement: queue events: %w", err)
	}
	return nil
}
