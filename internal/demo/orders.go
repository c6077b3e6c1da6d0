package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/checkout"
)

var demoAddress = checkout.Shipping{Name: "Dee Shopper", Line1: "1 Demo Street", City: "Springfield", PostalCode: "12345", Country: "US"}

// orders places the shopper's demo orders, unless the shopper has ordered
// anything already: each is placed, paid and moved along at its own time
// in the past week, so the shops' sales charts and the creators' earnings
// have a history.
func (s *Seeder) orders(ctx context.Context) error {
	if s.d.Currency == "" {
		return nil
	}
	buyer := s.users[Shopper]
	past, err := s.checkoutAt(time.Now).Orders(ctx, buyer, "", 1)
	if err != nil {
		return fmt.Errorf("demo: orders of the shopper: %w", err)
	}
	if len(past.Items) > 0 {
		for range orders {
			s.step(false, "order")
		}
		return nil
	}
	now := time.Now().UTC()
	start := now.Add(-7 * 24 * time.Hour)
	if _, err := s.checkoutAt(func() time.Time { return start }).TopUp(ctx, buyer, checkout.Money{AmountMinor: 50_000}, nil); err != nil {
		return fmt.Errorf("demo: top up the shopper's wallet: %w", err)
	}
	for i, o := range orders {
		prod := s.products[o.Shop+"/"+o.Title]
		sku, ok := skuWith(prod, o.Options)
		if !ok {
			return fmt.Errorf("demo: order %d: %s has no SKU %v", i+1, o.Title, o.Options)
		}
		at := now.Add(-time.Duration(o.DaysAgo)*24*time.Hour - time.Duration(3+i)*time.Hour)
		co := s.checkoutAt(func() time.Time { return at })
		video := s.videoIDs[o.Video]
		placed, err := co.CreateOrders(ctx, buyer, checkout.OrderInput{
			Items:    []checkout.ItemInput{{SKUID: sku, Qty: o.Qty, SourceVideoID: &video}},
			Shipping: &demoAddress,
		}, nil)
		if err != nil {
			return fmt.Errorf("demo: order %d: %w", i+1, err)
		}
		id := placed[0].ID
		if _, err := co.Pay(ctx, buyer, id, "wallet", nil); err != nil {
			return fmt.Errorf("demo: pay order %d: %w", i+1, err)
		}
		owner := s.ownerOf(o.Shop)
		if o.FinalState == "shipped" || o.FinalState == "completed" {
			shipAt := later(at, 20*time.Hour, now)
			if _, err := s.checkoutAt(func() time.Time { return shipAt }).Ship(ctx, owner, id,
				checkout.Shipment{Carrier: "Demo Post", Tracking: fmt.Sprintf("DP%08d", 1000+i)}); err != nil {
				return fmt.Errorf("demo: ship order %d: %w", i+1, err)
			}
		}
		if o.FinalState == "completed" {
			doneAt := later(at, 44*time.Hour, now)
			if _, err := s.checkoutAt(func() time.Time { return doneAt }).Complete(ctx, buyer, id); err != nil {
				return fmt.Errorf("demo: complete order %d: %w", i+1, err)
			}
		}
		s.step(true, "order %d/%d (%s, %s)", i+1, len(orders), o.Title, o.FinalState)
	}
	return nil
}

// checkoutAt is a checkout service whose clock is now. Its orders hold
// their stock for a month, so one placed "days ago" is not taken for
// expired (by this service or the running server's sweep) before it is paid.
func (s *Seeder) checkoutAt(now func() time.Time) *checkout.Service {
	return checkout.NewService(s.d.DB, s.d.Catalog, checkout.Config{Currency: s.d.Currency, ReservationTTL: 30 * 24 * time.Hour, PlaceAlone: true}, now)
}

func later(t time.Time, d time.Duration, limit time.Time) time.Time {
	if t.Add(d).After(limit) {
		return limit
	}
	return t.Add(d)
}

// skuWith returns the SKU of prod whose attribute values are values (in
// any order), or its only SKU when values is empty.
func skuWith(prod catalog.Product, values []string) (string, bool) {
	for _, k := range prod.SKUs {
		match := len(k.Attributes) == len(values)
		for _, v := range values {
			found := false
			for _, a := range k.Attributes {
				found = found || a == v
			}
			match = match && found
		}
		if match {
			return k.ID, true
		}
	}
	return "", false
}

func (s *Seeder) ownerOf(shopName string) string {
	for _, c := range creators {
		if c.Shop != nil && c.Shop.Name == shopName {
			return s.users[c.Handle]
		}
	}
	return ""
}
