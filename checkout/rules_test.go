package checkout_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// Ten concurrent payments of one order charge once; a payment racing a
// cancel leaves either a paid or a cancelled order, never both.
func TestConcurrentPayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, buyer := e.user("merchant"), e.user("buyer")
		_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 10, 1000)
		e.topUp(buyer, 50_000)
		o := e.order(buyer, checkout.ItemInput{SKUID: skus[0], Qty: 1})[0]
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = e.svc.Pay(ctx, buyer, o.ID, "wallet", nil) }()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch code(err) {
			case "":
				ok++
			case "illegal_transition":
			default:
				t.Fatalf("pay: %v", err)
			}
		}
		if ok != 1 || e.balance("wallet:"+buyer) != 49_000 {
			t.Fatalf("%d payments succeeded, wallet %d", ok, e.balance("wallet:"+buyer))
		}
		for range 5 {
			o := e.order(buyer, checkout.ItemInput{SKUID: skus[0], Qty: 1})[0]
			var payErr, cancelErr error
			wg.Add(2)
			go func() { defer wg.Done(); _, payErr = e.svc.Pay(ctx, buyer, o.ID, "wallet", nil) }()
			go func() { defer wg.Done(); _, cancelErr = e.svc.Cancel(ctx, merchant, o.ID) }()
			wg.Wait()
			if code(payErr) != "" && code(payErr) != "illegal_transition" || code(cancelErr) != "" {
				t.Fatalf("pay %v, cancel %v", payErr, cancelErr)
			}
		}
		e.checkLedger()
		e.checkStock(map[string]int{skus[0]: 10}, "after races")
		if b := e.balance("wallet:" + buyer); b != 49_000 {
			t.Fatalf("wallet %d: every raced order ended cancelled (refunded if paid)", b)
		}
	})
}

// The search index hears when a SKU runs out and when it comes back. A
// unit given back by a cancellation or an expiry reaches it through an
// index job committed with the order's change, so it arrives even when the
// process dies right after the commit: here, nothing works the queue until
// after the cancellation.
func TestSearchHearsStockRunOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e, work := newEnvWithJobs(t, d)
		merchant, buyer := e.user("merchant"), e.user("buyer")
		product, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 2, 1000)
		inStock := func() bool { return e.inStockInSearch(product) }
		eventually := func(want bool, what string) {
			t.Helper()
			for start := time.Now(); inStock() != want; time.Sleep(50 * time.Millisecond) {
				if time.Since(start) > 10*time.Second {
					t.Fatal(what)
				}
			}
		}
		o1 := e.order(buyer, checkout.ItemInput{SKUID: skus[0], Qty: 1})[0]
		if !inStock() {
			t.Fatal("one of two units left, but not in stock in search")
		}
		e.order(buyer, checkout.ItemInput{SKUID: skus[0], Qty: 1})
		if inStock() {
			t.Fatal("sold out, but in stock in search")
		}
		if _, err := e.svc.Cancel(ctx, buyer, o1.ID); err != nil {
			t.Fatal(err)
		}
		// Nothing was written to the index after the commit: the change
		// travels only in the job committed with it.
		if inStock() {
			t.Fatal("the cancellation wrote the index itself, after its commit")
		}
		work() // the process restarts
		eventually(true, "a unit came back, but search says out of stock")

		e.order(buyer, checkout.ItemInput{SKUID: skus[0], Qty: 1})
		eventually(false, "sold out again, but in stock in search")
		e.clock.add(time.Hour)
		if n, err := e.svc.Sweep(ctx); err != nil || n != 2 {
			t.Fatalf("sweep cancelled %d, %v; want both unpaid orders", n, err)
		}
		eventually(true, "the expired orders gave their units back, but search says out of stock")
	})
}

// crashAfterCommit is the catalog of a process that dies right after each
// placement commits: the search index update that follows never happens.
type crashAfterCommit struct{ *catalog.Service }

func (crashAfterCommit) StockChanged(context.Context, ...string) {}

