package api_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// A retried request never does its work twice: each test fails a request
// after its effect committed and before its answer, then retries it with
// the same Idempotency-Key and counts what was done.

// fault fails the next checkout operation named op right after its commit
// (checkout.Config.AfterCommit): with an error, as a reply lost to a broken
// connection or a cancelled request, or with a panic.
type fault struct {
	mu     sync.Mutex
	op     string
	panics bool
}

func (f *fault) arm(op string, panics bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.op, f.panics = op, panics
}

func (f *fault) afterCommit(_ context.Context, op string) error {
	f.mu.Lock()
	hit, panics := f.op == op, f.panics
	if hit {
		f.op = ""
	}
	f.mu.Unlock()
	switch {
	case !hit:
		return nil
	case panics:
		panic("injected after " + op + " committed")
	default:
		return errors.New("injected: the answer to " + op + " was lost after its commit")
	}
}

// faults runs fn once with each kind of failure, on each engine.
func faults(t *testing.T, engines []db.Dialect, fn func(t *testing.T, h *checkoutHarness, f *fault, panics bool)) {
	for _, panics := range []bool{false, true} {
		name := "lost_reply"
		if panics {
			name = "panic"
		}
		t.Run(name, func(t *testing.T) {
			for _, engine := range engines {
				t.Run(string(engine), func(t *testing.T) {
					f := &fault{}
					fn(t, newCheckoutHarness(t, dbtest.Open(t, engine), func(c *checkout.Config) { c.AfterCommit = f.afterCommit }), f, panics)
				})
			}
		})
	}
}

// retried sends a request that fails after its commit, then its retry,
// which must be a 2xx marked as replayed, then the retry once more, which
// must be the stored answer byte for byte. It returns the retry.
func (h *checkoutHarness) retried(f *fault, op string, panics bool, method, path, token string, body any, key string, status int) *response {
	h.t.Helper()
	f.arm(op, panics)
	first := h.call(method, path, token, body, key)
	if first.StatusCode != http.StatusInternalServerError {
		h.t.Fatalf("%s %s with the failure after commit: %d %s", method, path, first.StatusCode, first.body)
	}
	retry := h.call(method, path, token, body, key)
	if retry.StatusCode != status || retry.Header.Get("Idempotent-Replayed") != "true" {
		h.t.Fatalf("retry of %s %s: %d %s (replayed: %q)", method, path, retry.StatusCode, retry.body, retry.Header.Get("Idempotent-Replayed"))
	}
	again := h.call(method, path, token, body, key)
	if again.StatusCode != status || !bytes.Equal(again.body, retry.body) {
		h.t.Fatalf("second retry of %s %s: %d %s\nfirst retry: %s", method, path, again.StatusCode, again.body, retry.body)
	}
	return retry
}

