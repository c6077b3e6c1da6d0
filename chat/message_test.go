package chat_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// Concurrent senders in one thread get seqs 1..n with no gap or repeat, and
// each member's inbox is gapless too.
func TestConcurrentSendersGetGaplessSeqs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{SendLimit: 1000})
		ana, bo := e.user("ana"), e.user("bo")
		th, _ := e.open(ana, user(bo), nil)
		const senders, each = 6, 10
		var wg sync.WaitGroup
		for i := 0; i < senders; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				from := []string{ana, bo}[i%2]
				for j := 0; j < each; j++ {
					body := fmt.Sprintf("%d-%d", i, j)
					if _, _, err := e.chat.Send(ctx, from, th.ID, chat.MessageInput{ClientMsgID: "c" + body, Body: &body}, chat.ViaHTTP); err != nil {
						t.Error(err)
					}
				}
			}(i)
		}
		wg.Wait()
		page, err := e.chat.Messages(ctx, ana, th.ID, 0, 200)
		if err != nil || len(page.Items) != senders*each {
			t.Fatalf("history: %d messages, %v", len(page.Items), err)
		}
		for i, m := range page.Items {
			if want := int64(senders*each - i); m.Seq != want {
				t.Fatalf("message %d has seq %d, want %d", i, m.Seq, want)
			}
		}
		// Each sender's own messages are in the order they sent them.
		last := map[string]int{}
		for i := len(page.Items) - 1; i >= 0; i-- {
			var g, j int
			fmt.Sscanf(*page.Items[i].Body, "%d-%d", &g, &j)
			if prev, ok := last[fmt.Sprint(g)]; ok && j != prev+1 {
				t.Fatalf("sender %d: message %d after %d", g, j, prev)
			}
			last[fmt.Sprint(g)] = j
		}
		for _, u := range []string{ana, bo} {
			evs := e.inbox(u)
			if len(evs) != 1+senders*each {
				t.Fatalf("inbox of %s has %d events", u, len(evs))
			}
			for i, ev := range evs {
				if ev.Seq != int64(i+1) {
					t.Fatalf("inbox of %s: event %d has seq %d", u, i, ev.Seq)
				}
			}
		}
	})
}

func TestIdempotentSend(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana, bo := e.user("ana"), e.user("bo")
		th, _ := e.open(ana, user(bo), nil)
		first := e.send(ana, th.ID, "same-id", "hello")
		body := "hello again?"
		retry, created, err := e.chat.Send(ctx, ana, th.ID, chat.MessageInput{ClientMsgID: "same-id", Body: &body}, chat.ViaHTTP)
		if err != nil || created || retry.ID != first.ID || *retry.Body != "hello" {
			t.Fatalf("retry = %+v created=%v %v; want the stored message", retry, created, err)
		}
		// Concurrent sends of one new id store one message.
		var wg sync.WaitGroup
		ids := make(chan string, 10)
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := "racing"
				m, _, err := e.chat.Send(ctx, bo, th.ID, chat.MessageInput{ClientMsgID: "race", Body: &b}, chat.ViaHTTP)
				if err != nil {
					t.Error(err)
					return
				}
				ids <- m.ID
			}()
		}
		wg.Wait()
		close(ids)
		var got []string
		for id := range ids {
			got = append(got, id)
		}
		for _, id := range got {
			if id != got[0] {
				t.Fatalf("concurrent retries returned different messages: %v", got)
			}
		}
		page, _ := e.chat.Messages(ctx, ana, th.ID, 0, 50)
		if len(page.Items) != 2 || page.Items[0].Seq != 2 {
			t.Fatalf("history after retries: %+v", page.Items)
		}
		// The same client id from the other member is another message.
		other := e.send(bo, th.ID, "same-id", "mine")
		if other.ID == first.ID || other.Seq != 3 {
			t.Fatalf("the peer's same client id: %+v", other)
		}
		if n := len(e.inbox(ana)); n != 4 { // thread + 3 messages
			t.Fatalf("ana's inbox has %d events, want 4", n)
		}
	})
}

func TestMessageValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana, bo := e.user("ana"), e.user("bo")
		th, _ := e.open(ana, user(bo), nil)
		str := func(s string) *string { return &s }
		for _, tc := range []struct {
			in     chat.MessageInput
			fields string
		}{
			{chat.MessageInput{ClientMsgID: "a", Body: str("")}, "body"},
			{chat.MessageInput{ClientMsgID: "a", Body: str(strings.Repeat("é", 4001))}, "body"},
			{chat.MessageInput{ClientMsgID: "a"}, "body"},
			{chat.MessageInput{ClientMsgID: "a", Body: str("x"), Card: &chat.Ref{Type: "product", ID: "p"}}, "card"},
			{chat.MessageInput{ClientMsgID: "", Body: str("x")}, "client_msg_id"},
			{chat.MessageInput{ClientMsgID: "has space", Body: str("x")}, "client_msg_id"},
			{chat.MessageInput{ClientMsgID: strings.Repeat("a", 65), Body: str("x")}, "client_msg_id"},
			{chat.MessageInput{ClientMsgID: "a", Card: &chat.Ref{Type: "sticker", ID: "p"}}, "card.type"},
			{chat.MessageInput{ClientMsgID: "a", Card: &chat.Ref{Type: "product", ID: "missing"}}, "card.id"},
		} {
			_, _, err := e.chat.Send(ctx, ana, th.ID, tc.in, chat.ViaHTTP)
			if code(err) != "validation_failed" || strings.Join(fields(err), ",") != tc.fields {
				t.Errorf("Send(%+v) = %v, want validation_failed on %s", tc.in, err, tc.fields)
			}
		}
		// 4,000 code points of four bytes each, and text that looks like HTML, are stored as given.
		long := strings.Repeat("😀", 4000)
		m := e.send(ana, th.ID, "long", long)
		html := e.send(ana, th.ID, "html", "  <script>alert(1)</script>  ")
		page, _ := e.chat.Messages(ctx, bo, th.ID, 0, 10)
		if len(page.Items) != 2 || *page.Items[1].Body != long || m.Seq != 1 || *page.Items[0].Body != *html.Body || *html.Body != "  <script>alert(1)</script>  " {
			t.Fatalf("stored %d messages; bodies not as given", len(page.Items))
		}
	})
}

