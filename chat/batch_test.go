package chat_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// Coalesced text sends (batch_pg.go) run on PostgreSQL only; SQLite stores
// every message alone.

// Each message of a batch stands or falls alone: a stranger's, a blocked
// sender's, a reused client id and a sender over the rate limit are left
// out and write nothing (not even a count in the rate window), while the
// others are stored as a lone send would store them, and a member of two
// threads of the batch gets consecutive inbox seqs.
func TestBatchSendsStandAlone(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres), chat.Config{SendLimit: 2, SendWindow: time.Minute})
	ana, bo, cy, dee, eli, fay, gus, hal := e.user("ana"), e.user("bo"), e.user("cy"), e.user("dee"), e.user("eli"), e.user("fay"), e.user("gus"), e.user("hal")
	anaBo, _ := e.open(ana, user(bo), nil)
	cyBo, _ := e.open(cy, user(bo), nil)
	deeEli, _ := e.open(dee, user(eli), nil)
	fayBo, _ := e.open(fay, user(bo), nil)
	gusBo, _ := e.open(gus, user(bo), nil)
	halBo, _ := e.open(hal, user(bo), nil)
	if err := e.accounts.Block(ctx, eli, dee); err != nil {
		t.Fatal(err)
	}
	replayed := e.send(gus, gusBo.ID, "g1", "first")
	e.send(hal, halBo.ID, "h1", "one")
	e.send(hal, halBo.ID, "h2", "two") // hal's window is full
	boHead := int64(len(e.inbox(bo)))

	text := func(id, body string) chat.MessageInput { return chat.MessageInput{ClientMsgID: id, Body: &body} }
	senders := []string{ana, cy, dee, fay, gus, hal}
	threads := []string{anaBo.ID, cyBo.ID, deeEli.ID, anaBo.ID, gusBo.ID, halBo.ID}
	in := []chat.MessageInput{
		text("a1", "does this come in blue?"), // 0: stored
		text("c1", "and in green?"),           // 1: stored; bo's second event of the batch
		text("d1", "hello?"),                  // 2: eli blocked dee
		text("f1", "let me in"),               // 3: fay is not a member of ana and bo's thread
		text("g1", "first, again"),            // 4: gus used g1 already
		text("h3", "three"),                   // 5: over hal's limit
	}
	stored, err := e.chat.SendBatch(ctx, senders, threads, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0].ID == "" || stored[1].ID == "" {
		t.Fatalf("stored %v, want messages 0 and 1", stored)
	}
	for i, m := range stored {
		page, err := e.chat.Messages(ctx, senders[i], threads[i], 0, 10)
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("history of message %d: %+v %v", i, page.Items, err)
		}
		got := page.Items[0]
		if m.Seq != 1 || got.ID != m.ID || got.Seq != m.Seq || *got.Body != *in[i].Body || got.SenderID != senders[i] ||
			got.Kind != chat.KindText || !got.CreatedAt.Equal(m.CreatedAt) {
			t.Errorf("message %d as stored by the batch %+v, as read %+v", i, m, got)
		}
	}
	evs := e.inbox(bo)
	if int64(len(evs)) != boHead+2 {
		t.Fatalf("bo's inbox has %d events, want %d", len(evs), boHead+2)
	}
	byThread := map[string]int64{}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("bo's inbox: event %d has seq %d", i, ev.Seq)
		}
		if int64(i) >= boHead {
			byThread[ev.ThreadID] = ev.Message.Seq
		}
	}
	if byThread[anaBo.ID] != 1 || byThread[cyBo.ID] != 1 {
		t.Fatalf("bo's new events: %v", byThread)
	}
	var n, halSent int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM chat_messages WHERE thread_id IN ($1, $2, $3, $4)`, deeEli.ID, fayBo.ID, gusBo.ID, halBo.ID).Scan(&n); err != nil || n != 3 {
		t.Fatalf("messages of the left-out senders: %d %v, want the 3 sent before", n, err)
	}
	if err := e.db.QueryRowContext(ctx, `SELECT sent FROM chat_send_windows WHERE user_id = $1`, hal).Scan(&halSent); err != nil || halSent != 2 {
		t.Fatalf("hal's window counts %d %v, want 2", halSent, err)
	}

	// Sent through Send, each left-out message gets the lone path's answer.
	for i, want := range map[int]string{2: "blocked", 3: "thread_not_found", 5: "rate_limited"} {
		if _, _, err := e.chat.Send(ctx, senders[i], threads[i], in[i], chat.ViaHTTP); code(err) != want {
			t.Errorf("message %d sent alone: %v, want %s", i, err, want)
		}
	}
	if m, created, err := e.chat.Send(ctx, gus, gusBo.ID, in[4], chat.ViaHTTP); err != nil || created || m.ID != replayed.ID {
		t.Errorf("gus's retry: %+v created=%v %v, want the stored message", m, created, err)
	}
}

// Many senders at once, one of them (a shop-like hub) a member of every
// thread: their messages share statements, and still every thread's seqs
// and every inbox are gapless, each sender's messages keep their order, and
// nothing is stored twice.
func TestBatchedSendsUnderLoad(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres), chat.Config{SendLimit: 1000})
	hub := e.user("hub")
	const buyers, each = 24, 15
	ids, threads := make([]string, buyers), make([]string, buyers)
	for i := range buyers {
		ids[i] = e.user(fmt.Sprint("buyer", i))
		th, _ := e.open(ids[i], user(hub), nil)
		threads[i] = th.ID
	}
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				body := fmt.Sprintf("%d-%d", i, j)
				m, created, err := e.chat.Send(ctx, ids[i], threads[i], chat.MessageInput{ClientMsgID: body, Body: &body}, chat.ViaHTTP)
				if err != nil || !created || m.Seq != int64(j+1) {
					t.Errorf("buyer %d message %d: seq %d created=%v %v", i, j, m.Seq, created, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	statements, stored := e.chat.SendBatches()
	if stored != buyers*each {
		t.Fatalf("batches stored %d messages, want all %d", stored, buyers*each)
	}
	if statements >= stored {
		t.Fatalf("%d statements for %d messages: nothing was coalesced", statements, stored)
	}
	t.Logf("%d messages in %d statements", stored, statements)
	evs := e.inbox(hub)
	if len(evs) != buyers*(1+each) {
		t.Fatalf("the hub's inbox has %d events, want %d", len(evs), buyers*(1+each))
	}
	next := map[string]int64{}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("the hub's inbox: event %d has seq %d", i, ev.Seq)
		}
		if ev.Message != nil {
			next[ev.ThreadID]++
			if ev.Message.Seq != next[ev.ThreadID] {
				t.Fatalf("the hub's inbox: thread %s message %d arrived as %d", ev.ThreadID, ev.Message.Seq, next[ev.ThreadID])
			}
		}
	}
	for i := range buyers {
		page, err := e.chat.Messages(ctx, ids[i], threads[i], 0, 100)
		if err != nil || len(page.Items) != each {
			t.Fatalf("buyer %d's history: %d messages %v", i, len(page.Items), err)
		}
		for k, m := range page.Items {
			if want := fmt.Sprintf("%d-%d", i, each-1-k); *m.Body != want || m.Seq != int64(each-k) {
				t.Fatalf("buyer %d's history: %q at seq %d, want %q", i, *m.Body, m.Seq, want)
			}
		}
	}
}

// With Config.SendAlone each text message is its own statement (the path a
// message a batch left out takes): concurrent senders still get gapless
// seqs and inboxes, a retry gets the stored message, and the limit holds.
func TestLoneSendsOnPostgres(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.Postgres), chat.Config{SendAlone: true, SendLimit: 20, SendWindow: time.Minute})
	ana, bo := e.user("ana"), e.user("bo")
	th, _ := e.open(ana, user(bo), nil)
	var wg sync.WaitGroup
	for i, from := range []string{ana, bo} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				body := fmt.Sprintf("%d-%d", i, j)
				if _, _, err := e.chat.Send(ctx, from, th.ID, chat.MessageInput{ClientMsgID: body, Body: &body}, chat.ViaHTTP); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if statements, _ := e.chat.SendBatches(); statements != 0 {
		t.Fatalf("%d batch statements with SendAlone", statements)
	}
	page, err := e.chat.Messages(ctx, ana, th.ID, 0, 100)
	if err != nil || len(page.Items) != 40 || page.Items[0].Seq != 40 || page.Items[39].Seq != 1 {
		t.Fatalf("history: %d messages %v", len(page.Items), err)
	}
	for _, u := range []string{ana, bo} {
		for i, ev := range e.inbox(u) {
			if ev.Seq != int64(i+1) {
				t.Fatalf("inbox of %s: event %d has seq %d", u, i, ev.Seq)
			}
		}
	}
	body := "again"
	if m, created, err := e.chat.Send(ctx, ana, th.ID, chat.MessageInput{ClientMsgID: "0-3", Body: &body}, chat.ViaHTTP); err != nil || created || *m.Body != "0-3" {
		t.Fatalf("retry: %+v created=%v %v", m, created, err)
	}
	if _, _, err := e.chat.Send(ctx, ana, th.ID, chat.MessageInput{ClientMsgID: "one-more", Body: &body}, chat.ViaHTTP); code(err) != "rate_limited" {
		t.Fatalf("21st send in the window: %v, want rate_limited", err)
	}
}
