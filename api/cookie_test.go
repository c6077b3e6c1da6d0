package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// browser keeps the cookies a harness's answers set, as a browser would.
type browser struct {
	h       *harness
	cookies map[string]*http.Cookie
}

func newBrowser(h *harness) *browser { return &browser{h: h, cookies: map[string]*http.Cookie{}} }

// do sends r with the cookies held and the CSRF header when csrf is set, and keeps what the answer sets.
func (b *browser) do(r req, csrf bool) *response {
	b.h.t.Helper()
	if r.header == nil {
		r.header = map[string]string{}
	}
	var parts []string
	for _, c := range b.cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	r.header["Cookie"] = strings.Join(parts, "; ")
	if csrf {
		r.header["X-CSRF-Token"] = b.value("reelmart_csrf")
	}
	resp := b.h.do(r)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return resp
}

func (b *browser) value(name string) string {
	if c, ok := b.cookies[name]; ok {
		return c.Value
	}
	return ""
}

func newCookieHarness(t *testing.T, d *db.DB, publicURL string) *harness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	blobs, ix := localEngines(t)
	svc := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, c.now)
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	srv := api.New(api.Deps{Accounts: testAccounts(d, c.now), Catalog: svc, Checks: checks, PublicURL: publicURL})
	return &harness{t: t, db: d, srv: srv, clock: c, checks: checks}
}

func TestCookieSession(t *testing.T) {
	h := newCookieHarness(t, dbtest.Open(t, db.SQLite), "http://127.0.0.1:8080")
	b := newBrowser(h)

	r := b.do(req{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": "cara@example.com", "password": "correct horse battery", "handle": "cara", "display_name": "Cara"}}, false)
	if r.StatusCode != 201 {
		t.Fatalf("register: %d %s", r.StatusCode, r.body)
	}
	var sess session
	r.json(&sess)
	set := map[string]*http.Cookie{}
	for _, c := range r.Cookies() {
		set[c.Name] = c
	}
	sc, cc := set["reelmart_session"], set["reelmart_csrf"]
	if sc == nil || cc == nil {
		t.Fatalf("register set cookies %v", r.Header.Values("Set-Cookie"))
	}
	if sc.Value != sess.Token || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/" || sc.MaxAge <= 0 {
		t.Fatalf("session cookie %+v", sc)
	}
	if cc.HttpOnly || cc.Value == "" || cc.Value == sess.Token || strings.Contains(cc.Value, sess.Token) {
		t.Fatalf("csrf cookie %+v must be readable by script and not reveal the session", cc)
	}

	// Reads need no CSRF header.
	var me profile
	if r := b.do(req{method: "GET", path: "/api/v1/me"}, false); r.StatusCode != 200 {
		t.Fatalf("GET /me by cookie: %d %s", r.StatusCode, r.body)
	} else if r.json(&me); me.Handle != "cara" {
		t.Fatalf("me = %+v", me)
	}

	// A change without the header, or with a wrong one, is refused and changes nothing.
	shop := map[string]string{"name": "Cara's Corner"}
	for _, hdr := range []map[string]string{nil, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": sess.Token}} {
		r := b.do(req{method: "POST", path: "/api/v1/shops", body: shop, header: hdr}, false)
		if r.StatusCode != 403 || r.problem(t).Code != "csrf_failed" {
			t.Fatalf("POST /shops with header %v: %d %s", hdr, r.StatusCode, r.body)
		}
	}
	if n := h.count("shops"); n != 0 {
		t.Fatalf("a refused request made %d shops", n)
	}
	if r := b.do(req{method: "POST", path: "/api/v1/shops", body: shop}, true); r.StatusCode != 201 {
		t.Fatalf("POST /shops with the CSRF header: %d %s", r.StatusCode, r.body)
	}

	// Bearer clients are unchanged: no CSRF header, and the bearer wins over a cookie.
	other := h.register("dee")
	r = h.do(req{method: "POST", path: "/api/v1/shops", token: other.Token, body: map[string]string{"name": "Dee's"},
		header: map[string]string{"Cookie": "reelmart_session=" + sess.Token}})
	var created shopJSON
	if r.json(&created); r.StatusCode != 201 || created.OwnerID != other.User.ID {
		t.Fatalf("bearer with a stray cookie: %d %s", r.StatusCode, r.body)
	}

	// Sign-out by cookie needs the header too, ends the session and clears both cookies.
	old := b.value("reelmart_session")
	if r := b.do(req{method: "POST", path: "/api/v1/auth/logout"}, false); r.StatusCode != 403 {
		t.Fatalf("logout without CSRF: %d", r.StatusCode)
	}
	if r := b.do(req{method: "POST", path: "/api/v1/auth/logout"}, true); r.StatusCode != 204 {
		t.Fatalf("logout: %d %s", r.StatusCode, r.body)
	}
	if b.value("reelmart_session") != "" || b.value("reelmart_csrf") != "" {
		t.Fatalf("logout left cookies %v", b.cookies)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/me", token: old}); r.StatusCode != 401 {
		t.Fatalf("the session outlived logout: %d", r.StatusCode)
	}

	// A stale cookie does not break public pages: answered as anonymous, and cleared.
	r = h.do(req{method: "GET", path: "/api/v1/users/" + other.User.ID, header: map[string]string{"Cookie": "reelmart_session=" + old}})
	if r.StatusCode != 200 {
		t.Fatalf("public page with a stale cookie: %d %s", r.StatusCode, r.body)
	}
	cleared := false
	for _, c := range r.Cookies() {
		cleared = cleared || (c.Name == "reelmart_session" && c.MaxAge < 0)
	}
	if !cleared {
		t.Fatalf("stale cookie not cleared: %v", r.Header.Values("Set-Cookie"))
	}
	if r := h.do(req{method: "GET", path: "/api/v1/me", header: map[string]string{"Cookie": "reelmart_session=" + old}}); r.StatusCode != 401 || r.problem(t).Code != "auth_required" {
		t.Fatalf("/me with a stale cookie: %d %s", r.StatusCode, r.body)
	}

	// Login sets the cookies as register does.
	r = b.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "cara@example.com", "password": "correct horse battery"}}, false)
	if r.StatusCode != 200 || b.value("reelmart_session") == "" || b.value("reelmart_csrf") == "" {
		t.Fatalf("login: %d cookies %v", r.StatusCode, b.cookies)
	}
}

