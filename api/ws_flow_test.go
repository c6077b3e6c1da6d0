package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func userPeer(id string) map[string]any {
	return map[string]any{"peer": map[string]string{"type": "user", "id": id}}
}

// Every device of every member gets every event, whichever transport sent it.
func TestSocketDeliversToEveryDevice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newChatHarness(t, d, chat.Config{})
		ana, bob := h.register("ana"), h.register("bob")
		th := h.openThread(ana.Token, userPeer(bob.User.ID))
		a1 := h.dial(dialOpts{token: ana.Token})
		a2 := h.dial(dialOpts{accessToken: ana.Token})
		b1 := h.dial(dialOpts{token: bob.Token})
		b2 := h.dial(dialOpts{cookie: bob.Token, origin: "https://reelmart.example"})
		if a1.hello.InboxSeq != 1 || b2.hello.InboxSeq != 1 {
			t.Fatalf("hello inbox_seq: %d, %d; want 1 (the thread)", a1.hello.InboxSeq, b2.hello.InboxSeq)
		}
		h.post(bob.Token, th.ID, "h1", "over http")
		for name, c := range map[string]*wsClient{"a1": a1, "a2": a2, "b1": b1, "b2": b2} {
			if f := c.events(1)[0]; f.Type != "message" || f.Seq != 2 || f.Message.Seq != 1 || *f.Message.Body != "over http" || f.ThreadID != th.ID {
				t.Fatalf("%s got %+v", name, f)
			}
		}

		// Over the socket: an ack for the sender's request, the event everywhere.
		a1.sendFrame(map[string]any{"type": "send", "id": "r1", "thread_id": th.ID, "client_msg_id": "w1", "body": "over the socket"})
		var ack, ev *frame
		for ack == nil || ev == nil {
			f := a1.next()
			switch f.Type {
			case "ack":
				ack = &f
			case "message":
				ev = &f
			default:
				t.Fatalf("a1 got %+v", f)
			}
		}
		if *ack.ID != "r1" || ack.Message.Seq != 2 || ack.Message.ID != ev.Message.ID || ev.Seq != 3 {
			t.Fatalf("ack %+v, event %+v", ack, ev)
		}
		for _, c := range []*wsClient{a2, b1, b2} {
			if f := c.events(1)[0]; f.Message.ID != ack.Message.ID {
				t.Fatalf("got %+v", f)
			}
		}
		// A retry is acked with the stored message and delivered to no one again:
		// bob's next event after it is bob's marker.
		a1.sendFrame(map[string]any{"type": "send", "id": "r2", "thread_id": th.ID, "client_msg_id": "w1", "body": "over the socket"})
		if f := a1.next(); f.Type != "ack" || f.Message.ID != ack.Message.ID {
			t.Fatalf("retry answered %+v", f)
		}
		h.post(bob.Token, th.ID, "marker", "marker")
		for _, c := range []*wsClient{a1, a2, b1, b2} {
			if f := c.events(1)[0]; *f.Message.Body != "marker" || f.Seq != 4 {
				t.Fatalf("after a retry, got %+v; want the marker at inbox seq 4", f)
			}
		}

		// Read marks travel to every member's devices (bob's own sending moved his).
		a1.sendFrame(map[string]any{"type": "read", "id": "r3", "thread_id": th.ID, "seq": 3})
		var gotAck bool
		for _, f := range []frame{a1.next(), a1.next()} {
			switch {
			case f.Type == "ack" && f.Read != nil && f.Read.ReadSeq == 3 && *f.ID == "r3":
				gotAck = true
			case f.Type == "read" && f.UserID == ana.User.ID && f.ReadSeq == 3:
			default:
				t.Fatalf("a1 after read: %+v", f)
			}
		}
		if !gotAck {
			t.Fatal("no read ack")
		}
		for _, c := range []*wsClient{a2, b1, b2} {
			if f := c.events(1)[0]; f.Type != "read" || f.UserID != ana.User.ID || f.ReadSeq != 3 || f.Seq != 5 {
				t.Fatalf("read event %+v", f)
			}
		}

		// Failures come back as error frames with HTTP's codes, and the socket stays open.
		a1.sendFrame(map[string]any{"type": "send", "id": "e1", "thread_id": "not-mine", "client_msg_id": "x", "body": "hi"})
		if f := a1.next(); f.Type != "error" || f.Status != 404 || f.Code != "thread_not_found" || *f.ID != "e1" {
			t.Fatalf("unknown thread: %+v", f)
		}
		a1.sendFrame(map[string]any{"type": "send", "id": "e2", "thread_id": th.ID, "client_msg_id": "x", "body": ""})
		if f := a1.next(); f.Status != 422 || f.Code != "validation_failed" || len(f.Errors) != 1 || f.Errors[0].Field != "body" {
			t.Fatalf("empty body: %+v", f)
		}
		if err := a1.conn.Write(t.Context(), websocket.MessageText, []byte("not json")); err != nil {
			t.Fatal(err)
		}
		if f := a1.next(); f.Status != 400 || f.Code != "malformed_frame" || f.ID != nil {
			t.Fatalf("garbage: %+v", f)
		}
		a1.sendFrame(map[string]any{"type": "ping", "id": "p1"})
		if f := a1.next(); f.Type != "pong" || *f.ID != "p1" {
			t.Fatalf("ping: %+v", f)
		}
		if n := h.count("chat_messages"); n != 3 {
			t.Fatalf("%d messages stored, want 3", n)
		}
	})
}

