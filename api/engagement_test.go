package api_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// engagementHarness is the API with the engagement service it is wired
// to, so tests can run the aggregator the background job would run.
type engagementHarness struct {
	*harness
	eng *engagement.Service
}

func newEngagementHarness(t *testing.T, d *db.DB, cfg engagement.Config) *engagementHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	eng := testEngagement(t, d, c.now, cfg)
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	srv := api.New(api.Deps{Accounts: testAccounts(d, c.now, eng.EraseUser), Engagement: eng, Checks: checks, MaxBodyBytes: 64 << 10})
	return &engagementHarness{harness: &harness{t: t, db: d, srv: srv, clock: c, checks: checks}, eng: eng}
}

// readyVideo stores a ready video of creator, as a finished transcode leaves it.
func (h *engagementHarness) readyVideo(creator string, durationMS int64, tags ...string) string {
	h.t.Helper()
	id := reelmart.NewID()
	raw, _ := json.Marshal(append([]string{}, tags...))
	if _, err := h.db.Exec(`INSERT INTO videos (id, creator_id, status, duration_ms, hashtags, created_at, updated_at)
		VALUES ($1, $2, 'ready', $3, $4, $5, $5)`, id, creator, durationMS, string(raw), h.clock.now()); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *engagementHarness) aggregate() {
	h.t.Helper()
	if _, err := h.eng.Aggregate(t0ctx); err != nil {
		h.t.Fatal(err)
	}
}

var t0ctx = httptest.NewRequest("GET", "/", nil).Context()

// events posts a batch as the holder of token or cookie.
func (h *engagementHarness) events(video, token, cookie string, events ...map[string]any) *response {
	h.t.Helper()
	var header map[string]string
	if cookie != "" {
		header = map[string]string{"Cookie": "viewer_id=" + cookie}
	}
	return h.do(req{method: "POST", path: "/api/v1/videos/" + video + "/events", token: token, header: header,
		body: map[string]any{"events": events}})
}

func event(id, typ string, position, watched int) map[string]any {
	return map[string]any{"event_id": id, "type": typ, "position_ms": position, "watched_ms": watched}
}

// viewerCookie returns the viewer_id cookie a response sets, or nil.
func viewerCookie(r *response) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == "viewer_id" {
			return c
		}
	}
	return nil
}

type receipt struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

func TestEventsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newEngagementHarness(t, d, engagement.Config{})
		maker := h.register("maker")
		v := h.readyVideo(maker.User.ID, 15_000, "cooking")

		// A signed-out viewer gets a signed cookie with the first batch.
		r := h.events(v, "", "", event("e1", "view", 0, 0), event("e2", "progress", 4000, 4000))
		var rec receipt
		r.json(&rec)
		ck := viewerCookie(r)
		if r.StatusCode != http.StatusAccepted || rec.Accepted != 2 || ck == nil {
			t.Fatalf("first batch: %d %s %v", r.StatusCode, r.body, r.Header)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge < 300*24*3600 {
			t.Fatalf("cookie attributes: %+v", ck)
		}
		// The retry of the same batch, with the cookie, is all duplicates and sets no new cookie.
		r = h.events(v, "", ck.Value, event("e1", "view", 0, 0), event("e2", "progress", 4000, 4000))
		r.json(&rec)
		if r.StatusCode != 202 || rec.Duplicates != 2 || viewerCookie(r) != nil {
			t.Fatalf("retry: %d %s", r.StatusCode, r.body)
		}
		// A tampered cookie names nobody, and neither does none: such a
		// client is its address and user agent, so forging or dropping the
		// cookie before every batch counts nothing again.
		forged := ck.Value[:len(ck.Value)-2] + "AA"
		r = h.events(v, "", forged, event("e1", "view", 0, 0))
		r.json(&rec)
		if nc := viewerCookie(r); r.StatusCode != 202 || rec.Duplicates != 1 || nc == nil || nc.Value != ck.Value {
			t.Fatalf("forged cookie: %d %s", r.StatusCode, r.body)
		}
		for i := range 5 {
			r = h.events(v, "", "", event(fmt.Sprint("again", i), "view", 0, 0))
			if r.StatusCode != 202 {
				t.Fatalf("cookie dropped: %d %s", r.StatusCode, r.body)
			}
		}
		// Another device at the same address is another viewer.
		r = h.do(req{method: "POST", path: "/api/v1/videos/" + v + "/events", header: map[string]string{"User-Agent": "another phone"},
			body: map[string]any{"events": []any{event("p1", "view", 0, 0)}}})
		if nc := viewerCookie(r); r.StatusCode != 202 || nc == nil || nc.Value == ck.Value {
			t.Fatalf("another device: %d %s", r.StatusCode, r.body)
		}
		// A signed-in viewer needs no cookie.
		if r := h.events(v, maker.Token, "", event("m1", "view", 0, 0)); r.StatusCode != 202 || viewerCookie(r) != nil {
			t.Fatalf("signed in: %d %s", r.StatusCode, r.body)
		}
		h.aggregate()
		var st struct {
			Totals engagement.Stats `json:"totals"`
		}
		h.do(req{method: "GET", path: "/api/v1/videos/" + v + "/analytics", token: maker.Token}).json(&st)
		if st.Totals.Views != 3 || st.Totals.UniqueViewers != 3 || st.Totals.WatchMS != 4000 {
			t.Fatalf("totals: %+v", st.Totals)
		}
	})
}

