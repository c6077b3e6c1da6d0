package api_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// call sends one request through the spec-checking harness.
func (h *checkoutHarness) call(method, path, token string, body any, key string) *response {
	h.t.Helper()
	r := req{method: method, path: path, token: token, body: body}
	if key != "" {
		r.header = map[string]string{"Idempotency-Key": key}
	}
	return h.do(r)
}

// wallet returns the balance of the wallet of token's user, in minor units.
func (h *checkoutHarness) wallet(token string) int64 {
	h.t.Helper()
	var w struct {
		Balance struct {
			AmountMinor int64 `json:"amount_minor"`
		} `json:"balance"`
	}
	h.call("GET", "/api/v1/wallet", token, nil, "").json(&w)
	return w.Balance.AmountMinor
}

// want fails unless r has status and, for problems, code.
func want(t *testing.T, r *response, status int, code string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: %d %s, want %d %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.body, status, code)
	}
	if code != "" {
		if p := r.problem(t); p.Code != code {
			t.Fatalf("%s %s: code %s, want %s (%s)", r.Request.Method, r.Request.URL.Path, p.Code, code, r.body)
		}
	}
}

func (h *checkoutHarness) video(creatorID string) string {
	h.t.Helper()
	id := reelmart.NewID()
	now := h.clock.now()
	if _, err := h.db.Exec(`INSERT INTO videos (id, creator_id, status, created_at, updated_at) VALUES ($1, $2, 'ready', $3, $3)`,
		id, creatorID, now); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *checkoutHarness) pin(videoID, productID string) {
	h.t.Helper()
	if _, err := h.db.Exec(`INSERT INTO pins (id, video_id, product_id, position, created_at) VALUES ($1, $2, $3, 0, $4)`,
		reelmart.NewID(), videoID, productID, h.clock.now()); err != nil {
		h.t.Fatal(err)
	}
}

func orderBody(sku string, qty int, video string) map[string]any {
	item := map[string]any{"sku_id": sku, "qty": qty}
	if video != "" {
		item["source_video_id"] = video
	}
	return map[string]any{"items": []any{item}, "shipping": shipTo}
}

func (h *checkoutHarness) placeOrder(token, key string, body map[string]any) orderJSON {
	h.t.Helper()
	r := h.call("POST", "/api/v1/orders", token, body, key)
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("order: %d %s", r.StatusCode, r.body)
	}
	var o ordersJSON
	r.json(&o)
	return o.Orders[0]
}

func TestCartHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		merchant, buyer, creator := h.register("merchant"), h.register("buyer"), h.register("creator")
		_, product, sku := h.merchantSKU(merchant.Token, "Shop", 1500, 5)
		video := h.video(creator.User.ID)
		path := "/api/v1/cart/items/" + sku

		want(t, h.call("GET", "/api/v1/cart", "", nil, ""), 401, "auth_required")
		want(t, h.call("PUT", path, "", map[string]any{"qty": 1}, ""), 401, "auth_required")
		for _, q := range []int{0, 100, -1} {
			want(t, h.call("PUT", path, buyer.Token, map[string]any{"qty": q}, ""), 422, "validation_failed")
		}
		want(t, h.call("PUT", path, buyer.Token, map[string]any{"qty": "two"}, ""), 400, "invalid_type")
		want(t, h.call("PUT", path, buyer.Token, map[string]any{"qty": 1, "source_video_id": "nope"}, ""), 422, "validation_failed")
		want(t, h.call("PUT", "/api/v1/cart/items/nope", buyer.Token, map[string]any{"qty": 1}, ""), 404, "sku_not_found")
		if n := h.count("cart_items"); n != 0 {
			t.Fatalf("bad input left %d cart lines", n)
		}

		r := h.call("PUT", path, buyer.Token, map[string]any{"qty": 3, "source_video_id": video}, "")
		want(t, r, 200, "")
		var cart struct {
			Items []struct {
				Qty          int      `json:"qty"`
				Stale        bool     `json:"stale"`
				PriceChanged bool     `json:"price_changed"`
				StaleReasons []string `json:"stale_reasons"`
				UnitPrice    struct {
					AmountMinor int64 `json:"amount_minor"`
				} `json:"unit_price"`
			} `json:"items"`
			Total struct {
				AmountMinor int64 `json:"amount_minor"`
			} `json:"total"`
			Stale bool `json:"stale"`
		}
		r.json(&cart)
		if len(cart.Items) != 1 || cart.Total.AmountMinor != 4500 || cart.Stale {
			t.Fatalf("cart %s", r.body)
		}
		// Another user's cart is their own.
		r = h.call("GET", "/api/v1/cart", merchant.Token, nil, "")
		r.json(&cart)
		if len(cart.Items) != 0 {
			t.Fatalf("merchant sees %s", r.body)
		}

		// The price changes: the line is flagged, not changed, and ordering the cart is refused until it is put again.
		want(t, h.call("PATCH", "/api/v1/products/"+product, merchant.Token,
			map[string]any{"skus": []map[string]any{{"id": sku, "price": map[string]any{"amount_minor": 1700}}}}, ""), 200, "")
		r = h.call("GET", "/api/v1/cart", buyer.Token, nil, "")
		r.json(&cart)
		if !cart.Stale || !cart.Items[0].PriceChanged || cart.Items[0].StaleReasons[0] != "price_changed" || cart.Items[0].UnitPrice.AmountMinor != 1700 {
			t.Fatalf("cart after price change %s", r.body)
		}
		want(t, h.call("POST", "/api/v1/orders", buyer.Token, map[string]any{"from_cart": true, "shipping": shipTo}, "k1"), 409, "cart_stale")
		if n := h.count("orders"); n != 0 {
			t.Fatalf("a stale cart made %d orders", n)
		}
		want(t, h.call("PUT", path, buyer.Token, map[string]any{"qty": 2, "source_video_id": video}, ""), 200, "")
		want(t, h.call("POST", "/api/v1/orders", buyer.Token, map[string]any{"from_cart": true, "items": []any{}, "shipping": shipTo}, "k2"), 201, "")
		r = h.call("GET", "/api/v1/cart", buyer.Token, nil, "")
		r.json(&cart)
		if len(cart.Items) != 0 {
			t.Fatalf("cart not emptied by the order: %s", r.body)
		}
		want(t, h.call("POST", "/api/v1/orders", buyer.Token, map[string]any{"from_cart": true, "shipping": shipTo}, "k3"), 409, "cart_empty")
		// Two puts of one line from one video are one add-to-cart, seen by the video's creator.
		var earn struct {
			Videos []struct {
				VideoID    string `json:"video_id"`
				AddToCarts int    `json:"add_to_carts"`
			} `json:"videos"`
		}
		h.call("GET", "/api/v1/me/earnings", creator.Token, nil, "").json(&earn)
		if len(earn.Videos) != 1 || earn.Videos[0].VideoID != video || earn.Videos[0].AddToCarts != 1 {
			t.Fatalf("signals %+v", earn)
		}

		// Archived products are flagged in the cart and cannot be added.
		want(t, h.call("PUT", path, buyer.Token, map[string]any{"qty": 1}, ""), 200, "")
		want(t, h.call("DELETE", "/api/v1/products/"+product, merchant.Token, nil, ""), 204, "")
		r = h.call("GET", "/api/v1/cart", buyer.Token, nil, "")
		r.json(&cart)
		if !cart.Items[0].Stale || cart.Items[0].StaleReasons[0] != "not_for_sale" || cart.Total.AmountMinor != 0 {
			t.Fatalf("cart after archive %s", r.body)
		}
		want(t, h.call("PUT", path, buyer.Token, map[string]any{"qty": 2}, ""), 409, "product_not_for_sale")
		want(t, h.call("DELETE", path, buyer.Token, nil, ""), 200, "")
		if n := h.count("cart_items"); n != 0 {
			t.Fatalf("%d lines after delete", n)
		}
	})
}

func TestOrderIdempotencyHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		merchant, buyer, other := h.register("merchant"), h.register("buyer"), h.register("other")
		_, _, sku := h.merchantSKU(merchant.Token, "Shop", 1000, 3)
		body := orderBody(sku, 1, "")

		want(t, h.call("POST", "/api/v1/orders", buyer.Token, body, ""), 400, "idempotency_key_required")
		long := string(bytes.Repeat([]byte("k"), 256))
		want(t, h.call("POST", "/api/v1/orders", buyer.Token, body, long), 400, "invalid_idempotency_key")
		if n := h.count("orders") + h.reserved() + h.count("idempotency_keys"); n != 0 {
			t.Fatalf("rejected requests left %d rows", n)
		}
		first := h.call("POST", "/api/v1/orders", buyer.Token, body, "order-1")
		want(t, first, 201, "")
		h.clock.add(time.Second)
		again := h.call("POST", "/api/v1/orders", buyer.Token, body, "order-1")
		if again.StatusCode != 201 || !bytes.Equal(again.body, first.body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s\nfirst: %s", again.StatusCode, again.body, first.body)
		}
		if n := h.count("orders"); n != 1 {
			t.Fatalf("%d orders after a replay", n)
		}
		want(t, h.call("POST", "/api/v1/orders", buyer.Token, orderBody(sku, 2, ""), "order-1"), 422, "idempotency_key_reused")
		// Keys belong to one user.
		want(t, h.call("POST", "/api/v1/orders", other.Token, body, "order-1"), 201, "")
		// A refusal is an answer too: replayed, even after stock comes back.
		short := h.call("POST", "/api/v1/orders", buyer.Token, orderBody(sku, 5, ""), "order-2")
		want(t, short, 409, "out_of_stock")
		if again := h.call("POST", "/api/v1/orders", buyer.Token, orderBody(sku, 5, ""), "order-2"); !bytes.Equal(again.body, short.body) {
			t.Fatalf("409 replay differs: %s", again.body)
		}

		// Top-up: a replay never credits twice.
		top := map[string]any{"amount": map[string]any{"amount_minor": 700}}
		r1 := h.call("POST", "/api/v1/wallet/topup", buyer.Token, top, "top-1")
		r2 := h.call("POST", "/api/v1/wallet/topup", buyer.Token, top, "top-1")
		want(t, r1, 200, "")
		if !bytes.Equal(r1.body, r2.body) {
			t.Fatalf("top-up replay differs: %s vs %s", r1.body, r2.body)
		}
		want(t, h.call("POST", "/api/v1/wallet/topup", buyer.Token, map[string]any{"amount": map[string]any{"amount_minor": 701}}, "top-1"), 422, "idempotency_key_reused")
		if b := h.wallet(buyer.Token); b != 700 {
			t.Fatalf("wallet %d after a replayed top-up of 700", b)
		}
		// Payment with a key: the replay is the first answer, and one charge.
		var o ordersJSON
		first.json(&o)
		h.call("POST", "/api/v1/wallet/topup", buyer.Token, map[string]any{"amount": map[string]any{"amount_minor": 300}}, "")
		pay := h.call("POST", "/api/v1/orders/"+o.Orders[0].ID+"/pay", buyer.Token, map[string]string{"method": "wallet"}, "pay-1")
		want(t, pay, 200, "")
		if again := h.call("POST", "/api/v1/orders/"+o.Orders[0].ID+"/pay", buyer.Token, map[string]string{"method": "wallet"}, "pay-1"); !bytes.Equal(again.body, pay.body) {
			t.Fatalf("pay replay differs")
		}
		want(t, h.call("POST", "/api/v1/orders/"+o.Orders[0].ID+"/pay", buyer.Token, map[string]string{"method": "wallet"}, "pay-2"), 409, "illegal_transition")
		if b := h.wallet(buyer.Token); b != 0 {
			t.Fatalf("wallet %d after paying 1000 of 1000", b)
		}
	})
}

func TestOrderLifecycleHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		merchant, buyer, stranger, creator := h.register("merchant"), h.register("buyer"), h.register("stranger"), h.register("creator")
		shop, product, sku := h.merchantSKU(merchant.Token, "Shop", 2000, 10)
		video := h.video(creator.User.ID)
		h.pin(video, product)
		o := h.placeOrder(buyer.Token, "o1", orderBody(sku, 2, video))
		base := "/api/v1/orders/" + o.ID
		wallet := map[string]string{"method": "wallet"}

		// Who may see and act.
		want(t, h.call("GET", base, stranger.Token, nil, ""), 404, "order_not_found")
		want(t, h.call("GET", base, merchant.Token, nil, ""), 200, "")
		want(t, h.call("GET", base, "", nil, ""), 401, "auth_required")
		want(t, h.call("POST", base+"/pay", stranger.Token, wallet, ""), 404, "order_not_found")
		want(t, h.call("POST", base+"/pay", merchant.Token, wallet, ""), 403, "not_order_buyer")
		want(t, h.call("POST", base+"/cancel", stranger.Token, nil, ""), 404, "order_not_found")
		want(t, h.call("POST", base+"/refund", stranger.Token, nil, ""), 404, "order_not_found")
		want(t, h.call("POST", base+"/pay", buyer.Token, map[string]string{"method": "card"}, ""), 422, "validation_failed")
		want(t, h.call("GET", "/api/v1/shops/"+shop+"/orders", buyer.Token, nil, ""), 403, "not_shop_owner")
		want(t, h.call("GET", "/api/v1/shops/nope/orders", buyer.Token, nil, ""), 404, "shop_not_found")
		want(t, h.call("GET", "/api/v1/orders?limit=0", buyer.Token, nil, ""), 422, "validation_failed")
		var page struct {
			Items []orderJSON `json:"items"`
		}
		h.call("GET", "/api/v1/shops/"+shop+"/orders", merchant.Token, nil, "").json(&page)
		if len(page.Items) != 1 {
			t.Fatalf("shop orders %d", len(page.Items))
		}
		h.call("GET", "/api/v1/orders", stranger.Token, nil, "").json(&page)
		if len(page.Items) != 0 {
			t.Fatalf("stranger lists %d orders", len(page.Items))
		}

		// 402 changes nothing.
		want(t, h.call("POST", base+"/pay", buyer.Token, wallet, ""), 402, "insufficient_funds")
		if n := h.count("ledger_entries"); n != 0 {
			t.Fatalf("a refused payment wrote %d entries", n)
		}
		want(t, h.call("POST", "/api/v1/wallet/topup", buyer.Token, map[string]any{"amount": map[string]any{"amount_minor": 0}}, ""), 422, "validation_failed")
		want(t, h.call("POST", "/api/v1/wallet/topup", buyer.Token, map[string]any{"amount": map[string]any{"amount_minor": 10, "currency": "EUR"}}, ""), 422, "validation_failed")
		want(t, h.call("POST", "/api/v1/wallet/topup", buyer.Token, map[string]any{"amount": map[string]any{"amount_minor": 10_000}}, ""), 200, "")
		want(t, h.call("POST", base+"/ship", merchant.Token, map[string]string{"carrier": "UPS", "tracking": "1Z"}, ""), 409, "illegal_transition")
		want(t, h.call("POST", base+"/pay", buyer.Token, wallet, ""), 200, "")
		r := h.call("POST", base+"/pay", buyer.Token, wallet, "")
		want(t, r, 409, "illegal_transition")
		if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "state" || p.Errors[0].Message != "paid" {
			t.Fatalf("the 409 does not name the state: %s", r.body)
		}
		want(t, h.call("POST", base+"/ship", buyer.Token, map[string]string{"carrier": "UPS", "tracking": "1Z"}, ""), 403, "not_shop_owner")
		want(t, h.call("POST", base+"/ship", stranger.Token, map[string]string{"carrier": "UPS", "tracking": "1Z"}, ""), 404, "order_not_found")
		want(t, h.call("POST", base+"/ship", merchant.Token, map[string]string{"carrier": "", "tracking": "1Z"}, ""), 422, "validation_failed")
		want(t, h.call("POST", base+"/refund", buyer.Token, nil, ""), 403, "not_shop_owner")
		want(t, h.call("POST", base+"/ship", merchant.Token, map[string]string{"carrier": "UPS", "tracking": "1Z"}, ""), 200, "")
		want(t, h.call("POST", base+"/cancel", buyer.Token, nil, ""), 409, "illegal_transition")
		want(t, h.call("POST", base+"/complete", merchant.Token, nil, ""), 403, "not_order_buyer")
		want(t, h.call("POST", base+"/complete", stranger.Token, nil, ""), 404, "order_not_found")
		r = h.call("POST", base+"/complete", buyer.Token, nil, "")
		want(t, r, 200, "")
		var done orderJSON
		r.json(&done)
		if done.State != "completed" || len(done.Events) != 4 || done.Events[2].ActorID != merchant.User.ID || done.Events[3].ActorID != buyer.User.ID {
			t.Fatalf("completed order %s", r.body)
		}
		want(t, h.call("POST", base+"/refund", merchant.Token, nil, ""), 409, "illegal_transition")
		var earn struct {
			Pending struct {
				AmountMinor int64 `json:"amount_minor"`
			} `json:"pending"`
			Settled struct {
				AmountMinor int64 `json:"amount_minor"`
			} `json:"settled"`
			Videos []struct {
				VideoID   string `json:"video_id"`
				Purchases int64  `json:"purchases"`
			} `json:"videos"`
		}
		h.call("GET", "/api/v1/me/earnings", creator.Token, nil, "").json(&earn)
		if earn.Settled.AmountMinor != 400 || earn.Pending.AmountMinor != 0 || len(earn.Videos) != 1 || earn.Videos[0].Purchases != 1 {
			t.Fatalf("earnings %+v", earn)
		}

		// Paid, then cancelled by the buyer: money and stock come back, the pending commission goes.
		o2 := h.placeOrder(buyer.Token, "o2", orderBody(sku, 3, video))
		want(t, h.call("POST", "/api/v1/orders/"+o2.ID+"/pay", buyer.Token, wallet, ""), 200, "")
		h.call("GET", "/api/v1/me/earnings", creator.Token, nil, "").json(&earn)
		if earn.Pending.AmountMinor != 600 {
			t.Fatalf("pending commission %d, want 600", earn.Pending.AmountMinor)
		}
		want(t, h.call("POST", "/api/v1/orders/"+o2.ID+"/cancel", buyer.Token, nil, ""), 200, "")
		h.call("GET", "/api/v1/me/earnings", creator.Token, nil, "").json(&earn)
		if earn.Pending.AmountMinor != 0 {
			t.Fatalf("pending commission %d after cancel", earn.Pending.AmountMinor)
		}
		// Paid and shipped, then refunded by the merchant.
		o3 := h.placeOrder(buyer.Token, "o3", orderBody(sku, 1, ""))
		want(t, h.call("POST", "/api/v1/orders/"+o3.ID+"/pay", buyer.Token, wallet, ""), 200, "")
		want(t, h.call("POST", "/api/v1/orders/"+o3.ID+"/ship", merchant.Token, map[string]string{"carrier": "DHL", "tracking": "9"}, ""), 200, "")
		want(t, h.call("POST", "/api/v1/orders/"+o3.ID+"/refund", merchant.Token, nil, "refund-1"), 200, "")
		want(t, h.call("POST", "/api/v1/orders/"+o3.ID+"/refund", merchant.Token, nil, "refund-2"), 409, "illegal_transition")
		if b := h.wallet(buyer.Token); b != 10_000-4000 {
			t.Fatalf("wallet %d, want 6000", b)
		}
		var stock int
		if err := d.QueryRow(`SELECT stock FROM skus WHERE id = $1`, sku).Scan(&stock); err != nil {
			t.Fatal(err)
		}
		if stock != 8 {
			t.Fatalf("stock %d, want 8 (2 sold)", stock)
		}
		var entries struct {
			Items []struct {
				Kind string `json:"kind"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		h.call("GET", "/api/v1/wallet/transactions?limit=3", buyer.Token, nil, "").json(&entries)
		if len(entries.Items) != 3 || entries.NextCursor == nil || entries.Items[0].Kind != "refund" {
			t.Fatalf("wallet page %+v", entries)
		}
		h.call("GET", "/api/v1/wallet/transactions?limit=3&cursor="+*entries.NextCursor, buyer.Token, nil, "").json(&entries)
		if len(entries.Items) != 3 || entries.NextCursor != nil || entries.Items[2].Kind != "topup" {
			t.Fatalf("second wallet page %+v", entries)
		}

		// An unpaid order expires: paying is refused and it is cancelled; the sweep cancels the others.
		o4 := h.placeOrder(buyer.Token, "o4", orderBody(sku, 1, ""))
		o5 := h.placeOrder(buyer.Token, "o5", orderBody(sku, 1, ""))
		h.clock.add(16 * time.Minute)
		want(t, h.call("POST", "/api/v1/orders/"+o4.ID+"/pay", buyer.Token, wallet, ""), 409, "order_expired")
		if n, err := h.checkout.Sweep(t.Context()); err != nil || n != 1 {
			t.Fatalf("sweep cancelled %d: %v", n, err)
		}
		for _, id := range []string{o4.ID, o5.ID} {
			var got orderJSON
			h.call("GET", "/api/v1/orders/"+id, buyer.Token, nil, "").json(&got)
			if got.State != "cancelled" || got.Events[len(got.Events)-1].ActorID != "system" {
				t.Fatalf("expired order %+v", got)
			}
		}
		if n := h.reserved(); n != 0 {
			t.Fatalf("%d units still reserved after expiry", n)
		}
	})
}

func TestOrderSplitAndShortHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		m1, m2, buyer := h.register("merchant1"), h.register("merchant2"), h.register("buyer")
		_, _, a := h.merchantSKU(m1.Token, "Shop A", 1000, 5)
		_, _, b := h.merchantSKU(m2.Token, "Shop B", 3000, 1)
		items := func(qa, qb int) map[string]any {
			return map[string]any{"items": []any{map[string]any{"sku_id": a, "qty": qa}, map[string]any{"sku_id": b, "qty": qb}}, "shipping": shipTo}
		}
		r := h.call("POST", "/api/v1/orders", buyer.Token, items(6, 2), "short")
		want(t, r, 409, "out_of_stock")
		if p := r.problem(t); len(p.Errors) != 2 {
			t.Fatalf("both short SKUs should be named: %s", r.body)
		}
		r = h.call("POST", "/api/v1/orders", buyer.Token, items(1, 2), "short-b")
		want(t, r, 409, "out_of_stock")
		if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Message != b {
			t.Fatalf("only B is short: %s", r.body)
		}
		if n := h.reserved() + h.count("orders"); n != 0 {
			t.Fatalf("a refused order left %d rows", n)
		}
		r = h.call("POST", "/api/v1/orders", buyer.Token, items(5, 1), "ok")
		want(t, r, 201, "")
		var got ordersJSON
		r.json(&got)
		if len(got.Orders) != 2 || got.Orders[0].ShopID == got.Orders[1].ShopID {
			t.Fatalf("want one order per shop: %s", r.body)
		}
		for _, bad := range []map[string]any{
			{"items": []any{}, "shipping": shipTo},
			{"items": []any{map[string]any{"sku_id": a, "qty": 1}}},
			{"items": []any{map[string]any{"sku_id": a, "qty": 1}, map[string]any{"sku_id": a, "qty": 1}}, "shipping": shipTo},
			{"items": []any{map[string]any{"sku_id": "nope", "qty": 1}}, "shipping": shipTo},
			{"items": []any{map[string]any{"sku_id": a, "qty": 1}}, "shipping": map[string]any{"name": "x", "line1": "y", "city": "z", "postal_code": "1", "country": "usa"}},
			{"items": []any{map[string]any{"sku_id": a, "qty": 1, "source_video_id": "nope"}}, "shipping": shipTo},
		} {
			want(t, h.call("POST", "/api/v1/orders", buyer.Token, bad, reelmart.NewID()), 422, "validation_failed")
		}
		want(t, h.call("POST", "/api/v1/orders", buyer.Token, `{"items": [`, "malformed"), 400, "malformed_json")
		if n := h.count("orders"); n != 2 {
			t.Fatalf("bad input changed orders: %d", n)
		}
	})
}

// A creator buying through their own video earns nothing, and nobody
// earns for a video that does not pin the product.
func TestNoCommissionWithoutPinOrForSelfHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		merchant, creator, buyer := h.register("merchant"), h.register("creator"), h.register("buyer")
		_, product, sku := h.merchantSKU(merchant.Token, "Shop", 1000, 5)
		pinned, unpinned := h.video(creator.User.ID), h.video(creator.User.ID)
		h.pin(pinned, product)
		for _, b := range []struct {
			s     session
			video string
		}{{creator, pinned}, {buyer, unpinned}} {
			o := h.placeOrder(b.s.Token, "o", orderBody(sku, 1, b.video))
			h.call("POST", "/api/v1/wallet/topup", b.s.Token, map[string]any{"amount": map[string]any{"amount_minor": 1000}}, "")
			want(t, h.call("POST", "/api/v1/orders/"+o.ID+"/pay", b.s.Token, map[string]string{"method": "wallet"}, ""), 200, "")
		}
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM ledger_accounts WHERE kind IN ('commission_pending', 'commission')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("self-purchase opened %d commission accounts", n)
		}
	})
}

// Orders outlive accounts: a merchant with orders can delete their account,
// and the buyer still sees the order.
func TestAccountDeletionKeepsOrdersHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		merchant, buyer := h.register("merchant"), h.register("buyer")
		_, _, sku := h.merchantSKU(merchant.Token, "Shop", 1000, 5)
		o := h.placeOrder(buyer.Token, "o", orderBody(sku, 1, ""))
		want(t, h.call("DELETE", "/api/v1/me", merchant.Token, map[string]string{"password": "correct horse battery"}, ""), 204, "")
		want(t, h.call("GET", "/api/v1/orders/"+o.ID, buyer.Token, nil, ""), 200, "")
		want(t, h.call("POST", "/api/v1/orders/"+o.ID+"/cancel", buyer.Token, nil, ""), 200, "")
	})
}

// Every checkout endpoint needs a session.
func TestCheckoutNeedsSessionHTTP(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	h := newCheckoutHarness(t, d)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/cart"}, {"PUT", "/api/v1/cart/items/x"}, {"DELETE", "/api/v1/cart/items/x"},
		{"POST", "/api/v1/orders"}, {"GET", "/api/v1/orders"}, {"GET", "/api/v1/orders/x"},
		{"POST", "/api/v1/orders/x/pay"}, {"POST", "/api/v1/orders/x/ship"}, {"POST", "/api/v1/orders/x/complete"},
		{"POST", "/api/v1/orders/x/cancel"}, {"POST", "/api/v1/orders/x/refund"}, {"GET", "/api/v1/shops/x/orders"},
		{"GET", "/api/v1/wallet"}, {"POST", "/api/v1/wallet/topup"}, {"GET", "/api/v1/wallet/transactions"},
		{"GET", "/api/v1/me/earnings"},
	} {
		want(t, h.call(r.method, r.path, "", nil, "k"), 401, "auth_required")
	}
}
