package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// checkoutHarness is the API with accounts, catalog and checkout on real
// engines sharing one clock.
type checkoutHarness struct {
	*harness
	checkout *checkout.Service
}

// newCheckoutHarness builds the harness; configure, if given, changes the
// checkout config from the default.
func newCheckoutHarness(t *testing.T, d *db.DB, configure ...func(*checkout.Config)) *checkoutHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	accounts := testAccounts(d, c.now)
	blobs, ix := localEngines(t)
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, c.now)
	cfg := checkout.Config{Currency: "USD"}
	for _, set := range configure {
		set(&cfg)
	}
	co := checkout.NewService(d, cat, cfg, c.now)
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	srv := api.New(api.Deps{Accounts: accounts, Catalog: cat, Checkout: co, Checks: checks, MaxBodyBytes: 64 << 10})
	return &checkoutHarness{harness: &harness{t: t, db: d, srv: srv, clock: c, checks: checks}, checkout: co}
}

// metric returns the value of an unlabelled counter on /metrics.
func (h *checkoutHarness) metric(name string) int {
	h.t.Helper()
	r := h.do(req{method: "GET", path: "/metrics"})
	for _, line := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				h.t.Fatalf("metric %s: %q", name, line)
			}
			return n
		}
	}
	h.t.Fatalf("/metrics has no %s", name)
	return 0
}

// validate checks a response sent with send against the spec (send is safe
// from many goroutines; the check runs afterwards on the test goroutine).
func (h *checkoutHarness) validate(r *response) {
	h.t.Helper()
	v, err := specValidator()
	if err != nil {
		h.t.Fatalf("openapi.yaml does not load: %v", err)
	}
	r.Response.Body = io.NopCloser(bytes.NewReader(r.body))
	if ok, errs := v.ValidateHttpResponse(r.Request, r.Response); !ok {
		for _, e := range errs {
			h.t.Errorf("%s %s → %d breaks the spec: %s (%s)", r.Request.Method, r.Request.URL, r.StatusCode, e.Message, e.Reason)
		}
		h.t.FailNow()
	}
}

// merchantSKU makes a shop and an active product with one SKU of price and
// stock (commission 10%), and returns the shop, product and SKU ids.
func (h *checkoutHarness) merchantSKU(token, shopName string, price int64, stock int) (shopID, productID, skuID string) {
	h.t.Helper()
	r := h.do(req{method: "POST", path: "/api/v1/shops", token: token, body: map[string]string{"name": shopName}})
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("create shop: %d %s", r.StatusCode, r.body)
	}
	var sh shopJSON
	r.json(&sh)
	r = h.do(req{method: "POST", path: "/api/v1/products", token: token, body: map[string]any{
		"shop_id": sh.ID, "title": "Hot thing", "commission_bps": 1000, "status": "active",
		"skus": []map[string]any{{"code": "ONE", "price": map[string]any{"amount_minor": price}, "stock": stock}},
	}})
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("create product: %d %s", r.StatusCode, r.body)
	}
	var p productJSON
	r.json(&p)
	return sh.ID, p.ID, p.SKUs[0].ID
}

var shipTo = map[string]any{"name": "Ann Buyer", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}

type ordersJSON struct {
	Orders []orderJSON `json:"orders"`
}

type orderJSON struct {
	ID     string        `json:"id"`
	State  string        `json:"state"`
	ShopID string        `json:"shop_id"`
	Total  catalog.Money `json:"total"`
	Events []struct {
		From    *string `json:"from"`
		To      string  `json:"to"`
		ActorID string  `json:"actor_id"`
	} `json:"events"`
}