func TestCookieSecureOverHTTPS(t *testing.T) {
	h := newCookieHarness(t, dbtest.Open(t, db.SQLite), "https://reelmart.example")
	r := h.do(req{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": "eve@example.com", "password": "correct horse battery", "handle": "eve", "display_name": "Eve"}})
	if r.StatusCode != 201 {
		t.Fatalf("register: %d %s", r.StatusCode, r.body)
	}
	for _, c := range r.Cookies() {
		if !c.Secure || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie %s over https: %+v", c.Name, c)
		}
	}
	if len(r.Cookies()) != 2 {
		t.Fatalf("cookies: %v", r.Header.Values("Set-Cookie"))
	}
}

func TestMyShops(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCookieHarness(t, d, "")
		ana, bo := h.register("ana"), h.register("bob")
		var page struct {
			Items []shopJSON `json:"items"`
		}
		r := h.do(req{method: "GET", path: "/api/v1/me/shops", token: ana.Token})
		if r.json(&page); r.StatusCode != 200 || page.Items == nil || len(page.Items) != 0 {
			t.Fatalf("no shops yet: %d %s", r.StatusCode, r.body)
		}
		for _, name := range []string{"Ana One", "Ana Two"} {
			if r := h.do(req{method: "POST", path: "/api/v1/shops", token: ana.Token, body: map[string]string{"name": name}}); r.StatusCode != 201 {
				t.Fatalf("create %s: %d", name, r.StatusCode)
			}
		}
		h.do(req{method: "POST", path: "/api/v1/shops", token: bo.Token, body: map[string]string{"name": "Bo's"}})
		h.do(req{method: "GET", path: "/api/v1/me/shops", token: ana.Token}).json(&page)
		if len(page.Items) != 2 || page.Items[0].Name != "Ana One" || page.Items[1].Name != "Ana Two" || page.Items[0].OwnerID != ana.User.ID {
			t.Fatalf("ana's shops: %+v", page.Items)
		}
		if r := h.do(req{method: "GET", path: "/api/v1/me/shops"}); r.StatusCode != 401 {
			t.Fatalf("anonymous: %d", r.StatusCode)
		}
	})
}
