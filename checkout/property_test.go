package checkout_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// TestLedgerProperties replays a random but seeded sequence of top-ups,
// orders, payments, shipments, completions, cancellations, refunds and
// expiries, and after every step checks that every ledger transaction sums
// to zero, no wallet is negative, each wallet holds what a simple model
// says it should, and each SKU's stock plus units sold is what it started
// with (with live reservations never above stock). Set
// CHECKOUT_PROPERTY_SEED to replay a failure; CHECKOUT_PROPERTY_STEPS to
// run longer.
func TestLedgerProperties(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHECKOUT_PROPERTY_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 300
	if s := os.Getenv("CHECKOUT_PROPERTY_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		t.Logf("seed %d (CHECKOUT_PROPERTY_SEED=%d to replay), %d steps", seed, seed, steps)
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		e := newEnv(t, d)
		merchants := []string{e.user("m0"), e.user("m1")}
		shops := []string{e.shop(merchants[0], "S0"), e.shop(merchants[1], "S1")}
		buyers := []string{e.user("b0"), e.user("b1"), e.user("b2")}
		videos := []string{e.video(buyers[0]), e.video(e.user("creator"))}
		initial := map[string]int{}
		var skus []string
		for i, shop := range shops {
			product, ids := e.product(merchants[i], shop, 1500*(i+1), 25, 700, 1900)
			e.pin(videos[1], product)
			if i == 0 {
				e.pin(videos[0], product)
			}
			for _, id := range ids {
				initial[id] = 25
				skus = append(skus, id)
			}
		}
		wallet := map[string]int64{}
		var orders []checkout.Order
		counts := map[string]int{}
		owner := func(o checkout.Order) string {
			for i, s := range shops {
				if s == o.ShopID {
					return merchants[i]
				}
			}
			panic("no shop")
		}
		pick := func() *checkout.Order {
			if len(orders) == 0 {
				return nil
			}
			// Mostly recent orders, so lifecycles get far.
			if n := len(orders); rng.IntN(4) > 0 && n > 4 {
				return &orders[n-1-rng.IntN(4)]
			}
			return &orders[rng.IntN(len(orders))]
		}
		// pickIn mostly picks an order in one of states, sometimes any
		// order, so both legal and illegal transitions are tried.
		pickIn := func(states ...checkout.State) *checkout.Order {
			if rng.IntN(4) > 0 {
				var in []int
				for i, o := range orders {
					for _, st := range states {
						if o.State == st {
							in = append(in, i)
						}
					}
				}
				if len(in) > 0 {
					return &orders[in[rng.IntN(len(in))]]
				}
			}
			return pick()
		}
		// refresh reloads an order after an operation that may have changed it.
		refresh := func(o *checkout.Order) {
			n, err := e.svc.Order(ctx, o.BuyerID, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			*o = n
		}
		expectDomain := func(op string, err error) {
			if err != nil && reelmart.AsError(err) == nil {
				t.Fatalf("%s: internal error %v", op, err)
			}
		}
		for step := 0; step < steps; step++ {
			var op string
			switch r := rng.IntN(100); {
			case r < 12:
				op = "topup"
				b := buyers[rng.IntN(len(buyers))]
				amt := int64(1 + rng.IntN(20000))
				if _, err := e.svc.TopUp(ctx, b, checkout.Money{AmountMinor: amt}, nil); err != nil {
					t.Fatalf("step %d topup: %v", step, err)
				}
				wallet[b] += amt
			case r < 40:
				op = "order"
				b := buyers[rng.IntN(len(buyers))]
				var items []checkout.ItemInput
				for _, i := range rng.Perm(len(skus))[:1+rng.IntN(2)] {
					it := checkout.ItemInput{SKUID: skus[i], Qty: 1 + rng.IntN(3)}
					if rng.IntN(2) == 0 {
						it.SourceVideoID = vid(videos[rng.IntN(len(videos))])
					}
					items = append(items, it)
				}
				got, err := e.svc.CreateOrders(ctx, b, checkout.OrderInput{Items: items, Shipping: addr}, nil)
				expectDomain(op, err)
				if err != nil && code(err) != "out_of_stock" {
					t.Fatalf("step %d order: %v", step, err)
				}
				orders = append(orders, got...)
				op += ":" + code(err)
			case r < 62:
				op = "pay"
				o := pickIn(checkout.StatePendingPayment)
				if o == nil {
					continue
				}
				before := o.State
				_, err := e.svc.Pay(ctx, o.BuyerID, o.ID, "wallet", nil)
				expectDomain(op, err)
				refresh(o)
				switch c := code(err); {
				case c == "":
					wallet[o.BuyerID] -= o.Total.AmountMinor
				case c == "insufficient_funds":
					if wallet[o.BuyerID] >= o.Total.AmountMinor {
						t.Fatalf("step %d: 402 with %d in the wallet for %d", step, wallet[o.BuyerID], o.Total.AmountMinor)
					}
				case c == "illegal_transition" && before != checkout.StatePendingPayment:
				case c == "order_expired" && o.State == checkout.StateCancelled:
				default:
					t.Fatalf("step %d pay from %s: %v", step, before, err)
				}
				op += ":" + code(err)
			case r < 70:
				op = "ship"
				if o := pickIn(checkout.StatePaid); o != nil {
					_, err := e.svc.Ship(ctx, owner(*o), o.ID, checkout.Shipment{Carrier: "UPS", Tracking: "T"})
					expectDomain(op, err)
					refresh(o)
					op += ":" + code(err)
				}
			case r < 76:
				op = "complete"
				if o := pickIn(checkout.StateShipped); o != nil {
					_, err := e.svc.Complete(ctx, o.BuyerID, o.ID)
					expectDomain(op, err)
					refresh(o)
					op += ":" + code(err)
				}
			case r < 86:
				op = "cancel"
				if o := pick(); o != nil {
					before := o.State
					actor := o.BuyerID
					if rng.IntN(2) == 0 {
						actor = owner(*o)
					}
					_, err := e.svc.Cancel(ctx, actor, o.ID)
					expectDomain(op, err)
					refresh(o)
					if err == nil && before == checkout.StatePaid {
						wallet[o.BuyerID] += o.Total.AmountMinor
					}
					op += ":" + code(err)
				}
			case r < 93:
				op = "refund"
				if o := pickIn(checkout.StatePaid, checkout.StateShipped); o != nil {
					before := o.State
					_, err := e.svc.Refund(ctx, owner(*o), o.ID, nil)
					expectDomain(op, err)
					refresh(o)
					if err == nil {
						if before != checkout.StatePaid && before != checkout.StateShipped {
							t.Fatalf("step %d: refunded an order that was %s", step, before)
						}
						wallet[o.BuyerID] += o.Total.AmountMinor
					}
					op += ":" + code(err)
				}
			default:
				op = "expire"
				e.clock.add(time.Duration(rng.IntN(9)) * time.Minute)
				if _, err := e.svc.Sweep(ctx); err != nil {
					t.Fatalf("step %d sweep: %v", step, err)
				}
				for i := range orders {
					refresh(&orders[i])
				}
			}
			counts[op]++
			e.checkLedger()
			for _, b := range buyers {
				if got := e.balance("wallet:" + b); got != wallet[b] {
					t.Fatalf("step %d (%s): wallet %d, model says %d", step, op, got, wallet[b])
				}
			}
			e.checkStock(initial, fmt.Sprintf("step %d (%s)", step, op))
			e.checkCommissions(fmt.Sprintf("step %d (%s)", step, op))
		}
		t.Logf("operations: %v", counts)
	})
}