func TestBadEventsOverHTTP(t *testing.T) {
	h := newEngagementHarness(t, dbtest.Open(t, db.SQLite), engagement.Config{ViewerEventsPerMin: 5})
	maker := h.register("maker")
	v := h.readyVideo(maker.User.ID, 15_000)
	r := h.events(v, maker.Token, "", event("ok", "view", 0, 0), event("bad", "progress", 99_000, 0), event("neg", "progress", -1, 0))
	p := r.problem(t)
	if r.StatusCode != 422 || p.Code != "validation_failed" || len(p.Errors) != 2 || p.Errors[0].Field != "events[1].position_ms" || p.Errors[1].Field != "events[2].position_ms" {
		t.Fatalf("bad positions: %d %s", r.StatusCode, r.body)
	}
	for _, tc := range []struct {
		body   any
		status int
		code   string
	}{
		{`{"events": [}`, 400, "malformed_json"},
		{`{"events": "many"}`, 400, "invalid_type"},
		{`{"events": [{"event_id": "a", "type": "view", "extra": 1}]}`, 400, "unknown_field"},
		{`{}`, 422, "validation_failed"},
		{map[string]any{"events": make([]map[string]any, 51)}, 422, "validation_failed"},
	} {
		r := h.do(req{method: "POST", path: "/api/v1/videos/" + v + "/events", token: maker.Token, body: tc.body})
		if r.StatusCode != tc.status || r.problem(t).Code != tc.code {
			t.Errorf("%v: %d %s", tc.body, r.StatusCode, r.body)
		}
	}
	if r := h.events("nope", maker.Token, "", event("x", "view", 0, 0)); r.StatusCode != 422 || r.problem(t).Code != "validation_failed" ||
		!strings.Contains(string(r.body), `"field":"id"`) {
		t.Fatalf("missing video: %d %s; want 422 validation_failed naming id", r.StatusCode, r.body)
	}
	if n := h.count("video_events"); n != 0 {
		t.Fatalf("refused batches stored %d events", n)
	}
	for i := range 5 {
		h.events(v, maker.Token, "", event(fmt.Sprint("r", i), "progress", 0, 0))
	}
	r = h.events(v, maker.Token, "", event("over", "progress", 0, 0))
	if r.StatusCode != 429 || r.problem(t).Code != "too_many_events" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("over the rate: %d %s", r.StatusCode, r.body)
	}
}

// Over HTTPS the cookie is Secure.
func TestViewerCookieIsSecureOverHTTPS(t *testing.T) {
	h := newEngagementHarness(t, dbtest.Open(t, db.SQLite), engagement.Config{})
	v := h.readyVideo(h.register("maker").User.ID, 15_000)
	hr := httptest.NewRequest("POST", "/api/v1/videos/"+v+"/events", strings.NewReader(`{"events":[{"event_id":"s","type":"view"}]}`))
	hr.Header.Set("Content-Type", "application/json")
	hr.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, hr)
	res := w.Result()
	if res.StatusCode != 202 || len(res.Cookies()) != 1 || !res.Cookies()[0].Secure {
		t.Fatalf("HTTPS: %d %v", res.StatusCode, res.Header)
	}
}

func TestSignInAdoptsTheSignedOutHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newEngagementHarness(t, d, engagement.Config{})
		maker := h.register("maker")
		v1, v2 := h.readyVideo(maker.User.ID, 15_000, "cooking"), h.readyVideo(maker.User.ID, 15_000, "baking")
		ck := viewerCookie(h.events(v1, "", "", event("a", "view", 0, 0)))
		h.aggregate()
		// Registering with the cookie takes its history along and drops the cookie.
		r := h.do(req{method: "POST", path: "/api/v1/auth/register", header: map[string]string{"Cookie": "viewer_id=" + ck.Value},
			body: map[string]string{"email": "ana@example.com", "password": "correct horse battery", "handle": "ana", "display_name": "Ana"}})
		var ana session
		r.json(&ana)
		if gone := viewerCookie(r); r.StatusCode != 201 || gone == nil || gone.MaxAge >= 0 {
			t.Fatalf("register: %d, cookie %+v", r.StatusCode, gone)
		}
		// So does signing in, later, from another signed-out session.
		ck2 := viewerCookie(h.events(v2, "", "", event("b", "view", 0, 0)))
		r = h.do(req{method: "POST", path: "/api/v1/auth/login", header: map[string]string{"Cookie": "viewer_id=" + ck2.Value},
			body: map[string]string{"email": "ana@example.com", "password": "correct horse battery"}})
		if r.StatusCode != 200 || viewerCookie(r) == nil {
			t.Fatalf("login: %d %s", r.StatusCode, r.body)
		}
		h.aggregate()
		var ex struct {
			WatchHistory    []engagement.WatchRecord `json:"watch_history"`
			InterestProfile engagement.Profile       `json:"interest_profile"`
		}
		h.do(req{method: "GET", path: "/api/v1/me/export", token: ana.Token}).json(&ex)
		if len(ex.WatchHistory) != 2 || len(ex.InterestProfile.Hashtags) != 2 {
			t.Fatalf("export after sign-in: %+v", ex)
		}
	})
}

type likeState struct {
	Liked bool  `json:"liked"`
	Likes int64 `json:"likes"`
}

type commentJSON struct {
	ID         string  `json:"id"`
	ParentID   *string `json:"parent_id"`
	Body       string  `json:"body"`
	ReplyCount int     `json:"reply_count"`
	CanDelete  bool    `json:"can_delete"`
}

func TestLikesAndCommentsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newEngagementHarness(t, d, engagement.Config{})
		maker, ana, bo := h.register("maker"), h.register("ana"), h.register("bob")
		v := h.readyVideo(maker.User.ID, 15_000)
		like := "/api/v1/videos/" + v + "/like"
		var st likeState
		for range 2 {
			r := h.do(req{method: "PUT", path: like, token: ana.Token})
			r.json(&st)
			if r.StatusCode != 200 || !st.Liked || st.Likes != 1 {
				t.Fatalf("like: %d %s", r.StatusCode, r.body)
			}
		}
		h.do(req{method: "DELETE", path: like, token: ana.Token}).json(&st)
		if st.Liked || st.Likes != 0 {
			t.Fatalf("unlike: %+v", st)
		}
		if r := h.do(req{method: "PUT", path: like}); r.StatusCode != 401 {
			t.Fatalf("signed-out like: %d", r.StatusCode)
		}
		if r := h.do(req{method: "PUT", path: "/api/v1/videos/nope/like", token: ana.Token}); r.StatusCode != 404 {
			t.Fatalf("like a missing video: %d", r.StatusCode)
		}

		comments := "/api/v1/videos/" + v + "/comments"
		var top, reply commentJSON
		r := h.do(req{method: "POST", path: comments, token: ana.Token, body: map[string]any{"body": "Looks tasty 🍜"}})
		r.json(&top)
		if r.StatusCode != 201 || top.Body != "Looks tasty 🍜" || !top.CanDelete || top.ParentID != nil {
			t.Fatalf("comment: %d %s", r.StatusCode, r.body)
		}
		h.clock.add(time.Second)
		h.do(req{method: "POST", path: comments, token: bo.Token, body: map[string]any{"body": "agreed", "parent_id": top.ID}}).json(&reply)
		if reply.ParentID == nil || *reply.ParentID != top.ID {
			t.Fatalf("reply: %+v", reply)
		}
		r = h.do(req{method: "POST", path: comments, token: bo.Token, body: map[string]any{"body": strings.Repeat("x", 1001)}})
		if p := r.problem(t); r.StatusCode != 422 || p.Errors[0].Field != "body" {
			t.Fatalf("long comment: %d %s", r.StatusCode, r.body)
		}
		var page struct {
			Items      []commentJSON `json:"items"`
			NextCursor *string       `json:"next_cursor"`
		}
		h.do(req{method: "GET", path: comments}).json(&page)
		if len(page.Items) != 1 || page.Items[0].ReplyCount != 1 || page.Items[0].CanDelete || page.NextCursor != nil {
			t.Fatalf("anonymous listing: %+v", page)
		}
		h.do(req{method: "GET", path: comments + "?parent_id=" + top.ID + "&limit=1", token: maker.Token}).json(&page)
		if len(page.Items) != 1 || page.Items[0].ID != reply.ID || !page.Items[0].CanDelete {
			t.Fatalf("replies as the creator: %+v", page)
		}
		for _, q := range []string{"?limit=0", "?limit=x", "?cursor=%21%21"} {
			if r := h.do(req{method: "GET", path: comments + q}); r.StatusCode != 422 {
				t.Errorf("%s: %d %s", q, r.StatusCode, r.body)
			}
		}
		if r := h.do(req{method: "GET", path: comments + "?parent_id=nope"}); r.StatusCode != 404 || r.problem(t).Code != "comment_not_found" {
			t.Fatalf("replies of a missing comment: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "DELETE", path: "/api/v1/comments/" + top.ID, token: bo.Token}); r.StatusCode != 403 || r.problem(t).Code != "not_comment_author" {
			t.Fatalf("delete by another: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "DELETE", path: "/api/v1/comments/" + top.ID, token: ana.Token}); r.StatusCode != 204 {
			t.Fatalf("delete by the author: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "DELETE", path: "/api/v1/comments/" + top.ID, token: ana.Token}); r.StatusCode != 404 {
			t.Fatalf("delete again: %d", r.StatusCode)
		}
		h.do(req{method: "GET", path: comments}).json(&page)
		if len(page.Items) != 0 {
			t.Fatalf("after delete: %+v", page)
		}
	})
}

func TestAnalyticsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newEngagementHarness(t, d, engagement.Config{})
		maker, other := h.register("maker"), h.register("other")
		v := h.readyVideo(maker.User.ID, 5_000)
		h.events(v, other.Token, "", event("v", "view", 0, 0), event("p", "progress", 3_000, 3_000))
		h.do(req{method: "PUT", path: "/api/v1/videos/" + v + "/like", token: other.Token})
		h.aggregate()
		path := "/api/v1/videos/" + v + "/analytics"
		var a engagement.Analytics
		r := h.do(req{method: "GET", path: path, token: maker.Token})
		r.json(&a)
		last := a.Days[len(a.Days)-1]
		if r.StatusCode != 200 || len(a.Days) != 28 || last.Views != 1 || last.WatchMS != 3_000 || last.Likes != 1 ||
			fmt.Sprint(a.Retention.Viewers) != "[1 1 1 1 0 0]" {
			t.Fatalf("analytics: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "GET", path: path, token: other.Token}); r.StatusCode != 403 || r.problem(t).Code != "not_video_owner" {
			t.Fatalf("another user: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "GET", path: path}); r.StatusCode != 401 {
			t.Fatalf("signed out: %d", r.StatusCode)
		}
		r = h.do(req{method: "GET", path: path + "?from=2020-01-01", token: maker.Token})
		if p := r.problem(t); r.StatusCode != 422 || p.Errors[0].Field != "from" {
			t.Fatalf("a range too long: %d %s", r.StatusCode, r.body)
		}
	})
}

func TestExportAndDeleteCarryEngagement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newEngagementHarness(t, d, engagement.Config{})
		maker, leaver := h.register("maker"), h.register("leaver")
		v := h.readyVideo(maker.User.ID, 15_000, "cooking")
		h.events(v, leaver.Token, "", event("v", "view", 0, 0))
		h.do(req{method: "PUT", path: "/api/v1/videos/" + v + "/like", token: leaver.Token})
		h.do(req{method: "POST", path: "/api/v1/videos/" + v + "/comments", token: leaver.Token, body: map[string]any{"body": "bye"}})
		h.aggregate()
		var ex struct {
			Likes        []engagement.LikeRecord    `json:"likes"`
			Comments     []engagement.CommentRecord `json:"comments"`
			WatchHistory []engagement.WatchRecord   `json:"watch_history"`
			Profile      engagement.Profile         `json:"interest_profile"`
		}
		h.do(req{method: "GET", path: "/api/v1/me/export", token: leaver.Token}).json(&ex)
		if len(ex.Likes) != 1 || len(ex.Comments) != 1 || len(ex.WatchHistory) != 1 || ex.Profile.Hashtags[0].Tag != "cooking" {
			t.Fatalf("export: %+v", ex)
		}
		if r := h.do(req{method: "DELETE", path: "/api/v1/me", token: leaver.Token, body: map[string]string{"password": "correct horse battery"}}); r.StatusCode != 204 {
			t.Fatalf("delete me: %d %s", r.StatusCode, r.body)
		}
		var st likeState
		h.do(req{method: "DELETE", path: "/api/v1/videos/" + v + "/like", token: maker.Token}).json(&st)
		var page struct{ Items []commentJSON }
		h.do(req{method: "GET", path: "/api/v1/videos/" + v + "/comments"}).json(&page)
		if st.Likes != 0 || len(page.Items) != 0 {
			t.Fatalf("after deleting the account: %d likes, comments %+v", st.Likes, page.Items)
		}
		for _, table := range []string{"watch_history", "interest_weights", "video_events"} {
			var n int
			if err := d.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE viewer_id = $1`, leaver.User.ID).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s keeps %d rows (%v)", table, n, err)
			}
		}
	})
}
