package checkout_test

import (
	"database/sql"
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
			go func() { defer wg.Done(); _, errs[i] = e.svc.Pay(ctx, buyer, o.ID, "wallet") }()
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
			go func() { defer wg.Done(); _, payErr = e.svc.Pay(ctx, buyer, o.ID, "wallet") }()
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

// The search index hears when a SKU runs out and when it comes back.
func TestSearchHearsStockRunOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, buyer := e.user("merchant"), e.user("buyer")
		product, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 2, 1000)
		inStock := func() bool {
			page, _, err := e.catalog.Search(ctx, catalog.SearchQuery{InStock: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Items {
				if p.ID == product {
					return true
				}
			}
			return false
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
		if !inStock() {
			t.Fatal("a unit came back, but search says out of stock")
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
		if _, err := e.svc.TopUp(ctx, buyer, checkout.Money{AmountMinor: 1_000_001}); code(err) != "validation_failed" {
			t.Fatalf("top-up over the limit: %v", err)
		}
		for range 100 {
			e.topUp(buyer, 1_000_000)
		}
		if _, err := e.svc.TopUp(ctx, buyer, checkout.Money{AmountMinor: 1}); code(err) != "wallet_limit" {
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

// Two concurrent requests with one idempotency key: one runs, the other is
// told it is in progress or gets the replay.
func TestConcurrentKeyClaims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		user := e.user("buyer")
		var wg sync.WaitGroup
		results := make([]string, 8)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.svc.ClaimKey(ctx, user, "k", "hash")
				switch {
				case err != nil:
					results[i] = code(err)
				case r == nil:
					results[i] = "claimed"
				default:
					results[i] = "replay"
				}
			}()
		}
		wg.Wait()
		claimed := 0
		for _, r := range results {
			switch r {
			case "claimed":
				claimed++
			case "idempotency_key_in_progress":
			default:
				t.Fatalf("claim: %s", r)
			}
		}
		if claimed != 1 {
			t.Fatalf("%d claims of one key", claimed)
		}
		if err := e.svc.SaveKey(ctx, user, "k", 201, []byte(`{"a":1}`)); err != nil {
			t.Fatal(err)
		}
		if r, err := e.svc.ClaimKey(ctx, user, "k", "hash"); err != nil || r == nil || r.Status != 201 || string(r.Body) != `{"a":1}` {
			t.Fatalf("replay %+v %v", r, err)
		}
		if _, err := e.svc.ClaimKey(ctx, user, "k", "other"); code(err) != "idempotency_key_reused" {
			t.Fatalf("reuse: %v", err)
		}
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
				if _, err := e.svc.Pay(ctx, b, o.ID, "wallet"); err != nil {
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
			go func() { defer wg.Done(); _, err := e.svc.Refund(ctx, merchant, paid[i].ID); errs <- err }()
			go func() {
				defer wg.Done()
				_, err := e.svc.Pay(ctx, pending[i].BuyerID, pending[i].ID, "wallet")
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

// The catalog hooks: an expired reservation no longer holds stock, and
// selling it after someone else took the stock fails instead of pushing
// stock below live reservations.
func TestSellLapsedReservation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant := e.user("merchant")
		_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 1, 1000)
		tx := func(fn func(*sql.Tx) error) error { return d.Tx(ctx, fn) }
		reserve := func(orderID string) error {
			return tx(func(tx *sql.Tx) error {
				if _, err := e.catalog.LockSKUs(ctx, tx, []string{skus[0]}); err != nil {
					return err
				}
				return e.catalog.ReserveOrders(ctx, tx, []catalog.OrderHold{{OrderID: orderID, SKUID: skus[0], Qty: 1}},
					e.clock.now().Add(time.Minute))
			})
		}
		if err := reserve("A"); err != nil {
			t.Fatal(err)
		}
		if err := reserve("B"); code(err) != "out_of_stock" {
			t.Fatalf("second reservation of one unit: %v", err)
		}
		e.clock.add(2 * time.Minute)
		if err := reserve("B"); err != nil {
			t.Fatalf("reserving after A expired: %v", err)
		}
		if err := tx(func(tx *sql.Tx) error { _, err := e.catalog.SellOrder(ctx, tx, "A", merchant); return err }); code(err) != "reservation_expired" {
			t.Fatalf("selling A: %v", err)
		}
		if err := tx(func(tx *sql.Tx) error { _, err := e.catalog.SellOrder(ctx, tx, "B", merchant); return err }); err != nil {
			t.Fatalf("selling B: %v", err)
		}
		changes, err := e.catalog.StockChanges(ctx, merchant, skus[0])
		if err != nil {
			t.Fatal(err)
		}
		if last := changes[len(changes)-1]; last.Reason != "sold" || last.OldStock != 1 || last.NewStock != 0 {
			t.Fatalf("stock changes %+v", changes)
		}
	})
}
