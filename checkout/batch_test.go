package checkout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// Coalesced placement (batch.go) runs on PostgreSQL only; SQLite places
// every order alone.

// Every order of a batch stands or falls alone: orders sharing a SKU
// reserve their sum or nothing, an unknown SKU, a missing video or a
// product not for sale leaves out that order only, and each placed order
// is what is stored, commission included. The orders a batch left out then
// get their own answer on the lone path.
func TestBatchOrdersStandAlone(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres))
	merchant, ann, bob, creator := e.user("merchant"), e.user("ann"), e.user("bob"), e.user("creator")
	shop := e.shop(merchant, "Shop")
	product, skus := e.product(merchant, shop, 1000, 0, 500, 700, 900)
	for sku, stock := range map[string]int{skus[0]: 5, skus[1]: 3, skus[2]: 10} {
		if _, err := e.db.ExecContext(ctx, `UPDATE skus SET stock = $1 WHERE id = $2`, stock, sku); err != nil {
			t.Fatal(err)
		}
	}
	archived, gone := e.product(merchant, shop, 0, 10, 100)
	if _, err := e.db.ExecContext(ctx, `UPDATE products SET status = 'archived' WHERE id = $1`, archived); err != nil {
		t.Fatal(err)
	}
	video := e.video(creator)
	e.pin(video, product)
	missing := reelmart.NewID()

	buyers := []string{ann, bob, ann, bob, ann, creator, ann, bob}
	items := []checkout.ItemInput{
		{SKUID: skus[0], Qty: 2, SourceVideoID: &video},   // 0: with 1, 5 of 5: placed, creator earns
		{SKUID: skus[0], Qty: 3},                          // 1: placed
		{SKUID: skus[1], Qty: 2},                          // 2: with 3, 4 of 3: neither
		{SKUID: skus[1], Qty: 2},                          // 3
		{SKUID: reelmart.NewID(), Qty: 1},                 // 4: no such SKU
		{SKUID: skus[2], Qty: 1, SourceVideoID: &video},   // 5: the creator's own purchase: placed, no commission
		{SKUID: skus[2], Qty: 4, SourceVideoID: &missing}, // 6: no such video, and it must not count in 5's sum
		{SKUID: gone[0], Qty: 1},                          // 7: not for sale
	}
	placed, err := e.svc.PlaceBatch(ctx, buyers, items, *addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(placed) != 3 || placed[0].ID == "" || placed[1].ID == "" || placed[5].ID == "" {
		t.Fatalf("placed %v, want orders 0, 1 and 5", keys(placed))
	}
	for i, o := range placed {
		l := o.Lines[0]
		if o.BuyerID != buyers[i] || o.ShopID != shop || o.State != checkout.StatePendingPayment ||
			l.SKUID != items[i].SKUID || l.Qty != items[i].Qty || o.Total.AmountMinor != l.UnitPrice.AmountMinor*int64(l.Qty) {
			t.Errorf("order %d: %+v", i, o)
		}
		stored, err := e.svc.Order(ctx, buyers[i], o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := jsonOf(t, stored), jsonOf(t, o); got != want {
			t.Errorf("order %d as placed:\n%s\nas stored:\n%s", i, want, got)
		}
	}
	commission := func(orderID string) (creatorID string, minor int64) {
		var c *string
		if err := e.db.QueryRowContext(ctx, `SELECT creator_id, commission_minor FROM order_lines WHERE order_id = $1`, orderID).Scan(&c, &minor); err != nil {
			t.Fatal(err)
		}
		if c != nil {
			creatorID = *c
		}
		return creatorID, minor
	}
	if c, m := commission(placed[0].ID); c != creator || m != 2*500*1000/10000 {
		t.Errorf("order 0 commission: %q %d, want the creator 100", c, m)
	}
	if c, m := commission(placed[5].ID); c != "" || m != 0 {
		t.Errorf("the creator's own purchase earns %q %d", c, m)
	}
	for sku, want := range map[string]int{skus[0]: 5, skus[1]: 0, skus[2]: 1, gone[0]: 0} {
		if _, reserved := e.stock(sku); reserved != want {
			t.Errorf("SKU %s: reserved %d, want %d", sku, reserved, want)
		}
	}
	e.checkReserved()

	// Alone, each of the others gets its own answer.
	for i, want := range map[int]string{2: "", 4: "validation_failed", 6: "validation_failed", 7: "product_not_for_sale"} {
		_, err := e.svc.CreateOrders(ctx, buyers[i], checkout.OrderInput{Items: items[i : i+1], Shipping: addr}, nil)
		if code(err) != want {
			t.Errorf("order %d alone: %v, want %q", i, err, want)
		}
	}
	if _, err := e.svc.CreateOrders(ctx, bob, checkout.OrderInput{Items: items[3:4], Shipping: addr}, nil); code(err) != "out_of_stock" {
		t.Errorf("order 3 alone after 2: %v, want out_of_stock", err)
	}
	e.checkReserved()
}

// A batch never waits for a row lock: while another transaction holds a
// SKU, the batch places the orders for other SKUs and leaves that SKU's
// order to the lone path, which waits for the lock as it always did.
func TestBatchSkipsLockedSKUs(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres))
	merchant, buyer := e.user("merchant"), e.user("buyer")
	_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 5, 1000, 2000)
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT id FROM skus WHERE id = $1 FOR UPDATE`, skus[0]); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	items := []checkout.ItemInput{{SKUID: skus[0], Qty: 1}, {SKUID: skus[1], Qty: 1}}
	placed, err := e.svc.PlaceBatch(short, []string{buyer, buyer}, items, *addr)
	if err != nil {
		t.Fatalf("batch with a locked SKU: %v (did it wait for the lock?)", err)
	}
	if _, ok := placed[1]; !ok || len(placed) != 1 {
		t.Fatalf("placed %v, want only the order for the unlocked SKU", keys(placed))
	}
	lone := make(chan error, 1)
	go func() {
		_, err := e.svc.CreateOrders(ctx, buyer, checkout.OrderInput{Items: items[:1], Shipping: addr}, nil)
		lone <- err
	}()
	select {
	case err := <-lone:
		t.Fatalf("the lone order did not wait for the lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-lone; err != nil {
		t.Fatalf("the lone order once the lock was gone: %v", err)
	}
	for i, sku := range skus {
		if _, reserved := e.stock(sku); reserved != 1 {
			t.Errorf("SKU %d: reserved %d, want 1", i, reserved)
		}
	}
	e.checkReserved()
}

// A batch statement the server rejects wrote nothing, so its orders are
// left to the lone path rather than failed: here one order's SKU id is not
// valid UTF-8, which PostgreSQL refuses for the whole statement.
func TestBatchRejectedFallsBack(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres))
	merchant, buyer := e.user("merchant"), e.user("buyer")
	_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 5, 1000)
	statements, _, declined := e.svc.BatchStats()
	placed, errs := e.svc.RunBatch([]string{buyer, buyer}, []checkout.ItemInput{{SKUID: skus[0], Qty: 1}, {SKUID: "\xff", Qty: 1}}, *addr)
	for i := range placed {
		if placed[i] || errs[i] != nil {
			t.Errorf("order %d: placed %v, error %v; want it left to the lone path", i, placed[i], errs[i])
		}
	}
	s2, _, d2 := e.svc.BatchStats()
	if s2 != statements+1 || d2 != declined+2 {
		t.Errorf("stats: %d statements, %d declined; want one more statement and two more declined", s2-statements, d2-declined)
	}
	if _, reserved := e.stock(skus[0]); reserved != 0 {
		t.Errorf("reserved %d after a rejected batch", reserved)
	}
	if _, err := e.svc.CreateOrders(ctx, buyer, checkout.OrderInput{Items: []checkout.ItemInput{{SKUID: skus[0], Qty: 1}}, Shipping: addr}, nil); err != nil {
		t.Fatalf("the good order alone: %v", err)
	}
	e.checkReserved()
}

// Concurrent one-line orders are coalesced: held in their queues, 40
// orders go in one statement per SKU's shard. Twenty on a SKU with ten
// units cannot all be had, so that batch declines them and the lone path
// sells exactly ten; the twenty on a SKU with plenty are placed by their
// batch. An order whose caller gives up while it is queued is never placed.
func TestBatchCoalescesOrders(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres))
	merchant := e.user("merchant")
	_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 10, 1000, 2000)
	if _, err := e.db.ExecContext(ctx, `UPDATE skus SET stock = 100 WHERE id = $1`, skus[1]); err != nil {
		t.Fatal(err)
	}
	buyers := make([]string, 40)
	for i := range buyers {
		buyers[i] = e.user(fmt.Sprintf("buyer%02d", i))
	}

	queued, release := e.svc.HoldBatches()
	gaveUp, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.svc.CreateOrders(gaveUp, buyers[0], checkout.OrderInput{
		Items: []checkout.ItemInput{{SKUID: skus[1], Qty: 1}}, Shipping: addr}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("order given up while queued: %v, want context.Canceled", err)
	}
	var wg sync.WaitGroup
	orders := make([]checkout.Order, len(buyers))
	errs := make([]error, len(buyers))
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got []checkout.Order
			got, errs[i] = e.svc.CreateOrders(ctx, buyers[i], checkout.OrderInput{
				Items: []checkout.ItemInput{{SKUID: skus[i%2], Qty: 1}}, Shipping: addr}, nil)
			if errs[i] == nil {
				orders[i] = got[0]
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < len(buyers)+1; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d orders queued", queued(), len(buyers)+1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	release()
	wg.Wait()

	statements, placed, declined := e.svc.BatchStats()
	if statements > 2 || placed != 20 || declined != 20 {
		t.Errorf("batches: %d statements placed %d and declined %d, want at most 2 statements placing 20 and declining 20",
			statements, placed, declined)
	}
	sold := map[string]int{}
	for i, err := range errs {
		switch code(err) {
		case "":
			sold[orders[i].Lines[0].SKUID]++
			stored, err := e.svc.Order(ctx, buyers[i], orders[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if jsonOf(t, stored) != jsonOf(t, orders[i]) {
				t.Errorf("order %d as placed differs from as stored", i)
			}
		case "out_of_stock":
		default:
			t.Errorf("order %d: %v", i, err)
		}
	}
	if sold[skus[0]] != 10 || sold[skus[1]] != 20 {
		t.Errorf("sold %d of the 10-unit SKU and %d of the plentiful one, want 10 and 20", sold[skus[0]], sold[skus[1]])
	}
	for sku, want := range map[string]int{skus[0]: 10, skus[1]: 20} {
		if _, reserved := e.stock(sku); reserved != want {
			t.Errorf("SKU %s: reserved %d, want %d", sku, reserved, want)
		}
	}
	e.checkReserved()
}

func keys(m map[int]checkout.Order) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A batch statement whose connection breaks mid-flight has an unknown
// outcome: each of its requests fails (it is neither placed again nor left
// to the lone path, which could place it twice), and the retry with the
// same Idempotency-Key places the order exactly once. Here the statement
// is made to wait on the key's row and its backend is terminated, as a
// failover or a dropped link would.
func TestBatchKilledConnection(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres))
	merchant, buyer := e.user("merchant"), e.user("buyer")
	_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 5, 1000)
	in := checkout.OrderInput{Items: []checkout.ItemInput{{SKUID: skus[0], Qty: 1}}, Shipping: addr}
	claim, _, err := e.svc.ClaimKey(ctx, buyer, "k", "hash")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = 'k' FOR UPDATE`, buyer); err != nil {
		t.Fatal(err)
	}
	statements, placed, declined := e.svc.BatchStats()
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.CreateOrders(ctx, buyer, in, claim)
		done <- err
	}()
	var pid int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		// (Only the batch statement can wait on a lock here; its text is
		// longer than pg_stat_activity keeps.)
		err := e.db.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`).Scan(&pid)
		if err == nil {
			break
		}
		if !errors.Is(err, db.ErrNoRows) || time.Now().After(deadline) {
			t.Fatalf("the batch statement never waited on the key: %v", err)
		}
	}
	if _, err := e.db.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if err == nil || reelmart.AsError(err) != nil {
		t.Fatalf("order on a killed connection: %v, want an internal error", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	s2, p2, d2 := e.svc.BatchStats()
	if s2 != statements+1 || p2 != placed || d2 != declined {
		t.Errorf("stats moved by %d statements, %d placed, %d declined; want 1, 0, 0", s2-statements, p2-placed, d2-declined)
	}
	if _, reserved := e.stock(skus[0]); e.count("orders") != 0 || reserved != 0 {
		t.Fatalf("a killed statement left %d orders, %d reserved", e.count("orders"), reserved)
	}

	// The 500 ends the lease; the retry finds nothing done and places it.
	if err := e.svc.EndLease(ctx, claim); err != nil {
		t.Fatal(err)
	}
	retry, _, err := e.svc.ClaimKey(ctx, buyer, "k", "hash")
	if err != nil || retry.ReadBack() {
		t.Fatalf("retry: %v, read back %v", err, retry.ReadBack())
	}
	if _, err := e.svc.CreateOrders(ctx, buyer, in, retry); err != nil {
		t.Fatal(err)
	}
	if _, reserved := e.stock(skus[0]); e.count("orders") != 1 || reserved != 1 {
		t.Fatalf("after the retry: %d orders, %d reserved; want 1 and 1", e.count("orders"), reserved)
	}
}

// A batch that fails after its commit — the reply lost (an error) or a
// panic in batch.go — fails every request it carried, none of which is
// placed again; each retry with its Idempotency-Key reads back the order
// the batch placed.
func TestBatchFailureAfterCommit(t *testing.T) {
	for _, inject := range []string{"error", "panic"} {
		t.Run(inject, func(t *testing.T) {
			e := newEnv(t, dbtest.Open(t, db.Postgres))
			var armed atomic.Bool
			armed.Store(true)
			e.configure(func(c *checkout.Config) {
				c.AfterCommit = func(_ context.Context, op string) error {
					if op != "batch" || !armed.CompareAndSwap(true, false) {
						return nil
					}
					if inject == "panic" {
						panic("injected after the batch committed")
					}
					return errors.New("injected: the batch's reply was lost")
				}
			})
			merchant := e.user("merchant")
			_, skus := e.product(merchant, e.shop(merchant, "Shop"), 0, 5, 1000)
			in := checkout.OrderInput{Items: []checkout.ItemInput{{SKUID: skus[0], Qty: 1}}, Shipping: addr}
			buyers := []string{e.user("ann"), e.user("bob")}
			claims := make([]*checkout.Claim, len(buyers))
			for i, b := range buyers {
				var err error
				if claims[i], _, err = e.svc.ClaimKey(ctx, b, "k", "hash"); err != nil {
					t.Fatal(err)
				}
			}
			// Both requests queue, then go in one statement.
			queued, release := e.svc.HoldBatches()
			errs := make([]error, len(buyers))
			var wg sync.WaitGroup
			for i, b := range buyers {
				wg.Go(func() { _, errs[i] = e.svc.CreateOrders(ctx, b, in, claims[i]) })
			}
			for deadline := time.Now().Add(10 * time.Second); queued() < len(buyers); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d orders queued", queued(), len(buyers))
				}
			}
			release()
			wg.Wait()
			statements, placed, declined := e.svc.BatchStats()
			if statements != 1 || placed != 0 || declined != 0 {
				t.Errorf("%d statements, %d placed, %d declined; want one statement whose orders are neither", statements, placed, declined)
			}
			for i, err := range errs {
				if err == nil || reelmart.AsError(err) != nil {
					t.Errorf("request %d: %v, want an internal error", i, err)
				}
			}
			// The statement did commit: both orders exist, once.
			if _, reserved := e.stock(skus[0]); e.count("orders") != 2 || reserved != 2 {
				t.Fatalf("%d orders, %d reserved; want 2 and 2", e.count("orders"), reserved)
			}
			for i, b := range buyers {
				if err := e.svc.EndLease(ctx, claims[i]); err != nil {
					t.Fatal(err)
				}
				retry, _, err := e.svc.ClaimKey(ctx, b, "k", "hash")
				if err != nil || !retry.ReadBack() {
					t.Fatalf("retry %d: %v, read back %v", i, err, retry.ReadBack())
				}
				orders, err := e.svc.CreateOrders(ctx, b, in, retry)
				if err != nil || len(orders) != 1 || orders[0].BuyerID != b {
					t.Fatalf("retry %d: %+v %v", i, orders, err)
				}
			}
			if _, reserved := e.stock(skus[0]); e.count("orders") != 2 || reserved != 2 {
				t.Fatalf("after the retries: %d orders, %d reserved; want 2 and 2", e.count("orders"), reserved)
			}
			e.checkReserved()
		})
	}
}
