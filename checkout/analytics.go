package checkout

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/reelmart/reelmart"
)

// Shop analytics windows, in days ending today (UTC).
const (
	DefaultAnalyticsDays = 30
	MaxAnalyticsDays     = 365
	topVideos            = 10
)

// DaySales is one UTC day of a shop's sales: the orders paid that day that
// still stand (not refunded), their units and their revenue (the goods'
// prices times quantities, before fees).
type DaySales struct {
	Day     string `json:"day"` // YYYY-MM-DD
	Orders  int64  `json:"orders"`
	Units   int64  `json:"units"`
	Revenue Money  `json:"revenue"`
}

// VideoSales is what a shop sold through one video in the window. Caption
// is empty for a video deleted since.
type VideoSales struct {
	VideoID string `json:"video_id"`
	Caption string `json:"caption"`
	Orders  int64  `json:"orders"`
	Units   int64  `json:"units"`
	Revenue Money  `json:"revenue"`
}

// ShopAnalytics is a shop's sales over the days from From to To (UTC,
// inclusive): every day of the window in order (days without sales are
// zeros, so a chart needs no gap filling), the totals, and the videos that
// brought the most revenue, best first.
type ShopAnalytics struct {
	ShopID    string       `json:"shop_id"`
	From      string       `json:"from"`
	To        string       `json:"to"`
	Orders    int64        `json:"orders"`
	Units     int64        `json:"units"`
	Revenue   Money        `json:"revenue"`
	Days      []DaySales   `json:"days"`
	TopVideos []VideoSales `json:"top_videos"`
}

// ShopAnalytics returns the sales of shopID over the last days days (today
// included; 0 means DefaultAnalyticsDays) to the shop's owner. An order
// counts on the day it was paid, as long as it is paid, shipped or
// completed; a refund takes it out again. It returns ErrShopNotFound,
// ErrNotShopOwner, or a validation error on days.
func (s *Service) ShopAnalytics(ctx context.Context, userID, shopID string, days int) (ShopAnalytics, error) {
	if days == 0 {
		days = DefaultAnalyticsDays
	}
	if days < 1 || days > MaxAnalyticsDays {
		return ShopAnalytics{}, reelmart.Invalid([]reelmart.FieldError{{Field: "days", Message: fmt.Sprintf("must be 1 to %d", MaxAnalyticsDays)}})
	}
	owner, err := s.shopOwner(ctx, s.db, shopID)
	if err != nil {
		return ShopAnalytics{}, err
	}
	if owner != userID {
		return ShopAnalytics{}, ErrNotShopOwner
	}
	today := s.now().Truncate(24 * time.Hour)
	from, end := today.AddDate(0, 0, 1-days), today.AddDate(0, 0, 1)
	out := ShopAnalytics{ShopID: shopID, From: from.Format(time.DateOnly), To: today.Format(time.DateOnly),
		Revenue: s.money(0), Days: make([]DaySales, days), TopVideos: []VideoSales{}}
	for i := range out.Days {
		out.Days[i] = DaySales{Day: from.AddDate(0, 0, i).Format(time.DateOnly), Revenue: s.money(0)}
	}
	// Days are cut in Go rather than in SQL: the engines share no date
	// function, and a window holds at most a year of one shop's lines.
	rows, err := s.db.QueryContext(ctx, `SELECT e.at, o.id, COALESCE(l.source_video_id, ''), COALESCE(v.caption, ''),
		l.qty, l.qty * l.unit_price_minor
		FROM orders o
		JOIN order_events e ON e.order_id = o.id AND e.to_state = 'paid'
		JOIN order_lines l ON l.order_id = o.id
		LEFT JOIN videos v ON v.id = l.source_video_id
		WHERE o.shop_id = $1 AND o.state IN ('paid', 'shipped', 'completed') AND e.at >= $2 AND e.at < $3
		ORDER BY o.id`, shopID, from, end)
	if err != nil {
		return ShopAnalytics{}, fmt.Errorf("checkout: shop analytics: %w", err)
	}
	defer rows.Close()
	videos := map[string]*VideoSales{}
	type seen struct{ order, video string }
	counted := map[seen]bool{}
	for rows.Next() {
		var at time.Time
		var orderID, videoID, caption string
		var units, revenue int64
		if err := rows.Scan(&at, &orderID, &videoID, &caption, &units, &revenue); err != nil {
			return ShopAnalytics{}, fmt.Errorf("checkout: shop analytics: %w", err)
		}
		day := &out.Days[int(at.UTC().Sub(from)/(24*time.Hour))]
		if !counted[seen{orderID, ""}] {
			counted[seen{orderID, ""}] = true
			day.Orders++
			out.Orders++
		}
		day.Units += units
		day.Revenue.AmountMinor += revenue
		out.Units += units
		out.Revenue.AmountMinor += revenue
		if videoID == "" {
			continue
		}
		v := videos[videoID]
		if v == nil {
			v = &VideoSales{VideoID: videoID, Caption: caption, Revenue: s.money(0)}
			videos[videoID] = v
		}
		if !counted[seen{orderID, videoID}] {
			counted[seen{orderID, videoID}] = true
			v.Orders++
		}
		v.Units += units
		v.Revenue.AmountMinor += revenue
	}
	if err := rows.Err(); err != nil {
		return ShopAnalytics{}, fmt.Errorf("checkout: shop analytics: %w", err)
	}
	for _, v := range videos {
		out.TopVideos = append(out.TopVideos, *v)
	}
	slices.SortFunc(out.TopVideos, func(a, b VideoSales) int {
		return cmp.Or(cmp.Compare(b.Revenue.AmountMinor, a.Revenue.AmountMinor), cmp.Compare(b.Units, a.Units), cmp.Compare(a.VideoID, b.VideoID))
	})
	out.TopVideos = out.TopVideos[:min(len(out.TopVideos), topVideos)]
	return out, nil
}
