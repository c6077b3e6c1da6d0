package engagement

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// Analytics ranges.
const (
	DefaultAnalyticsDays = 28
	MaxAnalyticsDays     = 366
)

// Analytics is what a creator sees of one video: totals, counters for each
// UTC day from From to To (every day listed), and audience retention.
type Analytics struct {
	VideoID   string        `json:"video_id"`
	From      string        `json:"from"`
	To        string        `json:"to"`
	Totals    Stats         `json:"totals"`
	Days      []DayCounters `json:"days"`
	Retention Retention     `json:"retention"`
}

// DayCounters are one day's counters. They are net: a like taken back or a
// refund counts against the day it happened, so a day may be negative.
type DayCounters struct {
	Date          string `json:"date"`
	Views         int64  `json:"views"`
	WatchMS       int64  `json:"watch_ms"`
	Completions   int64  `json:"completions"`
	Likes         int64  `json:"likes"`
	Shares        int64  `json:"shares"`
	Comments      int64  `json:"comments"`
	ProductClicks int64  `json:"product_clicks"`
	AddToCarts    int64  `json:"add_to_carts"`
	Purchases     int64  `json:"purchases"`
}

// Retention is the audience-retention curve: Viewers[s] is how many views
// were still watching at second s, so Viewers[0] is every view.
type Retention struct {
	DurationMS int64   `json:"duration_ms"`
	Views      int64   `json:"views"`
	Viewers    []int64 `json:"viewers"`
}

// VideoAnalytics returns the analytics of videoID for its creator userID,
// for the days from and to (YYYY-MM-DD, UTC; "" for the default: the
// DefaultAnalyticsDays days up to today). Anyone else gets ErrNotVideoOwner
// for a ready video and ErrVideoNotFound otherwise, as media answers them.
// Bad dates, from after to, or more than MaxAnalyticsDays days are a
// validation error naming from or to.
func (s *Service) VideoAnalytics(ctx context.Context, userID, videoID, from, to string) (Analytics, error) {
	var creator, status string
	var duration int64
	err := s.db.QueryRowContext(ctx, `SELECT creator_id, status, duration_ms FROM videos WHERE id = $1`, videoID).Scan(&creator, &status, &duration)
	if errors.Is(err, db.ErrNoRows) {
		return Analytics{}, ErrVideoNotFound
	}
	if err != nil {
		return Analytics{}, fmt.Errorf("engagement: load video %s: %w", videoID, err)
	}
	if creator != userID {
		if status == "ready" {
			return Analytics{}, ErrNotVideoOwner
		}
		return Analytics{}, ErrVideoNotFound
	}
	first, last, err := s.analyticsRange(from, to)
	if err != nil {
		return Analytics{}, err
	}
	a := Analytics{VideoID: videoID, From: first.Format(time.DateOnly), To: last.Format(time.DateOnly)}
	totals, err := s.Stats(ctx, []string{videoID})
	if err != nil {
		return Analytics{}, err
	}
	a.Totals = totals[videoID]
	if a.Days, err = s.days(ctx, videoID, first, last); err != nil {
		return Analytics{}, err
	}
	if a.Retention, err = s.retention(ctx, videoID, duration); err != nil {
		return Analytics{}, err
	}
	return a, nil
}

func (s *Service) analyticsRange(from, to string) (time.Time, time.Time, error) {
	var errs []reelmart.FieldError
	parse := func(field, v string, def time.Time) time.Time {
		if v == "" {
			return def
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			errs = append(errs, reelmart.FieldError{Field: field, Message: "must be a date like 2026-11-30"})
		}
		return t
	}
	last := parse("to", to, s.now().Truncate(24*time.Hour))
	first := parse("from", from, last.AddDate(0, 0, -(DefaultAnalyticsDays-1)))
	if len(errs) == 0 {
		switch {
		case first.After(last):
			errs = append(errs, reelmart.FieldError{Field: "from", Message: "must not be after to"})
		case last.Sub(first) >= MaxAnalyticsDays*24*time.Hour:
			errs = append(errs, reelmart.FieldError{Field: "from", Message: fmt.Sprintf("must be at most %d days before to", MaxAnalyticsDays-1)})
		}
	}
	return first, last, reelmart.Invalid(errs)
}

// days returns the counters of every day from first to last, zero where nothing happened.
func (s *Service) days(ctx context.Context, videoID string, first, last time.Time) ([]DayCounters, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT day, views, watch_ms, completions, likes, shares, comments, product_clicks, add_to_carts, purchases
		FROM video_daily WHERE video_id = $1 AND day >= $2 AND day <= $3`, videoID, first.Format(time.DateOnly), last.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("engagement: load daily counters: %w", err)
	}
	defer rows.Close()
	stored := map[string]DayCounters{}
	for rows.Next() {
		var d DayCounters
		if err := rows.Scan(&d.Date, &d.Views, &d.WatchMS, &d.Completions, &d.Likes, &d.Shares, &d.Comments, &d.ProductClicks,
			&d.AddToCarts, &d.Purchases); err != nil {
			return nil, fmt.Errorf("engagement: scan daily counters: %w", err)
		}
		stored[d.Date] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engagement: load daily counters: %w", err)
	}
	var out []DayCounters
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		date := day.Format(time.DateOnly)
		d, ok := stored[date]
		if !ok {
			d = DayCounters{Date: date}
		}
		out = append(out, d)
	}
	return out, nil
}

// retention turns the stored drop-off counts into the curve: viewers at
// second s are the views that got no further than s or beyond.
func (s *Service) retention(ctx context.Context, videoID string, durationMS int64) (Retention, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT second, views FROM video_retention WHERE video_id = $1`, videoID)
	if err != nil {
		return Retention{}, fmt.Errorf("engagement: load retention: %w", err)
	}
	defer rows.Close()
	drops := make([]int64, durationMS/1000+1)
	for rows.Next() {
		var second, n int64
		if err := rows.Scan(&second, &n); err != nil {
			return Retention{}, fmt.Errorf("engagement: scan retention: %w", err)
		}
		if second >= 0 && second < int64(len(drops)) {
			drops[second] += n
		}
	}
	if err := rows.Err(); err != nil {
		return Retention{}, fmt.Errorf("engagement: load retention: %w", err)
	}
	r := Retention{DurationMS: durationMS, Viewers: make([]int64, len(drops))}
	var still int64
	for sec := len(drops) - 1; sec >= 0; sec-- {
		still += drops[sec]
		r.Viewers[sec] = still
	}
	r.Views = r.Viewers[0]
	return r, nil
}
