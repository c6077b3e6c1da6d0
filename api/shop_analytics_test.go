package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

type shopAnalyticsJSON struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Orders  int64  `json:"orders"`
	Units   int64  `json:"units"`
	Revenue struct {
		AmountMinor int64 `json:"amount_minor"`
	} `json:"revenue"`
	Days []struct {
		Day     string `json:"day"`
		Orders  int64  `json:"orders"`
		Units   int64  `json:"units"`
		Revenue struct {
			AmountMinor int64 `json:"amount_minor"`
		} `json:"revenue"`
	} `json:"days"`
	TopVideos []struct {
		VideoID string `json:"video_id"`
		Caption string `json:"caption"`
		Orders  int64  `json:"orders"`
		Units   int64  `json:"units"`
		Revenue struct {
			AmountMinor int64 `json:"amount_minor"`
		} `json:"revenue"`
	} `json:"top_videos"`
}

// captionedVideo is video with a caption.
func (h *checkoutHarness) captionedVideo(creatorID, caption string) string {
	h.t.Helper()
	id := h.video(creatorID)
	if _, err := h.db.Exec(`UPDATE videos SET caption = $1 WHERE id = $2`, caption, id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// buy places and pays one order of qty units of sku from video (or none).
func (h *checkoutHarness) buy(token, sku string, qty int, video string) string {
	h.t.Helper()
	item := map[string]any{"sku_id": sku, "qty": qty}
	if video != "" {
		item["source_video_id"] = video
	}
	r := h.do(req{method: "POST", path: "/api/v1/orders", token: token, body: map[string]any{"items": []any{item}, "shipping": shipTo},
		header: map[string]string{"Idempotency-Key": reelmart.NewID()}})
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("order: %d %s", r.StatusCode, r.body)
	}
	var o ordersJSON
	r.json(&o)
	if r := h.do(req{method: "POST", path: "/api/v1/orders/" + o.Orders[0].ID + "/pay", token: token, body: map[string]string{"method": "wallet"}}); r.StatusCode != 200 {
		h.t.Fatalf("pay: %d %s", r.StatusCode, r.body)
	}
	return o.Orders[0].ID
}

func TestShopAnalyticsHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		merchant, buyer, other := h.register("merchant"), h.register("buyer"), h.register("stranger")
		shopID, _, sku := h.merchantSKU(merchant.Token, "Analytics Shop", 1500, 100)
		if r := h.do(req{method: "POST", path: "/api/v1/wallet/topup", token: buyer.Token, body: map[string]any{"amount": map[string]any{"amount_minor": 100_000}}}); r.StatusCode != 200 {
			t.Fatalf("top-up: %d %s", r.StatusCode, r.body)
		}
		hit, miss := h.captionedVideo(merchant.User.ID, "The hit #demo"), h.captionedVideo(merchant.User.ID, "The miss")

		// Two days ago: one order of 2 from the hit. Yesterday: nothing.
		// Today: 3 from the hit, 1 from the miss, 1 with no video, and one
		// of 4 from the miss that is refunded, which does not count.
		h.clock.add(-48 * time.Hour)
		h.buy(buyer.Token, sku, 2, hit)
		h.clock.add(48 * time.Hour)
		h.buy(buyer.Token, sku, 3, hit)
		h.buy(buyer.Token, sku, 1, miss)
		h.buy(buyer.Token, sku, 1, "")
		refunded := h.buy(buyer.Token, sku, 4, miss)
		if r := h.do(req{method: "POST", path: "/api/v1/orders/" + refunded + "/refund", token: merchant.Token}); r.StatusCode != 200 {
			t.Fatalf("refund: %d %s", r.StatusCode, r.body)
		}
		// An unpaid order does not count either.
		if r := h.do(req{method: "POST", path: "/api/v1/orders", token: buyer.Token, header: map[string]string{"Idempotency-Key": "unpaid"},
			body: map[string]any{"items": []any{map[string]any{"sku_id": sku, "qty": 5, "source_video_id": hit}}, "shipping": shipTo}}); r.StatusCode != 201 {
			t.Fatalf("unpaid order: %d %s", r.StatusCode, r.body)
		}

		r := h.do(req{method: "GET", path: "/api/v1/shops/" + shopID + "/analytics?days=7", token: merchant.Token})
		var a shopAnalyticsJSON
		r.json(&a)
		today := h.clock.now().UTC().Format(time.DateOnly)
		if r.StatusCode != 200 || len(a.Days) != 7 || a.To != today || a.Days[6].Day != today || a.From != a.Days[0].Day {
			t.Fatalf("analytics: %d %s", r.StatusCode, r.body)
		}
		got := fmt.Sprintf("%d/%d/%d %d/%d/%d %d/%d/%d", a.Days[4].Orders, a.Days[4].Units, a.Days[4].Revenue.AmountMinor,
			a.Days[5].Orders, a.Days[5].Units, a.Days[5].Revenue.AmountMinor, a.Days[6].Orders, a.Days[6].Units, a.Days[6].Revenue.AmountMinor)
		if want := "1/2/3000 0/0/0 3/5/7500"; got != want {
			t.Fatalf("days[4..6] (orders/units/revenue) = %s, want %s", got, want)
		}
		if a.Orders != 4 || a.Units != 7 || a.Revenue.AmountMinor != 10500 {
			t.Fatalf("totals: %+v", a)
		}
		if len(a.TopVideos) != 2 || a.TopVideos[0].VideoID != hit || a.TopVideos[0].Caption != "The hit #demo" ||
			a.TopVideos[0].Orders != 2 || a.TopVideos[0].Units != 5 || a.TopVideos[0].Revenue.AmountMinor != 7500 ||
			a.TopVideos[1].VideoID != miss || a.TopVideos[1].Units != 1 {
			t.Fatalf("top videos: %+v", a.TopVideos)
		}

		// A one-day window holds today only; the default is 30 days.
		h.do(req{method: "GET", path: "/api/v1/shops/" + shopID + "/analytics?days=1", token: merchant.Token}).json(&a)
		if len(a.Days) != 1 || a.Orders != 3 || a.TopVideos[0].Units != 3 {
			t.Fatalf("today only: %+v", a)
		}
		h.do(req{method: "GET", path: "/api/v1/shops/" + shopID + "/analytics", token: merchant.Token}).json(&a)
		if len(a.Days) != 30 || a.Orders != 4 {
			t.Fatalf("default window: %d days, %d orders", len(a.Days), a.Orders)
		}

		// Only the owner may look.
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/shops/" + shopID + "/analytics", token: other.Token}), 403, "not_shop_owner")
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/shops/" + shopID + "/analytics"}), 401, "auth_required")
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/shops/nope/analytics", token: merchant.Token}), 404, "shop_not_found")
		for _, q := range []string{"0", "366", "week"} {
			p := expectProblem(t, h.do(req{method: "GET", path: "/api/v1/shops/" + shopID + "/analytics?days=" + q, token: merchant.Token}), 422, "validation_failed")
			if p.Errors[0].Field != "days" {
				t.Fatalf("days=%s: %+v", q, p)
			}
		}
	})
}
