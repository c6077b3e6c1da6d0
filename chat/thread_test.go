package chat_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestOneThreadPerPair(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana, bo, cy := e.user("ana"), e.user("bo"), e.user("cy")
		th, created := e.open(ana, user(bo), nil)
		if !created || th.Kind != chat.KindUser || th.Peer.ID != bo || th.Peer.Name != "User bo" || th.Peer.Handle != "bo" || th.LastMessage != nil {
			t.Fatalf("first open: created=%v %+v", created, th)
		}
		if th.Peer.AvatarURL != nil {
			t.Fatalf("peer without an avatar shows %q", *th.Peer.AvatarURL)
		}
		// Once the peer has an avatar, the thread list shows it.
		if _, err := d.Exec(`UPDATE users SET avatar_id = 'av1' WHERE id = $1`, bo); err != nil {
			t.Fatal(err)
		}
		list, err := e.chat.Threads(ctx, ana, "", 10)
		want := "http://reelmart.test/api/v1/users/" + bo + "/avatars/av1/" + account.AvatarDisplay
		if err != nil || len(list.Items) != 1 || list.Items[0].Peer.AvatarURL == nil || *list.Items[0].Peer.AvatarURL != want {
			t.Fatalf("threads after the peer set an avatar: %+v, %v; want avatar_url %s", list.Items, err, want)
		}
		again, created := e.open(bo, user(ana), nil)
		if created || again.ID != th.ID || again.Peer.ID != ana {
			t.Fatalf("open from the other side: created=%v %+v, want thread %s with peer ana", created, again, th.ID)
		}
		// The new thread is an inbox event of both members, and only of them.
		for _, u := range []string{ana, bo} {
			if evs := e.inbox(u); len(evs) != 1 || evs[0].Type != chat.EventThread || evs[0].Seq != 1 || evs[0].Thread.ID != th.ID {
				t.Fatalf("inbox of %s = %+v", u, evs)
			}
		}
		if evs := e.inbox(cy); len(evs) != 0 {
			t.Fatalf("bystander's inbox = %+v", evs)
		}
		// Many first opens of one new pair at once make one thread.
		var wg sync.WaitGroup
		ids := make(chan string, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				from, to := ana, cy
				if i%2 == 1 {
					from, to = cy, ana
				}
				th, _, err := e.chat.Open(ctx, from, chat.ThreadInput{Peer: user(to)})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- th.ID
			}(i)
		}
		wg.Wait()
		close(ids)
		first := ""
		for id := range ids {
			if first == "" {
				first = id
			}
			if id != first {
				t.Fatalf("concurrent opens made threads %s and %s", first, id)
			}
		}
		if n := len(e.inbox(cy)); n != 1 {
			t.Fatalf("cy's inbox has %d events after concurrent opens, want 1 thread event", n)
		}

		for _, tc := range []struct {
			in    chat.ThreadInput
			code  string
			field string
		}{
			{chat.ThreadInput{Peer: user(ana)}, "validation_failed", "peer.id"},
			{chat.ThreadInput{Peer: chat.Ref{Type: "group", ID: bo}}, "validation_failed", "peer.type"},
			{chat.ThreadInput{Peer: user("")}, "validation_failed", "peer.id"},
			{chat.ThreadInput{Peer: user("nobody")}, "user_not_found", ""},
			{chat.ThreadInput{Peer: shop("nowhere")}, "shop_not_found", ""},
			{chat.ThreadInput{Peer: user(bo), Context: &chat.Ref{Type: "coupon", ID: "x"}}, "validation_failed", "context.type"},
		} {
			_, _, err := e.chat.Open(ctx, ana, tc.in)
			if code(err) != tc.code || (tc.field != "" && strings.Join(fields(err), ",") != tc.field) {
				t.Errorf("Open(%+v) = %v, want %s on %q", tc.in, err, tc.code, tc.field)
			}
		}
	})
}