// A client that reconnects with since gets what it missed, in order, then
// live events, and nothing twice, even while messages keep arriving.
func TestSocketReplaysWhatWasMissed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newChatHarness(t, d, chat.Config{SendLimit: 1000})
		ana, bob, cyd := h.register("ana"), h.register("bob"), h.register("cyd")
		first := h.dial(dialOpts{token: ana.Token})
		if first.hello.InboxSeq != 0 {
			t.Fatalf("fresh inbox_seq %d", first.hello.InboxSeq)
		}
		first.conn.Close(websocket.StatusNormalClosure, "going offline")

		// While ana is away: bob opens a thread and writes; cyd opens another.
		tb := h.openThread(bob.Token, userPeer(ana.User.ID))
		for i := 1; i <= 3; i++ {
			h.post(bob.Token, tb.ID, fmt.Sprint("b", i), fmt.Sprint("bob ", i))
		}
		tc := h.openThread(cyd.Token, userPeer(ana.User.ID))
		h.post(cyd.Token, tc.ID, "c1", "cyd here")

		zero := int64(0)
		back := h.dial(dialOpts{token: ana.Token, since: &zero})
		if back.hello.InboxSeq != 6 || back.hello.Reset {
			t.Fatalf("hello on return: %+v", back.hello)
		}
		missed := back.events(6)
		expectSeqs(t, missed, 1)
		kinds := []string{}
		for _, f := range missed {
			kinds = append(kinds, f.Type)
		}
		if strings.Join(kinds, ",") != "thread,message,message,message,thread,message" ||
			missed[0].Thread.ID != tb.ID || missed[0].Thread.Peer.ID != bob.User.ID || missed[4].Thread.ID != tc.ID {
			t.Fatalf("replay: %v %+v", kinds, missed)
		}

		// A reconnect during a stream of sends loses and repeats nothing.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				body := fmt.Sprint("live ", i)
				if _, _, err := h.chat.Send(t.Context(), bob.User.ID, tb.ID, chat.MessageInput{ClientMsgID: fmt.Sprint("l", i), Body: &body}, chat.ViaHTTP); err != nil {
					t.Error(err)
				}
			}
		}()
		four := int64(4)
		mid := h.dial(dialOpts{token: ana.Token, since: &four})
		wg.Wait()
		all := mid.events(2 + 30)
		expectSeqs(t, all, 5)
		if f := all[len(all)-1]; *f.Message.Body != "live 29" {
			t.Fatalf("last event %+v", f)
		}
		// The first socket saw the same stream live.
		expectSeqs(t, back.events(30), 7)

		ahead := int64(1000)
		if c := h.dial(dialOpts{token: ana.Token, since: &ahead}); !c.hello.Reset || c.hello.InboxSeq != 36 {
			t.Fatalf("since past the head: %+v", c.hello)
		}
	})
}

// Messages from concurrent senders reach a receiver in one gapless inbox
// order, each thread's messages in seq order.
func TestSocketOrderUnderConcurrentSenders(t *testing.T) {
	h := newChatHarness(t, dbtest.Open(t, db.Postgres), chat.Config{SendLimit: 1000})
	rcv := h.register("receiver")
	const senders, each = 5, 20
	type sender struct {
		c      *wsClient
		thread string
	}
	var ss []sender
	for i := 0; i < senders; i++ {
		u := h.register(fmt.Sprint("sender", i))
		th := h.openThread(u.Token, userPeer(rcv.User.ID))
		ss = append(ss, sender{h.dial(dialOpts{token: u.Token}), th.ID})
	}
	r := h.dial(dialOpts{token: rcv.Token})
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				s.c.sendFrame(map[string]any{"type": "send", "id": fmt.Sprint(j), "thread_id": s.thread, "client_msg_id": fmt.Sprint(i, "-", j), "body": fmt.Sprint(j)})
			}
		}()
	}
	wg.Wait()
	got := r.events(senders * each)
	expectSeqs(t, got, senders+1)
	last := map[string]int64{}
	for _, f := range got {
		if f.Message.Seq != last[f.ThreadID]+1 {
			t.Fatalf("thread %s: seq %d after %d", f.ThreadID, f.Message.Seq, last[f.ThreadID])
		}
		last[f.ThreadID] = f.Message.Seq
	}
	// On PostgreSQL every one of them went through a batch statement.
	if n := h.metric("reelmart_chat_send_batched_total"); n != senders*each || h.metric("reelmart_chat_send_batches_total") < 1 {
		t.Fatalf("batched messages = %v, want %d", n, senders*each)
	}
}