func TestReadMarksAndUnread(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana, bo, cy := e.user("ana"), e.user("bo"), e.user("cy")
		ab, _ := e.open(ana, user(bo), nil)
		ac, _ := e.open(ana, user(cy), nil)
		for i := 0; i < 3; i++ {
			e.send(bo, ab.ID, fmt.Sprint("b", i), "hi")
		}
		e.send(cy, ac.ID, "c0", "hey")
		e.send(ana, ac.ID, "a0", "hey yourself") // moves ana's mark in ac to 2
		if n, _ := e.chat.Unread(ctx, ana); n != 3 {
			t.Fatalf("ana's unread = %d, want 3", n)
		}
		st, err := e.chat.MarkRead(ctx, ana, ab.ID, 2)
		if err != nil || st.ReadSeq != 2 || st.UnreadCount != 1 {
			t.Fatalf("read to 2: %+v, %v", st, err)
		}
		before := len(e.inbox(bo))
		if st, _ := e.chat.MarkRead(ctx, ana, ab.ID, 1); st.ReadSeq != 2 {
			t.Fatalf("a lower mark moved it back: %+v", st)
		}
		if n := len(e.inbox(bo)); n != before {
			t.Fatalf("an unmoved mark made %d events", n-before)
		}
		if _, err := e.chat.MarkRead(ctx, ana, ab.ID, 4); strings.Join(fields(err), ",") != "seq" {
			t.Fatalf("past the last message: %v", err)
		}
		evs := e.inbox(bo)
		last := evs[len(evs)-1]
		if last.Type != chat.EventRead || last.UserID != ana || *last.ReadSeq != 2 || last.ThreadID != ab.ID {
			t.Fatalf("bo's last event: %+v", last)
		}
		bv, _ := e.chat.Thread(ctx, bo, ab.ID)
		if bv.PeerReadSeq != 2 || bv.UnreadCount != 0 {
			t.Fatalf("bo's view: %+v", bv)
		}
		if n, _ := e.chat.Unread(ctx, ana); n != 1 {
			t.Fatalf("ana's unread = %d, want 1", n)
		}
		page, err := e.chat.Threads(ctx, ana, "", 1)
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != ac.ID || page.NextCursor == "" {
			t.Fatalf("first page of threads: %+v, %v", page, err)
		}
		next, err := e.chat.Threads(ctx, ana, page.NextCursor, 1)
		if err != nil || len(next.Items) != 1 || next.Items[0].ID != ab.ID || next.NextCursor != "" {
			t.Fatalf("second page: %+v, %v", next, err)
		}
		if _, err := e.chat.Threads(ctx, ana, "garbage!", 1); strings.Join(fields(err), ",") != "cursor" {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestStrangersGetNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana, bo, eve := e.user("ana"), e.user("bo"), e.user("eve")
		th, _ := e.open(ana, user(bo), nil)
		e.send(ana, th.ID, "1", "private")
		body := "let me in"
		_, _, sendErr := e.chat.Send(ctx, eve, th.ID, chat.MessageInput{ClientMsgID: "x", Body: &body}, chat.ViaHTTP)
		_, histErr := e.chat.Messages(ctx, eve, th.ID, 0, 10)
		_, readErr := e.chat.MarkRead(ctx, eve, th.ID, 1)
		_, viewErr := e.chat.Thread(ctx, eve, th.ID)
		_, _, missingErr := e.chat.Send(ctx, ana, "no-such-thread", chat.MessageInput{ClientMsgID: "x", Body: &body}, chat.ViaHTTP)
		for name, err := range map[string]error{"send": sendErr, "history": histErr, "read": readErr, "view": viewErr, "missing": missingErr} {
			if code(err) != "thread_not_found" {
				t.Errorf("%s: %v, want thread_not_found", name, err)
			}
		}
		if page, _ := e.chat.Messages(ctx, ana, th.ID, 0, 10); len(page.Items) != 1 {
			t.Fatalf("a stranger's send was stored: %d messages", len(page.Items))
		}
	})
}

func TestBlocksStopThreadsAndMessages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana, bo, owner := e.user("ana"), e.user("bo"), e.user("owner")
		shopID, _ := e.shop(owner, "Caps", 1)
		th, _ := e.open(ana, user(bo), nil)
		st, _ := e.open(ana, shop(shopID), nil)
		if err := e.accounts.Block(ctx, bo, ana); err != nil {
			t.Fatal(err)
		}
		if err := e.accounts.Block(ctx, owner, ana); err != nil {
			t.Fatal(err)
		}
		body := "hello?"
		for _, tc := range []struct{ from, thread string }{{ana, th.ID}, {bo, th.ID}, {ana, st.ID}, {owner, st.ID}} {
			if _, _, err := e.chat.Send(ctx, tc.from, tc.thread, chat.MessageInput{ClientMsgID: "x", Body: &body}, chat.ViaHTTP); code(err) != "blocked" {
				t.Errorf("send while blocked: %v", err)
			}
		}
		if _, _, err := e.chat.Open(ctx, ana, chat.ThreadInput{Peer: user(bo)}); code(err) != "blocked" {
			t.Errorf("open while blocked: %v", err)
		}
		if _, _, err := e.chat.Open(ctx, ana, chat.ThreadInput{Peer: shop(shopID)}); code(err) != "blocked" {
			t.Errorf("open a blocking owner's shop: %v", err)
		}
		// History stays readable; unblocking lets them talk again.
		if _, err := e.chat.Messages(ctx, ana, th.ID, 0, 10); err != nil {
			t.Fatal(err)
		}
		if err := e.accounts.Unblock(ctx, bo, ana); err != nil {
			t.Fatal(err)
		}
		e.send(ana, th.ID, "after", "friends again")
	})
}

func TestSendRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{SendLimit: 3, SendWindow: 10 * time.Second})
		ana, bo := e.user("ana"), e.user("bo")
		th, _ := e.open(ana, user(bo), nil)
		for i := 0; i < 3; i++ {
			e.send(ana, th.ID, fmt.Sprint("m", i), "spam?")
		}
		body := "one too many"
		_, _, err := e.chat.Send(ctx, ana, th.ID, chat.MessageInput{ClientMsgID: "m3", Body: &body}, chat.ViaHTTP)
		re := reelmart.AsError(err)
		if re == nil || re.Code != "rate_limited" || re.RetryAfter <= 0 || re.RetryAfter > 10*time.Second {
			t.Fatalf("4th send: %#v", err)
		}
		// A retry of a stored message is answered, and the peer has a window of their own.
		if _, created, err := e.chat.Send(ctx, ana, th.ID, chat.MessageInput{ClientMsgID: "m0", Body: &body}, chat.ViaHTTP); err != nil || created {
			t.Fatalf("retry while limited: created=%v %v", created, err)
		}
		e.send(bo, th.ID, "b0", "I can talk")
		e.clock.add(10 * time.Second)
		e.send(ana, th.ID, "m4", "the window moved on")
		page, _ := e.chat.Messages(ctx, bo, th.ID, 0, 50)
		if len(page.Items) != 5 {
			t.Fatalf("%d messages stored, want 5 (the refused one is not)", len(page.Items))
		}
	})
}

func TestHistoryPagesBackwards(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana, bo := e.user("ana"), e.user("bo")
		th, _ := e.open(ana, user(bo), nil)
		for i := 1; i <= 7; i++ {
			e.send(ana, th.ID, fmt.Sprint(i), fmt.Sprint("m", i))
		}
		var seqs []int64
		var before int64
		pages := 0
		for {
			page, err := e.chat.Messages(ctx, bo, th.ID, before, 3)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, m := range page.Items {
				seqs = append(seqs, m.Seq)
			}
			if page.NextCursor == "" {
				break
			}
			fmt.Sscan(page.NextCursor, &before)
		}
		if fmt.Sprint(seqs) != "[7 6 5 4 3 2 1]" || pages != 3 {
			t.Fatalf("pages gave %v in %d pages", seqs, pages)
		}
	})
}

// A deleted account leaves the other side's thread readable, shown as deleted.
func TestDeletedPeer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, chat.Config{})
		ana := e.user("ana")
		u, _, err := e.accounts.Register(ctx, accountReg("leaver"), accountClient())
		if err != nil {
			t.Fatal(err)
		}
		th, _ := e.open(ana, user(u.ID), nil)
		e.send(u.ID, th.ID, "1", "goodbye")
		ex, err := e.chat.Export(ctx, u.ID)
		if err != nil || len(ex.Threads) != 1 || len(ex.Threads[0].Messages) != 1 {
			t.Fatalf("export before delete: %+v, %v", ex, err)
		}
		if err := e.accounts.Delete(ctx, u.ID, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		view, err := e.chat.Thread(ctx, ana, th.ID)
		if err != nil || !view.Peer.Deleted || view.Peer.Name != "Deleted account" || view.Peer.ID != u.ID || view.LastMessage == nil {
			t.Fatalf("ana's view after the peer left: %+v, %v", view, err)
		}
		body := "are you there?"
		if _, _, err := e.chat.Send(ctx, ana, th.ID, chat.MessageInput{ClientMsgID: "2", Body: &body}, chat.ViaHTTP); code(err) != "peer_deleted" {
			t.Fatalf("send to a deleted peer: %v", err)
		}
		var members int
		_ = d.QueryRow(`SELECT COUNT(*) FROM chat_members WHERE user_id = $1`, u.ID).Scan(&members)
		if members != 0 {
			t.Fatalf("%d memberships of the deleted account remain", members)
		}
	})
}