func TestShopThreadAndCards(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		owner, buyer, other := e.user("owner"), e.user("buyer"), e.user("other")
		shopID, productID := e.shop(owner, "Tees", 5)
		if _, _, err := e.chat.Open(ctx, owner, chat.ThreadInput{Peer: shop(shopID)}); strings.Join(fields(err), ",") != "peer.id" {
			t.Fatalf("owner opening their own shop: %v", err)
		}
		product := &chat.Ref{Type: chat.CardProduct, ID: productID}
		th, created := e.open(buyer, shop(shopID), product)
		if !created || th.Kind != chat.KindShop || th.Peer.Type != chat.KindShop || th.Peer.Name != "Tees" || th.ShopID == nil || *th.ShopID != shopID {
			t.Fatalf("buyer's shop thread: %+v", th)
		}
		if m := th.LastMessage; m == nil || m.Kind != chat.KindCard || m.Seq != 1 || m.SenderID != buyer {
			t.Fatalf("context card: %+v", th.LastMessage)
		}
		var pc chat.ProductCard
		if err := json.Unmarshal(th.LastMessage.Card, &pc); err != nil || pc.ID != productID || pc.Title != "Tees tee" ||
			pc.PriceMin.AmountMinor != 1999 || !pc.InStock || pc.StockAvailable != 5 || pc.ShopName != "Tees" {
			t.Fatalf("product card %s: %v", th.LastMessage.Card, err)
		}
		// The same context again adds nothing; the owner sees the buyer as the peer.
		again, _ := e.open(buyer, shop(shopID), product)
		if again.LastSeq != 1 {
			t.Fatalf("the same context twice: last_seq %d, want 1", again.LastSeq)
		}
		ownerView, err := e.chat.Thread(ctx, owner, th.ID)
		if err != nil || ownerView.Peer.Type != chat.KindUser || ownerView.Peer.ID != buyer || ownerView.UnreadCount != 1 {
			t.Fatalf("owner's view: %+v, %v", ownerView, err)
		}
		// The owner's reply is the shop's.
		reply := e.send(owner, th.ID, "r1", "yes, it's cotton")
		if reply.ShopID == nil || *reply.ShopID != shopID {
			t.Fatalf("owner's reply: %+v", reply)
		}

		// An order card: only in the shop thread of that order's buyer, never with shipping.
		o := e.order(buyer, productID)
		orderRef := &chat.Ref{Type: chat.CardOrder, ID: o.ID}
		m, _, err := e.chat.Send(ctx, buyer, th.ID, chat.MessageInput{ClientMsgID: "o1", Card: orderRef}, chat.ViaHTTP)
		if err != nil {
			t.Fatal(err)
		}
		var oc map[string]any
		_ = json.Unmarshal(m.Card, &oc)
		if oc["status"] != "pending_payment" || oc["item_count"] != float64(1) || oc["title"] != "Tees tee" {
			t.Fatalf("order card: %s", m.Card)
		}
		for _, secret := range []string{"Secret Name", "Hidden Street", "12345", "5550100", "shipping"} {
			if strings.Contains(string(m.Card), secret) {
				t.Fatalf("order card leaks %q: %s", secret, m.Card)
			}
		}
		userThread, _ := e.open(buyer, user(other), nil)
		if _, _, err := e.chat.Send(ctx, buyer, userThread.ID, chat.MessageInput{ClientMsgID: "o2", Card: orderRef}, chat.ViaHTTP); strings.Join(fields(err), ",") != "card.id" {
			t.Fatalf("order card in a user thread: %v", err)
		}
		// Someone else's order is not theirs to see.
		otherShopThread, _ := e.open(other, shop(shopID), nil)
		if _, _, err := e.chat.Send(ctx, other, otherShopThread.ID, chat.MessageInput{ClientMsgID: "o3", Card: orderRef}, chat.ViaHTTP); strings.Join(fields(err), ",") != "card.id" {
			t.Fatalf("another buyer's order card: %v", err)
		}
		// The owner opens the buyer's shop thread from the order.
		fromOrder, created := e.open(owner, user(buyer), orderRef)
		if created || fromOrder.ID != th.ID || fromOrder.Peer.ID != buyer {
			t.Fatalf("owner from the order: created=%v %+v, want thread %s", created, fromOrder, th.ID)
		}

		// A draft product is seen by its owner only; a video card snapshots the video.
		sku, stock := "D", 1
		draft, err := e.catalog.CreateProduct(ctx, owner, catalogDraft(shopID, &sku, 100, &stock))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.chat.Open(ctx, buyer, chat.ThreadInput{Peer: shop(shopID), Context: &chat.Ref{Type: chat.CardProduct, ID: draft.ID}}); strings.Join(fields(err), ",") != "context.id" {
			t.Fatalf("a draft as context: %v", err)
		}
		vid := e.video(other)
		vm, _, err := e.chat.Send(ctx, buyer, userThread.ID, chat.MessageInput{ClientMsgID: "v1", Card: &chat.Ref{Type: chat.CardVideo, ID: vid}}, chat.ViaHTTP)
		var vc chat.VideoCard
		if err != nil || json.Unmarshal(vm.Card, &vc) != nil || vc.ID != vid || vc.Caption != "look" || vc.Creator.ID != other {
			t.Fatalf("video card %s: %v", vm.Card, err)
		}
	})
}
