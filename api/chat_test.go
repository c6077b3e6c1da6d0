package api_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/bus/memory"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// chatHarness is the API with chat on a real database, a real catalog and
// checkout for cards, the in-process bus, and an HTTP server for sockets.
type chatHarness struct {
	*harness
	chat *chat.Service
	hub  *chat.Hub
	url  string // of the HTTP server, for WebSocket clients
	logs *syncBuffer
}

// syncBuffer is a log destination tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newChatHarness(t *testing.T, d *db.DB, cfg chat.Config) *chatHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	accounts := testAccounts(d, c.now)
	blobs, ix := localEngines(t)
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, c.now)
	co := checkout.NewService(d, cat, checkout.Config{Currency: "USD"}, c.now)
	b := memory.New()
	svc := chat.NewService(chat.Deps{DB: d, Bus: b, Products: cat, Shops: cat, Orders: co, Blocks: accounts}, cfg, c.now)
	hub := svc.NewHub()
	logs := &syncBuffer{}
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	srv := api.New(api.Deps{Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Accounts: accounts, Catalog: cat, Checkout: co, Chat: svc, Hub: hub, Checks: checks, MaxBodyBytes: 64 << 10,
		Engagement: testEngagement(t, d, c.now, engagement.Config{}),
		PublicURL:  "https://reelmart.example"})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { hub.Close(); ts.Close(); b.Close() })
	return &chatHarness{harness: &harness{t: t, db: d, srv: srv, clock: c, checks: checks}, chat: svc, hub: hub, url: ts.URL, logs: logs}
}

type threadJSON struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Peer struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Name    string `json:"name"`
		Deleted bool   `json:"deleted"`
	} `json:"peer"`
	LastMessage *messageJSON `json:"last_message"`
	LastSeq     int64        `json:"last_seq"`
	ReadSeq     int64        `json:"read_seq"`
	UnreadCount int64        `json:"unread_count"`
	PeerReadSeq int64        `json:"peer_read_seq"`
}

type messageJSON struct {
	ID          string         `json:"id"`
	ThreadID    string         `json:"thread_id"`
	Seq         int64          `json:"seq"`
	SenderID    string         `json:"sender_id"`
	Kind        string         `json:"kind"`
	Body        *string        `json:"body"`
	Card        map[string]any `json:"card"`
	ClientMsgID string         `json:"client_msg_id"`
}

func (h *chatHarness) openThread(token string, body any) threadJSON {
	h.t.Helper()
	r := h.do(req{method: "POST", path: "/api/v1/threads", token: token, body: body})
	if r.StatusCode != http.StatusCreated && r.StatusCode != http.StatusOK {
		h.t.Fatalf("open thread: %d %s", r.StatusCode, r.body)
	}
	var th threadJSON
	r.json(&th)
	return th
}

func (h *chatHarness) post(token, thread, clientID, body string) *response {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/api/v1/threads/" + thread + "/messages", token: token,
		body: map[string]any{"client_msg_id": clientID, "body": body}})
}

func (h *chatHarness) metric(name string) float64 {
	h.t.Helper()
	r := h.do(req{method: "GET", path: "/metrics"})
	for _, line := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				h.t.Fatalf("metric %s: %q", name, line)
			}
			return n
		}
	}
	h.t.Fatalf("/metrics has no %s", name)
	return 0
}

func TestChatOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newChatHarness(t, d, chat.Config{})
		ana, bo, eve := h.register("ana"), h.register("bob"), h.register("eve")

		r := h.do(req{method: "POST", path: "/api/v1/threads", token: ana.Token, body: map[string]any{"peer": map[string]string{"type": "user", "id": bo.User.ID}}})
		var th threadJSON
		r.json(&th)
		if r.StatusCode != http.StatusCreated || r.Header.Get("Location") != "/api/v1/threads/"+th.ID || th.Peer.ID != bo.User.ID || th.Peer.Name != "User bob" {
			t.Fatalf("open: %d %s", r.StatusCode, r.body)
		}
		if again := h.do(req{method: "POST", path: "/api/v1/threads", token: bo.Token, body: map[string]any{"peer": map[string]string{"type": "user", "id": ana.User.ID}}}); again.StatusCode != http.StatusOK {
			t.Fatalf("reopen from the other side: %d %s", again.StatusCode, again.body)
		}

		r = h.post(ana.Token, th.ID, "c-1", "<b>hi</b> 👋")
		var m messageJSON
		r.json(&m)
		if r.StatusCode != http.StatusCreated || m.Seq != 1 || *m.Body != "<b>hi</b> 👋" || m.Kind != "text" || m.Card != nil {
			t.Fatalf("send: %d %s", r.StatusCode, r.body)
		}
		if r := h.post(ana.Token, th.ID, "c-1", "<b>hi</b> 👋"); r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), m.ID) {
			t.Fatalf("retry: %d %s", r.StatusCode, r.body)
		}
		for i := 2; i <= 4; i++ {
			h.post(ana.Token, th.ID, fmt.Sprint("c-", i), fmt.Sprint("message ", i))
		}

		var me struct {
			UnreadCount *int64 `json:"unread_count"`
		}
		h.do(req{method: "GET", path: "/api/v1/me", token: bo.Token}).json(&me)
		if me.UnreadCount == nil || *me.UnreadCount != 4 {
			t.Fatalf("bo's /me unread_count = %v, want 4", me.UnreadCount)
		}
		var list struct {
			Items      []threadJSON `json:"items"`
			NextCursor *string      `json:"next_cursor"`
		}
		h.do(req{method: "GET", path: "/api/v1/threads", token: bo.Token}).json(&list)
		if len(list.Items) != 1 || list.Items[0].UnreadCount != 4 || list.Items[0].LastMessage == nil || list.Items[0].LastMessage.Seq != 4 || list.NextCursor != nil {
			t.Fatalf("bo's threads: %+v", list)
		}
		var page struct {
			Items      []messageJSON `json:"items"`
			NextCursor *string       `json:"next_cursor"`
		}
		h.do(req{method: "GET", path: "/api/v1/threads/" + th.ID + "/messages?limit=3", token: bo.Token}).json(&page)
		if len(page.Items) != 3 || page.Items[0].Seq != 4 || page.NextCursor == nil || *page.NextCursor != "2" {
			t.Fatalf("first page: %+v", page)
		}
		h.do(req{method: "GET", path: "/api/v1/threads/" + th.ID + "/messages?before_seq=" + *page.NextCursor, token: bo.Token}).json(&page)
		if len(page.Items) != 1 || page.Items[0].Seq != 1 || page.NextCursor != nil {
			t.Fatalf("last page: %+v", page)
		}

		var st struct {
			ReadSeq     int64 `json:"read_seq"`
			UnreadCount int64 `json:"unread_count"`
		}
		h.do(req{method: "POST", path: "/api/v1/threads/" + th.ID + "/read", token: bo.Token, body: map[string]int{"seq": 3}}).json(&st)
		if st.ReadSeq != 3 || st.UnreadCount != 1 {
			t.Fatalf("read: %+v", st)
		}
		h.do(req{method: "GET", path: "/api/v1/threads/" + th.ID, token: ana.Token}).json(&th)
		if th.PeerReadSeq != 3 {
			t.Fatalf("ana sees bo's mark at %d, want 3", th.PeerReadSeq)
		}

		// Not the caller's thread: 404, exactly like a missing one.
		for _, rq := range []req{
			{method: "GET", path: "/api/v1/threads/" + th.ID, token: eve.Token},
			{method: "GET", path: "/api/v1/threads/" + th.ID + "/messages", token: eve.Token},
			{method: "POST", path: "/api/v1/threads/" + th.ID + "/messages", token: eve.Token, body: map[string]string{"client_msg_id": "x", "body": "hi"}},
			{method: "POST", path: "/api/v1/threads/" + th.ID + "/read", token: eve.Token, body: map[string]int{"seq": 1}},
			{method: "GET", path: "/api/v1/threads/nope", token: eve.Token},
		} {
			if r := h.do(rq); r.StatusCode != http.StatusNotFound || r.problem(t).Code != "thread_not_found" {
				t.Fatalf("%s %s as a stranger: %d %s", rq.method, rq.path, r.StatusCode, r.body)
			}
		}
		// Validation: field errors, nothing stored.
		before := h.count("chat_messages")
		for _, tc := range []struct {
			body  any
			field string
		}{
			{map[string]any{"client_msg_id": "v1", "body": ""}, "body"},
			{map[string]any{"client_msg_id": "v2", "body": strings.Repeat("a", 4001)}, "body"},
			{map[string]any{"client_msg_id": "v3"}, "body"},
			{map[string]any{"body": "no id"}, "client_msg_id"},
			{map[string]any{"client_msg_id": "v4", "card": map[string]string{"type": "product", "id": "missing"}}, "card.id"},
		} {
			r := h.do(req{method: "POST", path: "/api/v1/threads/" + th.ID + "/messages", token: ana.Token, body: tc.body})
			p := r.problem(t)
			if r.StatusCode != 422 || p.Code != "validation_failed" || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Fatalf("%v: %d %s", tc.body, r.StatusCode, r.body)
			}
		}
		if r := h.do(req{method: "GET", path: "/api/v1/threads/" + th.ID + "/messages?before_seq=0", token: ana.Token}); r.StatusCode != 422 {
			t.Fatalf("before_seq=0: %d", r.StatusCode)
		}
		if after := h.count("chat_messages"); after != before {
			t.Fatalf("rejected messages stored: %d → %d", before, after)
		}

		// Blocks: 204 both ways, then 403 blocked until unblocked.
		if r := h.do(req{method: "PUT", path: "/api/v1/users/" + ana.User.ID + "/block", token: bo.Token}); r.StatusCode != http.StatusNoContent {
			t.Fatalf("block: %d %s", r.StatusCode, r.body)
		}
		if r := h.post(ana.Token, th.ID, "blocked-1", "hello?"); r.StatusCode != http.StatusForbidden || r.problem(t).Code != "blocked" {
			t.Fatalf("send while blocked: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "POST", path: "/api/v1/threads", token: ana.Token, body: map[string]any{"peer": map[string]string{"type": "user", "id": bo.User.ID}}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("open while blocked: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "PUT", path: "/api/v1/users/" + bo.User.ID + "/block", token: bo.Token}); r.StatusCode != 422 || r.problem(t).Code != "cannot_block_self" {
			t.Fatalf("self block: %d %s", r.StatusCode, r.body)
		}
		var ex struct {
			Blocks []struct {
				ID string `json:"id"`
			} `json:"blocks"`
			Chat struct {
				Threads []struct {
					Thread   threadJSON    `json:"thread"`
					Messages []messageJSON `json:"messages"`
				} `json:"threads"`
			} `json:"chat"`
		}
		h.do(req{method: "GET", path: "/api/v1/me/export", token: bo.Token}).json(&ex)
		if len(ex.Blocks) != 1 || ex.Blocks[0].ID != ana.User.ID || len(ex.Chat.Threads) != 1 || len(ex.Chat.Threads[0].Messages) != 4 || ex.Chat.Threads[0].Messages[0].Seq != 1 {
			t.Fatalf("export: %+v", ex)
		}
		if r := h.do(req{method: "DELETE", path: "/api/v1/users/" + ana.User.ID + "/block", token: bo.Token}); r.StatusCode != http.StatusNoContent {
			t.Fatalf("unblock: %d", r.StatusCode)
		}
		if r := h.post(ana.Token, th.ID, "after-1", "hello again"); r.StatusCode != http.StatusCreated {
			t.Fatalf("send after unblock: %d %s", r.StatusCode, r.body)
		}

		// Deleting an account leaves the other side's thread readable.
		if r := h.do(req{method: "DELETE", path: "/api/v1/me", token: ana.Token, body: map[string]string{"password": "correct horse battery"}}); r.StatusCode != http.StatusNoContent {
			t.Fatalf("delete ana: %d %s", r.StatusCode, r.body)
		}
		h.do(req{method: "GET", path: "/api/v1/threads/" + th.ID, token: bo.Token}).json(&th)
		if !th.Peer.Deleted || th.Peer.Name != "Deleted account" || th.LastMessage == nil {
			t.Fatalf("bo's thread after ana left: %+v", th)
		}
	})
}