// countWhere returns the rows of table matching where.
func (h *checkoutHarness) countWhere(table, where string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE `+where, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// The lone path, on both engines (two lines of two shops are never
// coalesced): an order, a top-up, a payment and a refund each fail after
// their commit, by a lost reply or a panic. The retry answers with what
// the first did — the same orders, one charge, one credit, one refund —
// and a panic is never stored as an empty 200.
func TestRetryAfterCommitHTTP(t *testing.T) {
	faults(t, []db.Dialect{db.SQLite, db.Postgres}, func(t *testing.T, h *checkoutHarness, f *fault, panics bool) {
		merchant, buyer := h.register("merchant"), h.register("buyer")
		_, _, hat := h.merchantSKU(merchant.Token, "Hats", 1000, 5)
		_, _, scarf := h.merchantSKU(merchant.Token, "Scarves", 700, 5)
		body := map[string]any{"items": []any{map[string]any{"sku_id": hat, "qty": 2}, map[string]any{"sku_id": scarf, "qty": 1}}, "shipping": shipTo}

		r := h.retried(f, "place", panics, "POST", "/api/v1/orders", buyer.Token, body, "order-1", http.StatusCreated)
		var got ordersJSON
		r.json(&got)
		rows, err := h.db.Query(`SELECT id FROM orders ORDER BY shop_id`)
		if err != nil {
			t.Fatal(err)
		}
		var stored []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, id)
		}
		rows.Close()
		if len(got.Orders) != 2 || len(stored) != 2 || got.Orders[0].ID != stored[0] || got.Orders[1].ID != stored[1] {
			t.Fatalf("retry answered %s; stored orders %v", r.body, stored)
		}
		if n := h.reserved(); n != 3 {
			t.Fatalf("%d units reserved after one order of 3 and its retries", n)
		}

		top := map[string]any{"amount": map[string]any{"amount_minor": 5000}}
		h.retried(f, "topup", panics, "POST", "/api/v1/wallet/topup", buyer.Token, top, "top-1", http.StatusOK)
		if n := h.countWhere("ledger_transactions", "kind = 'topup'"); n != 1 {
			t.Fatalf("%d top-ups after one and its retries", n)
		}

		hats := got.Orders[0]
		if hats.Total.AmountMinor != 2000 {
			hats = got.Orders[1]
		}
		wallet := map[string]string{"method": "wallet"}
		r = h.retried(f, "pay", panics, "POST", "/api/v1/orders/"+hats.ID+"/pay", buyer.Token, wallet, "pay-1", http.StatusOK)
		var paid orderJSON
		r.json(&paid)
		if paid.ID != hats.ID || paid.State != "paid" || h.countWhere("ledger_transactions", "kind = 'payment'") != 1 {
			t.Fatalf("payment retried: %s; %d payments", r.body, h.countWhere("ledger_transactions", "kind = 'payment'"))
		}

		r = h.retried(f, "refund", panics, "POST", "/api/v1/orders/"+hats.ID+"/refund", merchant.Token, nil, "refund-1", http.StatusOK)
		var refunded orderJSON
		r.json(&refunded)
		if refunded.State != "refunded" || h.countWhere("ledger_transactions", "kind = 'refund'") != 1 {
			t.Fatalf("refund retried: %s; %d refunds", r.body, h.countWhere("ledger_transactions", "kind = 'refund'"))
		}
		if b := h.wallet(buyer.Token); b != 5000 {
			t.Fatalf("wallet %d after a top-up of 5000 and a payment of 2000 refunded", b)
		}
	})
}

// The coalesced path (PostgreSQL): a one-line order whose batch fails after
// its commit, by a lost reply or a panic in batch.go, answers 500 and is
// neither placed again nor left to the lone path; its retry answers with
// the order the batch placed.
func TestRetryAfterBatchCommitHTTP(t *testing.T) {
	faults(t, []db.Dialect{db.Postgres}, func(t *testing.T, h *checkoutHarness, f *fault, panics bool) {
		merchant, buyer := h.register("merchant"), h.register("buyer")
		_, _, sku := h.merchantSKU(merchant.Token, "Hats", 1000, 5)
		r := h.retried(f, "batch", panics, "POST", "/api/v1/orders", buyer.Token, orderBody(sku, 1, ""), "order-1", http.StatusCreated)
		var got ordersJSON
		r.json(&got)
		var stored string
		if err := h.db.QueryRow(`SELECT id FROM orders`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if len(got.Orders) != 1 || got.Orders[0].ID != stored || h.count("orders") != 1 || h.reserved() != 1 {
			t.Fatalf("retry answered %s; %d orders stored, %d reserved", r.body, h.count("orders"), h.reserved())
		}
		if s, p, d := h.metric("reelmart_checkout_batch_statements_total"), h.metric("reelmart_checkout_batch_orders_total"),
			h.metric("reelmart_checkout_batch_declined_total"); s != 1 || p != 0 || d != 0 {
			t.Fatalf("batches: %d statements, %d placed, %d declined; want 1 whose order was neither", s, p, d)
		}
	})
}

// While the first request with a key runs, a second is told 409
// idempotency_key_in_progress with Retry-After (the seconds left of the
// first's lease), and does nothing; once the first answers, the key
// replays it.
func TestKeyInProgressHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		entered, release := make(chan struct{}), make(chan struct{})
		h := newCheckoutHarness(t, d, func(c *checkout.Config) {
			c.AfterCommit = func(_ context.Context, op string) error {
				if op == "topup" {
					close(entered)
					<-release
				}
				return nil
			}
		})
		buyer := h.register("buyer")
		top := map[string]any{"amount": map[string]any{"amount_minor": 700}}
		firstDone := make(chan *response, 1)
		go func() {
			firstDone <- h.send(req{method: "POST", path: "/api/v1/wallet/topup", token: buyer.Token, body: top, header: map[string]string{"Idempotency-Key": "t"}})
		}()
		<-entered
		second := h.call("POST", "/api/v1/wallet/topup", buyer.Token, top, "t")
		want(t, second, 409, "idempotency_key_in_progress")
		if ra := second.Header.Get("Retry-After"); ra != "30" {
			t.Fatalf("Retry-After %q, want the 30 s of the first's lease", ra)
		}
		close(release)
		first := <-firstDone
		h.validate(first)
		want(t, first, 200, "")
		third := h.call("POST", "/api/v1/wallet/topup", buyer.Token, top, "t")
		if third.StatusCode != 200 || !bytes.Equal(third.body, first.body) || third.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s\nfirst: %s", third.StatusCode, third.body, first.body)
		}
		if n := h.countWhere("ledger_transactions", "kind = 'topup'"); n != 1 {
			t.Fatalf("%d top-ups under one key", n)
		}
	})
}