// TestTwoHundredBuyersFiftyUnits is the concurrency proof: 200 buyers at
// once ask for one unit of a SKU with 50, through the HTTP API. Exactly 50
// get an order, 150 get a clean 409 out_of_stock, nothing else; then the
// 50 pay at once and exactly 50 units are sold.
func TestTwoHundredBuyersFiftyUnits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCheckoutHarness(t, d)
		merchant := h.register("merchant")
		_, _, sku := h.merchantSKU(merchant.Token, "Hot shop", 1000, 50)
		const buyers = 200
		tokens := make([]string, buyers)
		for i := range tokens {
			u, _, err := h.registerFast(fmt.Sprintf("buyer%03d", i))
			if err != nil {
				t.Fatal(err)
			}
			tokens[i] = u
		}
		responses := make([]*response, buyers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		began := time.Now()
		for i := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				responses[i] = h.send(req{method: "POST", path: "/api/v1/orders", token: tokens[i],
					header: map[string]string{"Idempotency-Key": fmt.Sprintf("buy-%d", i)},
					body:   map[string]any{"items": []map[string]any{{"sku_id": sku, "qty": 1}}, "shipping": shipTo}})
			}()
		}
		close(start)
		wg.Wait()
		elapsed := time.Since(began)
		statuses := map[int]int{}
		var winners []int
		for i, r := range responses {
			statuses[r.StatusCode]++
			h.validate(r)
			switch r.StatusCode {
			case http.StatusCreated:
				winners = append(winners, i)
			case http.StatusConflict:
				if p := r.problem(t); p.Code != "out_of_stock" || len(p.Errors) != 1 || p.Errors[0].Message != sku {
					t.Fatalf("409 is not a clean out_of_stock naming the SKU: %s", r.body)
				}
			default:
				t.Fatalf("buyer %d: %d %s", i, r.StatusCode, r.body)
			}
		}
		t.Logf("%s: 200 concurrent orders in %v: %v", d.Dialect(), elapsed.Round(time.Millisecond), statuses)
		if statuses[http.StatusCreated] != 50 || statuses[http.StatusConflict] != 150 {
			t.Fatalf("statuses %v, want 50×201 and 150×409", statuses)
		}
		var stock, reserved int
		if err := d.QueryRow(`SELECT stock, reserved FROM skus WHERE id = $1`,
			sku).Scan(&stock, &reserved); err != nil {
			t.Fatal(err)
		}
		if stock != 50 || reserved != 50 {
			t.Fatalf("stock %d reserved %d, want 50 and 50", stock, reserved)
		}
		// On PostgreSQL every one of the 200 went through the coalescing
		// queue (checkout/batch.go) exactly once: placed by a batch, or
		// declined by it and answered alone. SQLite never batches.
		statements, placed, declined := h.metric("reelmart_checkout_batch_statements_total"),
			h.metric("reelmart_checkout_batch_orders_total"), h.metric("reelmart_checkout_batch_declined_total")
		t.Logf("%s: %d batch statements placed %d orders and declined %d", d.Dialect(), statements, placed, declined)
		if d.Dialect() == db.Postgres && (statements < 1 || placed < 1 || placed > 50 || placed+declined != buyers) ||
			d.Dialect() == db.SQLite && statements+placed+declined != 0 {
			t.Errorf("batch metrics: %d statements, %d placed, %d declined", statements, placed, declined)
		}

		// The 50 winners fund their wallets and pay at once.
		payResponses := make([]*response, len(winners))
		for j, i := range winners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var o ordersJSON
				responses[i].json(&o)
				top := h.send(req{method: "POST", path: "/api/v1/wallet/topup", token: tokens[i], body: map[string]any{"amount": map[string]any{"amount_minor": 1000}}})
				if top.StatusCode != http.StatusOK {
					payResponses[j] = top
					return
				}
				payResponses[j] = h.send(req{method: "POST", path: "/api/v1/orders/" + o.Orders[0].ID + "/pay", token: tokens[i],
					body: map[string]string{"method": "wallet"}})
			}()
		}
		wg.Wait()
		for _, r := range payResponses {
			h.validate(r)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("pay: %d %s", r.StatusCode, r.body)
			}
		}
		var sold, negative int
		if err := d.QueryRow(`SELECT stock, reserved FROM skus WHERE id = $1`,
			sku).Scan(&stock, &reserved); err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRow(`SELECT COALESCE(SUM(qty), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.state = 'paid'`).Scan(&sold); err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRow(`SELECT COUNT(*) FROM skus WHERE stock < 0`).Scan(&negative); err != nil {
			t.Fatal(err)
		}
		if stock != 0 || reserved != 0 || sold != 50 || negative != 0 {
			t.Fatalf("after payment: stock %d reserved %d sold %d (negative %d), want 0, 0, 50", stock, reserved, sold, negative)
		}
		var receivable int64
		if err := d.QueryRow(`SELECT balance_minor FROM ledger_accounts WHERE kind = 'receivable'`).Scan(&receivable); err != nil {
			t.Fatal(err)
		}
		if receivable != 50*950 {
			t.Fatalf("shop receivable %d, want %d", receivable, 50*950)
		}
	})
}

// registerFast makes a user with a session without going through HTTP,
// for tests that need hundreds.
func (h *checkoutHarness) registerFast(handle string) (token, id string, err error) {
	accounts := testAccounts(h.db, h.clock.now)
	u, s, err := accounts.Register(context.Background(), account.Registration{Email: handle + "@example.com", Password: "correct horse battery",
		Handle: handle, DisplayName: handle}, account.Client{IP: "192.0.2.10"})
	if err != nil {
		return "", "", err
	}
	return s.Token, u.ID, nil
}
