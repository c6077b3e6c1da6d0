package checkout_test

import (
	"testing"

	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// The whole journey: order from a video, pay, ship, complete, with the
// ledger legs and the commission at each step.
func TestJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, buyer, creator := e.user("merchant"), e.user("buyer"), e.user("creator")
		shop := e.shop(merchant, "Shop")
		product, skus := e.product(merchant, shop, 1000, 10, 2500) // 10% commission
		video := e.video(creator)
		e.pin(video, product)
		e.topUp(buyer, 10_000)

		orders := e.order(buyer, checkout.ItemInput{SKUID: skus[0], Qty: 2, SourceVideoID: vid(video)})
		if len(orders) != 1 || orders[0].Total.AmountMinor != 5000 || orders[0].State != checkout.StatePendingPayment {
			t.Fatalf("orders = %+v", orders)
		}
		id := orders[0].ID
		if st, res := e.stock(skus[0]); st != 10 || res != 2 {
			t.Fatalf("stock %d reserved %d after order", st, res)
		}
		o, err := e.svc.Pay(ctx, buyer, id, "wallet", nil)
		if err != nil {
			t.Fatal(err)
		}
		if o.State != checkout.StatePaid {
			t.Fatalf("state %s", o.State)
		}
		if _, err := e.svc.Pay(ctx, buyer, id, "wallet", nil); code(err) != "illegal_transition" {
			t.Fatalf("second pay: %v", err)
		}
		if st, res := e.stock(skus[0]); st != 8 || res != 0 {
			t.Fatalf("stock %d reserved %d after payment", st, res)
		}
		if b := e.balance("wallet:" + buyer); b != 5000 {
			t.Fatalf("wallet %d", b)
		}
		if b := e.balance("commission_pending:" + creator); b != 500 {
			t.Fatalf("pending commission %d", b)
		}
		if b := e.balance("platform_fee"); b != 250 {
			t.Fatalf("fee %d", b)
		}
		if b := e.balance("receivable:" + shop); b != 4250 {
			t.Fatalf("receivable %d", b)
		}
		if _, err := e.svc.Complete(ctx, buyer, id); code(err) != "illegal_transition" {
			t.Fatalf("complete before ship: %v", err)
		}
		if _, err := e.svc.Ship(ctx, buyer, id, checkout.Shipment{Carrier: "UPS", Tracking: "1Z"}); code(err) != "not_shop_owner" {
			t.Fatalf("buyer ships: %v", err)
		}
		if _, err := e.svc.Ship(ctx, merchant, id, checkout.Shipment{Carrier: "UPS", Tracking: "1Z"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(ctx, buyer, id); code(err) != "illegal_transition" {
			t.Fatalf("cancel after shipping: %v", err)
		}
		o, err = e.svc.Complete(ctx, buyer, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Events) != 4 || o.Events[3].ActorID != buyer || o.Events[2].ActorID != merchant {
			t.Fatalf("events %+v", o.Events)
		}
		if p, s := e.balance("commission_pending:"+creator), e.balance("commission:"+creator); p != 0 || s != 500 {
			t.Fatalf("commission pending %d settled %d", p, s)
		}
		earn, err := e.svc.Earnings(ctx, creator)
		if err != nil {
			t.Fatal(err)
		}
		if earn.Settled.AmountMinor != 500 || len(earn.Videos) != 1 || earn.Videos[0].Purchases != 1 || earn.Videos[0].Units != 2 ||
			earn.Videos[0].Revenue.AmountMinor != 5000 || earn.Videos[0].Settled.AmountMinor != 500 {
			t.Fatalf("earnings %+v", earn)
		}
		if _, err := e.svc.Refund(ctx, merchant, id, nil); code(err) != "illegal_transition" {
			t.Fatalf("refund after completion: %v", err)
		}
		e.checkLedger()
	})
}