func TestChatRateLimitOverHTTP(t *testing.T) {
	h := newChatHarness(t, dbtest.Open(t, db.Postgres), chat.Config{SendLimit: 2, SendWindow: time.Minute})
	ana, bo := h.register("ana"), h.register("bob")
	th := h.openThread(ana.Token, map[string]any{"peer": map[string]string{"type": "user", "id": bo.User.ID}})
	h.post(ana.Token, th.ID, "1", "one")
	h.post(ana.Token, th.ID, "2", "two")
	r := h.post(ana.Token, th.ID, "3", "three")
	if r.StatusCode != http.StatusTooManyRequests || r.problem(t).Code != "rate_limited" {
		t.Fatalf("third send: %d %s", r.StatusCode, r.body)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if n := h.count("chat_messages"); n != 2 {
		t.Fatalf("%d messages stored, want 2", n)
	}
}

func TestChatShopThreadWithCardsOverHTTP(t *testing.T) {
	h := newChatHarness(t, dbtest.Open(t, db.SQLite), chat.Config{})
	owner, buyer := h.register("owner"), h.register("buyer")
	r := h.do(req{method: "POST", path: "/api/v1/shops", token: owner.Token, body: map[string]string{"name": "Hats"}})
	var sh struct {
		ID string `json:"id"`
	}
	r.json(&sh)
	r = h.do(req{method: "POST", path: "/api/v1/products", token: owner.Token, body: map[string]any{
		"shop_id": sh.ID, "title": "Red hat", "status": "active",
		"skus": []map[string]any{{"code": "R", "price": map[string]any{"amount_minor": 2500}, "stock": 3}},
	}})
	var p struct {
		ID string `json:"id"`
	}
	r.json(&p)
	th := h.openThread(buyer.Token, map[string]any{"peer": map[string]string{"type": "shop", "id": sh.ID}, "context": map[string]string{"type": "product", "id": p.ID}})
	if th.Kind != "shop" || th.Peer.Type != "shop" || th.Peer.Name != "Hats" || th.LastMessage == nil || th.LastMessage.Card["title"] != "Red hat" {
		t.Fatalf("shop thread: %+v", th)
	}
	var list struct {
		Items []threadJSON `json:"items"`
	}
	h.do(req{method: "GET", path: "/api/v1/threads", token: owner.Token}).json(&list)
	if len(list.Items) != 1 || list.Items[0].Peer.ID != buyer.User.ID || list.Items[0].UnreadCount != 1 {
		t.Fatalf("owner's threads: %+v", list.Items)
	}
}