// checkStock fails unless each SKU's stock plus units sold (lines of paid,
// shipped and completed orders) equals its initial stock, and its reserved
// count is exactly the lines of the orders awaiting payment and fits in
// the stock.
func (e *env) checkStock(initial map[string]int, at string) {
	e.t.Helper()
	for sku, want := range initial {
		var stock, sold, reserved, pending int
		err := e.db.QueryRowContext(ctx, `SELECT stock,
			COALESCE((SELECT SUM(l.qty) FROM order_lines l JOIN orders o ON o.id = l.order_id
				WHERE l.sku_id = $1 AND o.state IN ('paid', 'shipped', 'completed')), 0),
			reserved,
			COALESCE((SELECT SUM(l.qty) FROM order_lines l JOIN orders o ON o.id = l.order_id
				WHERE l.sku_id = $1 AND o.state = 'pending_payment'), 0)
			FROM skus WHERE id = $1`, sku).Scan(&stock, &sold, &reserved, &pending)
		if err != nil {
			e.t.Fatal(err)
		}
		if stock < 0 || stock+sold != want || reserved > stock || reserved != pending {
			e.t.Fatalf("%s: sku %s stock %d + sold %d != %d, or reserved %d > stock, or reserved %d != pending lines %d",
				at, sku, stock, sold, want, reserved, reserved, pending)
		}
	}
}

// checkCommissions fails unless the pending and settled commission accounts
// hold exactly the commission of the lines of paid or shipped, and of
// completed, orders.
func (e *env) checkCommissions(at string) {
	e.t.Helper()
	var pending, settled, wantPending, wantSettled int64
	err := e.db.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT SUM(balance_minor) FROM ledger_accounts WHERE kind = 'commission_pending'), 0),
		COALESCE((SELECT SUM(balance_minor) FROM ledger_accounts WHERE kind = 'commission'), 0),
		COALESCE((SELECT SUM(l.commission_minor) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.state IN ('paid', 'shipped')), 0),
		COALESCE((SELECT SUM(l.commission_minor) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.state = 'completed'), 0)`).
		Scan(&pending, &settled, &wantPending, &wantSettled)
	if err != nil {
		e.t.Fatal(err)
	}
	if pending != wantPending || settled != wantSettled {
		e.t.Fatalf("%s: commissions pending %d settled %d, orders say %d and %d", at, pending, settled, wantPending, wantSettled)
	}
}