// A placement that sells a SKU out records it in the same statement (or
// transaction), so that when its process dies before telling the index,
// the sweep does: on every placement path (a one-line order, coalesced on
// PostgreSQL; several lines; alone), the product leaves search's in-stock
// results once the sweep has run and the queue has worked.
func TestSoldOutSurvivesACrashAfterTheCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e, work := newEnvWithJobs(t, d)
		merchant, buyer := e.user("merchant"), e.user("buyer")
		shop := e.shop(merchant, "Shop")
		inStock := e.inStockInSearch
		_, plenty := e.product(merchant, shop, 0, 50, 500) // the other line of a two-line order
		paths := []struct {
			name     string
			alone    bool
			twoLines bool
		}{{"one line", false, false}, {"two lines", false, true}, {"one line alone", true, false}}
		var products []string
		for i, p := range paths {
			product, skus := e.product(merchant, shop, 0, 1, 1000) // one unit
			products = append(products, product)
			e.svc = checkout.NewService(d, crashAfterCommit{e.catalog}, checkout.Config{Currency: "USD", PlaceAlone: p.alone}, e.clock.now)
			items := []checkout.ItemInput{{SKUID: skus[0], Qty: 1}}
			if p.twoLines {
				items = append(items, checkout.ItemInput{SKUID: plenty[0], Qty: 1})
			}
			e.order(buyer, items...)
			if n := e.count("search_stock_flips"); n != i+1 {
				t.Fatalf("%s: %d sold-out SKUs recorded in all; want %d", p.name, n, i+1)
			}
			if !inStock(product) {
				t.Fatalf("%s: the index heard of the sell-out although the process died first", p.name)
			}
		}
		// A sweep within the grace period leaves the flips to their placements.
		if n, err := e.catalog.SweepStockFlips(ctx); err != nil || n != 0 {
			t.Fatalf("sweep at once took %d flips, %v; want none yet", n, err)
		}
		e.clock.add(time.Minute)
		if n, err := e.catalog.SweepStockFlips(ctx); err != nil || n != int64(len(paths)) {
			t.Fatalf("sweep took %d flips, %v; want %d", n, err, len(paths))
		}
		if n := e.count("search_stock_flips"); n != 0 {
			t.Fatalf("%d flips left after the sweep", n)
		}
		work() // the queue runs the sweep's jobs
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			left := 0
			for _, p := range products {
				if inStock(p) {
					left++
				}
			}
			if left == 0 {
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%d sold-out products still in stock in search after the sweep's jobs", left)
			}
		}

		// Without a crash, the placement's own update takes its flip.
		e.svc = checkout.NewService(d, e.catalog, checkout.Config{Currency: "USD"}, e.clock.now)
		_, skus := e.product(merchant, shop, 0, 1, 1000)
		e.order(buyer, checkout.ItemInput{SKUID: skus[0], Qty: 1})
		if n := e.count("search_stock_flips"); n != 0 {
			t.Fatalf("%d flips left after a placement that told the index itself", n)
		}
	})
}

func TestLimitsAndOwnership(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, buyer := e.user("merchant"), e.user("buyer")
		shop := e.shop(merchant, "Shop")
		prices := make([]int64, 51)
		for i := range prices {
			prices[i] = 100
		}
		_, skus := e.product(merchant, shop, 0, 5, prices...)
		for _, sku := range skus[:50] {
			if _, err := e.svc.PutCartItem(ctx, buyer, sku, checkout.CartItemInput{Qty: 1}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.PutCartItem(ctx, buyer, skus[50], checkout.CartItemInput{Qty: 1}); code(err) != "cart_full" {
			t.Fatalf("51st line: %v", err)
		}
		if _, err := e.svc.PutCartItem(ctx, buyer, skus[0], checkout.CartItemInput{Qty: 7}); err != nil {
			t.Fatalf("changing a line of a full cart: %v", err)
		}
		cart, err := e.svc.Cart(ctx, buyer)
		if err != nil {
			t.Fatal(err)
		}
		if !cart.Stale || cart.Items[0].StaleReasons[0] != checkout.StaleOutOfStock {
			t.Fatalf("7 of 5 is not flagged: %+v", cart.Items[0])
		}
		if _, err := e.svc.TopUp(ctx, buyer, checkout.Money{AmountMinor: 1_000_001}, nil); code(err) != "validation_failed" {
			t.Fatalf("top-up over the limit: %v", err)
		}
		for range 100 {
			e.topUp(buyer, 1_000_000)
		}
		if _, err := e.svc.TopUp(ctx, buyer, checkout.Money{AmountMinor: 1}, nil); code(err) != "wallet_limit" {
			t.Fatalf("top-up over the wallet limit: %v", err)
		}
		if b := e.balance("wallet:" + buyer); b != 100_000_000 {
			t.Fatalf("wallet %d", b)
		}
		// The merchant may cancel an unpaid order; a stranger may not see it.
		o := e.order(buyer, checkout.ItemInput{SKUID: skus[1], Qty: 1})[0]
		if _, err := e.svc.Cancel(ctx, e.user("stranger"), o.ID); code(err) != "order_not_found" {
			t.Fatalf("stranger cancels: %v", err)
		}
		got, err := e.svc.Cancel(ctx, merchant, o.ID)
		if err != nil || got.State != checkout.StateCancelled || got.Events[1].ActorID != merchant {
			t.Fatalf("merchant cancels: %+v %v", got, err)
		}
		e.checkLedger()
	})
}

