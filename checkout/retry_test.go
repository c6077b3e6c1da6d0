package checkout_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// The claims on Idempotency-Keys (idempotency.go). The HTTP tests
// (api/checkout_retry_test.go) fail requests after their commit and retry
// them; these check the lease and the fence beneath.

// retryAfter returns the Retry-After an error carries.
func retryAfter(err error) time.Duration {
	if e := reelmart.AsError(err); e != nil {
		return e.RetryAfter
	}
	return 0
}

// Concurrent requests with one key: exactly one claims it; the others are
// told it is in progress, and for how long the claim's lease still runs.
func TestConcurrentKeyClaims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		user := e.user("buyer")
		claims := make([]*checkout.Claim, 8)
		errs := make([]error, len(claims))
		var wg sync.WaitGroup
		for i := range claims {
			wg.Go(func() { claims[i], _, errs[i] = e.svc.ClaimKey(ctx, user, "k", "hash") })
		}
		wg.Wait()
		var held *checkout.Claim
		for i, err := range errs {
			switch {
			case err == nil && claims[i] != nil && held == nil:
				held = claims[i]
			case code(err) == "idempotency_key_in_progress" && retryAfter(err) == 30*time.Second:
			default:
				t.Fatalf("claim %d: %v (Retry-After %v), another claim held: %v", i, err, retryAfter(err), held != nil)
			}
		}
		if held == nil {
			t.Fatal("no claim of the key")
		}
		if err := e.svc.SaveKey(ctx, held, 201, []byte(`{"a":1}`)); err != nil {
			t.Fatal(err)
		}
		if _, r, err := e.svc.ClaimKey(ctx, user, "k", "hash"); err != nil || r == nil || r.Status != 201 || string(r.Body) != `{"a":1}` {
			t.Fatalf("replay %+v %v", r, err)
		}
		if _, _, err := e.svc.ClaimKey(ctx, user, "k", "other"); code(err) != "idempotency_key_reused" {
			t.Fatalf("reuse: %v", err)
		}
		// After KeyTTL the key is free for a new request.
		e.clock.add(checkout.KeyTTL + time.Second)
		if c, r, err := e.svc.ClaimKey(ctx, user, "k", "other"); err != nil || c == nil || r != nil || c.ReadBack() {
			t.Fatalf("claim of an expired key: %v %+v %v", c, r, err)
		}
	})
}

// A claim's lease: while it runs, a retry is told to wait the time left;
// after it, the retry takes the key over and runs, since nothing was done.
// The first attempt, turning up late (a statement that reached the
// database after its client gave up), can then neither place an order nor
// store an answer: one key, one order. On PostgreSQL the late one-line
// order goes to a batch first, whose statement the fence aborts too.
func TestLeaseFencesALateAttempt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, buyer := e.user("merchant"), e.user("buyer")
		_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 5, 1000)
		in := checkout.OrderInput{Items: []checkout.ItemInput{{SKUID: skus[0], Qty: 1}}, Shipping: addr}
		first, _, err := e.svc.ClaimKey(ctx, buyer, "k", "hash")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(10 * time.Second)
		if _, _, err := e.svc.ClaimKey(ctx, buyer, "k", "hash"); code(err) != "idempotency_key_in_progress" || retryAfter(err) != 20*time.Second {
			t.Fatalf("retry within the lease: %v, Retry-After %v; want in progress, 20s", err, retryAfter(err))
		}
		e.clock.add(21 * time.Second)
		retry, _, err := e.svc.ClaimKey(ctx, buyer, "k", "hash")
		if err != nil || retry == nil || retry.ReadBack() {
			t.Fatalf("retry after the lease: %v %v, want a claim to run under", retry, err)
		}

		if _, err := e.svc.CreateOrders(ctx, buyer, in, first); !errors.Is(err, checkout.ErrKeySuperseded) {
			t.Fatalf("late first attempt: %v, want ErrKeySuperseded", err)
		}
		if _, reserved := e.stock(skus[0]); e.count("orders") != 0 || reserved != 0 {
			t.Fatalf("the late attempt left %d orders, %d reserved", e.count("orders"), reserved)
		}
		if err := e.svc.SaveKey(ctx, first, 201, []byte(`{}`)); !errors.Is(err, checkout.ErrKeySuperseded) {
			t.Fatalf("late first attempt stores its answer: %v", err)
		}

		orders, err := e.svc.CreateOrders(ctx, buyer, in, retry)
		if err != nil || len(orders) != 1 {
			t.Fatalf("the retry: %v %v", orders, err)
		}
		if err := e.svc.SaveKey(ctx, retry, 201, []byte(`{"orders":1}`)); err != nil {
			t.Fatal(err)
		}
		if _, r, err := e.svc.ClaimKey(ctx, buyer, "k", "hash"); err != nil || r == nil || string(r.Body) != `{"orders":1}` {
			t.Fatalf("replay: %+v %v", r, err)
		}
		if n := e.count("orders"); n != 1 {
			t.Fatalf("%d orders under one key", n)
		}
		e.checkReserved()
	})
}

// The fence holds for refusals too: once a retry has answered out_of_stock
// for the key, the first attempt cannot place the order late, even when
// stock has come back meanwhile, so the stored refusal stays the truth.
// The same holds for a top-up.
func TestLateAttemptCannotContradictARefusal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, buyer := e.user("merchant"), e.user("buyer")
		_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 5, 1000)
		in := checkout.OrderInput{Items: []checkout.ItemInput{{SKUID: skus[0], Qty: 6}}, Shipping: addr}
		first, _, err := e.svc.ClaimKey(ctx, buyer, "k", "hash")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(time.Minute)
		retry, _, err := e.svc.ClaimKey(ctx, buyer, "k", "hash")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateOrders(ctx, buyer, in, retry); code(err) != "out_of_stock" {
			t.Fatalf("retry: %v, want out_of_stock", err)
		}
		if err := e.svc.SaveKey(ctx, retry, 409, []byte(`out_of_stock`)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.catalog.SetStock(ctx, merchant, skus[0], 10); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateOrders(ctx, buyer, in, first); !errors.Is(err, checkout.ErrKeySuperseded) {
			t.Fatalf("late first attempt after the refusal: %v", err)
		}
		if n := e.count("orders"); n != 0 {
			t.Fatalf("%d orders under a key that answered out_of_stock", n)
		}

		firstTop, _, err := e.svc.ClaimKey(ctx, buyer, "top", "hash")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(time.Minute)
		retryTop, _, err := e.svc.ClaimKey(ctx, buyer, "top", "hash")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.TopUp(ctx, buyer, checkout.Money{AmountMinor: 500}, retryTop); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.TopUp(ctx, buyer, checkout.Money{AmountMinor: 500}, firstTop); !errors.Is(err, checkout.ErrKeySuperseded) {
			t.Fatalf("late first top-up: %v", err)
		}
		if b := e.balance("wallet:" + buyer); b != 500 {
			t.Fatalf("wallet %d after one top-up of 500 under one key", b)
		}
		e.checkLedger()
	})
}