func TestSocketAuthAndLimits(t *testing.T) {
	h := newChatHarness(t, dbtest.Open(t, db.SQLite), chat.Config{MaxSocketsPerUser: 2})
	ana := h.register("ana")
	status := func(o dialOpts) int {
		t.Helper()
		conn, resp, err := h.dialRaw(o)
		if err == nil {
			conn.CloseNow()
			return 101
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return resp.StatusCode
	}
	minus := int64(-1)
	for _, tc := range []struct {
		name string
		o    dialOpts
		want int
	}{
		{"no credentials", dialOpts{}, 401},
		{"bad bearer", dialOpts{token: "rms_nope"}, 401},
		{"bad access_token", dialOpts{accessToken: "rms_nope"}, 401},
		{"cookie without origin", dialOpts{cookie: ana.Token}, 403},
		{"cookie from another site", dialOpts{cookie: ana.Token, origin: "https://evil.example"}, 403},
		{"cookie from the server's own host", dialOpts{cookie: ana.Token, origin: h.url}, 101},
		{"negative since", dialOpts{token: ana.Token, since: &minus}, 422},
	} {
		if got := status(tc.o); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.want)
		}
	}
	// The same refusals as documented problems (checked against the spec).
	if r := h.do(req{method: "GET", path: "/api/v1/ws"}); r.StatusCode != 401 || r.problem(t).Code != "auth_required" {
		t.Fatalf("anonymous: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/ws", token: ana.Token}); r.StatusCode != 400 || r.problem(t).Code != "upgrade_required" {
		t.Fatalf("plain GET: %d %s", r.StatusCode, r.body)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/ws?since=x", token: ana.Token}); r.StatusCode != 422 {
		t.Fatalf("since=x: %d %s", r.StatusCode, r.body)
	}

	// The cap on open sockets per user.
	h.dial(dialOpts{token: ana.Token})
	h.dial(dialOpts{accessToken: ana.Token})
	if got := status(dialOpts{token: ana.Token}); got != http.StatusTooManyRequests {
		t.Fatalf("third socket: HTTP %d, want 429", got)
	}
	if h.metric("reelmart_chat_sockets_open") != 2 {
		t.Fatalf("sockets_open = %v, want 2", h.metric("reelmart_chat_sockets_open"))
	}
	// The access token never reaches the logs.
	if logs := h.logs.String(); strings.Contains(logs, ana.Token) || strings.Contains(logs, "rms_nope") || !strings.Contains(logs, "/api/v1/ws") {
		t.Fatalf("logs hold a token (or no socket request at all):\n%s", logs)
	}
}

// A socket that does not keep up is dropped with 1013, without holding up
// the user's other device; it reconnects with since and loses nothing.
func TestSlowConsumerIsDropped(t *testing.T) {
	h := newChatHarness(t, dbtest.Open(t, db.SQLite), chat.Config{SocketQueue: 4, SendLimit: 1 << 20, SlowAfter: 200 * time.Millisecond})
	ana, bob := h.register("ana"), h.register("bob")
	th := h.openThread(bob.Token, userPeer(ana.User.ID))
	fast := h.dial(dialOpts{token: ana.Token})
	slow := h.dial(dialOpts{token: ana.Token, noRead: true})
	big := strings.Repeat("😀", 4000)
	sent := 0
	for ; sent < 5000 && h.metric("reelmart_chat_slow_consumers_dropped_total") == 0; sent++ {
		if _, _, err := h.chat.Send(t.Context(), bob.User.ID, th.ID, chat.MessageInput{ClientMsgID: fmt.Sprint(sent), Body: &big}, chat.ViaHTTP); err != nil {
			t.Fatal(err)
		}
		if sent%50 == 0 {
			fast.events(len(fast.frames)) // keep the fast device drained
		}
	}
	if h.metric("reelmart_chat_slow_consumers_dropped_total") != 1 {
		t.Fatalf("no slow consumer dropped after %d messages", sent)
	}
	go slow.readLoop()
	// The slow socket ends with "try again later" once its backlog is read.
	for {
		select {
		case <-slow.frames:
			continue
		case <-slow.ended:
		}
		break
	}
	if code := websocket.CloseStatus(slow.err); code != websocket.StatusTryAgainLater {
		t.Fatalf("slow socket closed with %v (%v), want 1013", code, slow.err)
	}
	h.post(bob.Token, th.ID, "last", "the end")
	var last frame
	for last.Message == nil || *last.Message.Body != "the end" {
		last = fast.next()
	}
	if last.Seq != int64(sent+2) {
		t.Fatalf("fast device's last event at inbox seq %d, want %d", last.Seq, sent+2)
	}
	zero := int64(0)
	again := h.dial(dialOpts{token: ana.Token, since: &zero})
	expectSeqs(t, again.events(sent+2), 1)
}

