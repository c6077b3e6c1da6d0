package checkout

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// VideoEarnings is what one video earned its creator, with the commerce
// signals of the products bought through it.
type VideoEarnings struct {
	VideoID    string         `json:"video_id"`
	Pending    Money          `json:"pending"`
	Settled    Money          `json:"settled"`
	AddToCarts int64          `json:"add_to_carts"`
	Purchases  int64          `json:"purchases"`
	Units      int64          `json:"units"`
	Revenue    Money          `json:"revenue"`
	Products   []ProductSales `json:"products"`
}

// ProductSales are the signals of one product bought through one video.
type ProductSales struct {
	ProductID  string `json:"product_id"`
	AddToCarts int64  `json:"add_to_carts"`
	Purchases  int64  `json:"purchases"`
	Units      int64  `json:"units"`
	Revenue    Money  `json:"revenue"`
}

// Earnings is a creator's commissions: pending (the order is paid or
// shipped) and settled (completed), in total and per video.
type Earnings struct {
	Pending Money           `json:"pending"`
	Settled Money           `json:"settled"`
	Videos  []VideoEarnings `json:"videos"`
}

// Earnings returns creatorID's commissions and the signals of their videos.
func (s *Service) Earnings(ctx context.Context, creatorID string) (Earnings, error) {
	out := Earnings{Videos: []VideoEarnings{}}
	pending, err := s.balance(ctx, s.db, pendingCommissionAccount(creatorID))
	if err != nil {
		return Earnings{}, err
	}
	settled, err := s.balance(ctx, s.db, commissionAccount(creatorID))
	if err != nil {
		return Earnings{}, err
	}
	out.Pending, out.Settled = s.money(pending), s.money(settled)
	byVideo := map[string]*VideoEarnings{}
	get := func(id string) *VideoEarnings {
		v := byVideo[id]
		if v == nil {
			v = &VideoEarnings{VideoID: id, Pending: s.money(0), Settled: s.money(0), Revenue: s.money(0), Products: []ProductSales{}}
			byVideo[id] = v
		}
		return v
	}
	rows, err := s.db.QueryContext(ctx, `SELECT l.source_video_id, o.state, SUM(l.commission_minor)
		FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE l.creator_id = $1 AND o.state IN ('paid', 'shipped', 'completed') GROUP BY l.source_video_id, o.state`, creatorID)
	if err != nil {
		return Earnings{}, fmt.Errorf("checkout: sum commissions: %w", err)
	}
	for rows.Next() {
		var video string
		var state State
		var sum int64
		if err := rows.Scan(&video, &state, &sum); err != nil {
			rows.Close()
			return Earnings{}, fmt.Errorf("checkout: sum commissions: %w", err)
		}
		v := get(video)
		if state == StateCompleted {
			v.Settled.AmountMinor += sum
		} else {
			v.Pending.AmountMinor += sum
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Earnings{}, fmt.Errorf("checkout: sum commissions: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT s.video_id, s.product_id, s.add_to_carts, s.purchases, s.units, s.revenue_minor
		FROM video_sales s JOIN videos v ON v.id = s.video_id WHERE v.creator_id = $1 ORDER BY s.video_id, s.product_id`, creatorID)
	if err != nil {
		return Earnings{}, fmt.Errorf("checkout: load video sales: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var video string
		var p ProductSales
		var revenue int64
		if err := rows.Scan(&video, &p.ProductID, &p.AddToCarts, &p.Purchases, &p.Units, &revenue); err != nil {
			return Earnings{}, fmt.Errorf("checkout: load video sales: %w", err)
		}
		p.Revenue = s.money(revenue)
		v := get(video)
		v.AddToCarts += p.AddToCarts
		v.Purchases += p.Purchases
		v.Units += p.Units
		v.Revenue.AmountMinor += revenue
		v.Products = append(v.Products, p)
	}
	if err := rows.Err(); err != nil {
		return Earnings{}, fmt.Errorf("checkout: load video sales: %w", err)
	}
	for _, v := range byVideo {
		out.Videos = append(out.Videos, *v)
	}
	// Newest video first: ids are UUIDv7.
	slices.SortFunc(out.Videos, func(a, b VideoEarnings) int { return strings.Compare(b.VideoID, a.VideoID) })
	return out, nil
}