// Payments and refunds of one shop at once, over shared SKUs and the
// shared fee account, all succeed: every transaction takes its locks in
// the same order.
func TestConcurrentPaymentsAndRefunds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, creator := e.user("merchant"), e.user("creator")
		product, skus := e.product(merchant, e.shop(merchant, "Shop"), 1000, 100, 500, 700)
		video := e.video(creator)
		e.pin(video, product)
		var paid, pending []checkout.Order
		for i := range 20 {
			b := e.user("buyer" + string(rune('a'+i)))
			e.topUp(b, 100_000)
			o := e.order(b, checkout.ItemInput{SKUID: skus[1], Qty: 1, SourceVideoID: vid(video)},
				checkout.ItemInput{SKUID: skus[0], Qty: 2, SourceVideoID: vid(video)})[0]
			if i%2 == 0 {
				if _, err := e.svc.Pay(ctx, b, o.ID, "wallet", nil); err != nil {
					t.Fatal(err)
				}
				paid = append(paid, o)
			} else {
				pending = append(pending, o)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range paid {
			wg.Add(2)
			go func() { defer wg.Done(); _, err := e.svc.Refund(ctx, merchant, paid[i].ID, nil); errs <- err }()
			go func() {
				defer wg.Done()
				_, err := e.svc.Pay(ctx, pending[i].BuyerID, pending[i].ID, "wallet", nil)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent pay/refund: %v", err)
			}
		}
		e.checkLedger()
		e.checkStock(map[string]int{skus[0]: 100, skus[1]: 100}, "after concurrent pay/refund")
		e.checkCommissions("after concurrent pay/refund")
	})
}

// An unpaid order holds its stock until it is cancelled: past its expiry it
// cannot be paid, and a buyer who finds the stock short gets it once the
// expired order is cancelled on the spot, without waiting for the sweep.
func TestExpiredOrdersGiveBackStock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, ann, bob := e.user("merchant"), e.user("ann"), e.user("bob")
		_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 1, 1000, 2000)
		e.topUp(ann, 10_000)
		first := e.order(ann, checkout.ItemInput{SKUID: skus[0], Qty: 1})[0]
		second := e.order(ann, checkout.ItemInput{SKUID: skus[1], Qty: 1})[0]
		if _, err := e.svc.CreateOrders(ctx, bob, checkout.OrderInput{Items: []checkout.ItemInput{{SKUID: skus[0], Qty: 1}}, Shipping: addr}, nil); code(err) != "out_of_stock" {
			t.Fatalf("second buyer of the last unit while it is held: %v", err)
		}
		e.clock.add(16 * time.Minute)
		if _, reserved := e.stock(skus[0]); reserved != 1 {
			t.Fatalf("an expired order not yet cancelled holds %d, want 1", reserved)
		}
		// Paying an expired order that nobody has cancelled yet cancels it.
		if _, err := e.svc.Pay(ctx, ann, second.ID, "wallet", nil); code(err) != "order_expired" {
			t.Fatalf("paying an expired order: %v", err)
		}
		if o, _ := e.svc.Order(ctx, ann, second.ID); o.State != checkout.StateCancelled {
			t.Fatalf("expired order after a payment attempt: %s", o.State)
		}
		if _, reserved := e.stock(skus[1]); reserved != 0 {
			t.Fatalf("the cancelled order still holds %d", reserved)
		}
		got := e.order(bob, checkout.ItemInput{SKUID: skus[0], Qty: 1})
		if len(got) != 1 || got[0].Total.AmountMinor != 1000 {
			t.Fatalf("bob's order after ann's expired: %+v", got)
		}
		o, err := e.svc.Order(ctx, ann, first.ID)
		if err != nil || o.State != checkout.StateCancelled || o.Events[len(o.Events)-1].ActorID != checkout.SystemActor {
			t.Fatalf("ann's expired order: %+v, %v", o, err)
		}
		if _, err := e.svc.Pay(ctx, ann, first.ID, "wallet", nil); code(err) != "illegal_transition" {
			t.Fatalf("paying a cancelled order: %v", err)
		}
		if e.balance("wallet:"+ann) != 10_000 {
			t.Fatalf("ann was charged for expired orders")
		}
		e.checkStock(map[string]int{skus[0]: 1, skus[1]: 1}, "after expiry")
		e.checkLedger()
	})
}