// Shutdown closes every socket with 1001 so clients go to another node.
func TestShutdownClosesSockets(t *testing.T) {
	h := newChatHarness(t, dbtest.Open(t, db.SQLite), chat.Config{})
	ana := h.register("ana")
	c := h.dial(dialOpts{token: ana.Token})
	done := make(chan struct{})
	go func() { h.hub.Close(); close(done) }()
	if code := c.closeStatus(); code != websocket.StatusGoingAway {
		t.Fatalf("close code %v (%v), want 1001", code, c.err)
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("hub.Close did not return")
	}
	if conn, resp, err := h.dialRaw(dialOpts{token: ana.Token}); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		if conn != nil {
			conn.CloseNow()
		}
		t.Fatalf("a new socket after shutdown: %v %v", resp, err)
	}
}

// Over the socket, a block and the send rate limit answer as over HTTP:
// an error frame with the problem's status and code (and retry_after for
// the limit), nothing stored, nothing delivered. The messages and events
// the socket did carry are counted in the metrics.
func TestSocketBlockAndRateLimit(t *testing.T) {
	h := newChatHarness(t, dbtest.Open(t, db.Postgres), chat.Config{SendLimit: 3, SendWindow: time.Minute})
	ana, bo := h.register("ana"), h.register("bob")
	th := h.openThread(ana.Token, userPeer(bo.User.ID))
	a, b := h.dial(dialOpts{token: ana.Token}), h.dial(dialOpts{token: bo.Token})
	send := func(id, body string) frame {
		t.Helper()
		a.sendFrame(map[string]any{"type": "send", "id": id, "thread_id": th.ID, "client_msg_id": id, "body": body})
		for {
			if f := a.next(); f.Type == "ack" || f.Type == "error" {
				return f
			}
		}
	}
	if f := send("1", "hello"); f.Type != "ack" {
		t.Fatalf("first send: %+v", f)
	}
	if f := b.events(1)[0]; f.Message == nil || *f.Message.Body != "hello" {
		t.Fatalf("bo got %+v", f)
	}

	if r := h.do(req{method: "PUT", path: "/api/v1/users/" + ana.User.ID + "/block", token: bo.Token}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("block: %d %s", r.StatusCode, r.body)
	}
	if f := send("2", "are you there?"); f.Type != "error" || f.Status != http.StatusForbidden || f.Code != "blocked" || f.ID == nil || *f.ID != "2" {
		t.Fatalf("send while blocked: %+v", f)
	}
	if r := h.do(req{method: "DELETE", path: "/api/v1/users/" + ana.User.ID + "/block", token: bo.Token}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("unblock: %d %s", r.StatusCode, r.body)
	}
	// The refused message never reaches bo: the next event he gets is the
	// next message ana sends, at the next seq.
	if f := send("3", "sorry"); f.Type != "ack" {
		t.Fatalf("send after the unblock: %+v", f)
	}
	if f := b.events(1)[0]; f.Message == nil || *f.Message.Body != "sorry" || f.Message.Seq != 2 {
		t.Fatalf("bo's next event: %+v, want the message after the block", f)
	}

	// Three sends a minute: the refused one counted nothing, so one more goes.
	if f := send("4", "one more"); f.Type != "ack" {
		t.Fatalf("third counted send: %+v", f)
	}
	f := send("5", "too many")
	if f.Type != "error" || f.Status != http.StatusTooManyRequests || f.Code != "rate_limited" || f.RetryAfter < 1 || f.RetryAfter > 60 {
		t.Fatalf("send over the limit: %+v", f)
	}
	if n := h.count("chat_messages"); n != 3 {
		t.Fatalf("%d messages stored, want 3", n)
	}
	if got := h.metric(`reelmart_chat_messages_sent_total{transport="ws"}`); got != 3 {
		t.Fatalf(`messages_sent_total{transport="ws"} = %v, want 3`, got)
	}
	// Three messages to each of ana's and bob's sockets.
	b.events(1)
	if got := h.metric(`reelmart_chat_events_delivered_total{type="message"}`); got != 6 {
		t.Fatalf(`events_delivered_total{type="message"} = %v, want 6`, got)
	}
}
