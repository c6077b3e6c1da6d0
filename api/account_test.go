package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

type profile struct {
	ID             string `json:"id"`
	Email          string `json:"email"`
	Handle         string `json:"handle"`
	FollowerCount  int    `json:"follower_count"`
	FollowingCount int    `json:"following_count"`
	IsFollowing    bool   `json:"is_following"`
}

func TestAccountJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		ana := h.register("ana")
		bo := h.register("bob")

		r := h.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "ANA@example.com", "password": "correct horse battery"}})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("login: %d %s", r.StatusCode, r.body)
		}
		var login session
		r.json(&login)
		if login.User.ID != ana.User.ID || login.Token == ana.Token {
			t.Fatalf("login gave %+v", login)
		}

		var me profile
		h.do(req{method: "GET", path: "/api/v1/me", token: login.Token}).json(&me)
		if me.ID != ana.User.ID || me.Email != "ana@example.com" {
			t.Fatalf("me = %+v", me)
		}

		var p profile
		r = h.do(req{method: "PUT", path: "/api/v1/users/" + bo.User.ID + "/follow", token: ana.Token})
		r.json(&p)
		if r.StatusCode != 200 || p.FollowerCount != 1 || !p.IsFollowing || p.Email != "" {
			t.Fatalf("follow: %d %+v", r.StatusCode, p)
		}
		h.do(req{method: "PUT", path: "/api/v1/users/" + bo.User.ID + "/follow", token: ana.Token}).json(&p)
		if p.FollowerCount != 1 {
			t.Fatalf("second follow counted twice: %+v", p)
		}
		h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID}).json(&p)
		if p.FollowingCount != 1 || p.IsFollowing || p.Email != "" {
			t.Fatalf("ana seen anonymously: %+v", p)
		}
		h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID, token: bo.Token}).json(&p)
		if p.IsFollowing {
			t.Fatal("bo does not follow ana")
		}
		h.do(req{method: "DELETE", path: "/api/v1/users/" + bo.User.ID + "/follow", token: ana.Token}).json(&p)
		if p.FollowerCount != 0 || p.IsFollowing {
			t.Fatalf("unfollow: %+v", p)
		}
		if r := h.do(req{method: "PUT", path: "/api/v1/users/" + ana.User.ID + "/follow", token: ana.Token}); r.StatusCode != 422 || r.problem(t).Code != "cannot_follow_self" {
			t.Fatalf("self-follow: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "GET", path: "/api/v1/users/nope"}); r.StatusCode != 404 || r.problem(t).Code != "user_not_found" {
			t.Fatalf("missing user: %d %s", r.StatusCode, r.body)
		}

		var ex struct {
			User     profile `json:"user"`
			Sessions []any   `json:"sessions"`
		}
		r = h.do(req{method: "GET", path: "/api/v1/me/export", token: ana.Token})
		r.json(&ex)
		if ex.User.Email != "ana@example.com" || len(ex.Sessions) != 2 || r.Header.Get("Content-Disposition") == "" {
			t.Fatalf("export: %s", r.body)
		}

		if r := h.do(req{method: "POST", path: "/api/v1/auth/logout", token: login.Token}); r.StatusCode != 204 {
			t.Fatalf("logout: %d", r.StatusCode)
		}
		r = h.do(req{method: "GET", path: "/api/v1/me", token: login.Token})
		if r.StatusCode != 401 || r.problem(t).Code != "invalid_token" {
			t.Fatalf("me after logout: %d %s", r.StatusCode, r.body)
		}
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 without WWW-Authenticate")
		}

		if r := h.do(req{method: "DELETE", path: "/api/v1/me", token: bo.Token, body: map[string]string{"password": "correct horse battery"}}); r.StatusCode != 204 {
			t.Fatalf("delete me: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "GET", path: "/api/v1/users/" + bo.User.ID}); r.StatusCode != 404 {
			t.Fatalf("deleted user still visible: %d", r.StatusCode)
		}
	})
}

func TestRegisterConflictsAndValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		h.register("taken")
		for _, tc := range []struct {
			body map[string]string
			code string
		}{
			{map[string]string{"email": "TAKEN@example.com", "password": "0123456789", "handle": "fresh", "display_name": "F"}, "email_taken"},
			{map[string]string{"email": "fresh@example.com", "password": "0123456789", "handle": "Taken", "display_name": "F"}, "handle_taken"},
		} {
			r := h.do(req{method: "POST", path: "/api/v1/auth/register", body: tc.body})
			if r.StatusCode != 409 || r.problem(t).Code != tc.code {
				t.Fatalf("%v: %d %s", tc.body, r.StatusCode, r.body)
			}
		}
		r := h.do(req{method: "POST", path: "/api/v1/auth/register", body: map[string]string{"email": "x", "password": "short", "handle": "a b", "display_name": ""}})
		p := r.problem(t)
		if r.StatusCode != 422 || p.Code != "validation_failed" || len(p.Errors) != 4 {
			t.Fatalf("invalid registration: %d %s", r.StatusCode, r.body)
		}
		fields := map[string]bool{}
		for _, e := range p.Errors {
			fields[e.Field] = e.Message != ""
		}
		for _, f := range []string{"email", "password", "handle", "display_name"} {
			if !fields[f] {
				t.Errorf("no message for field %s in %s", f, r.body)
			}
		}
		if n := h.count("users"); n != 1 {
			t.Fatalf("rejected registrations stored users: %d", n)
		}
	})
}

func TestLoginThrottledOverHTTP(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, db.SQLite))
	h.register("target")
	for i := 0; i < 5; i++ {
		r := h.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "target@example.com", "password": "wrong guess!"}})
		if r.StatusCode != 401 || r.problem(t).Code != "invalid_credentials" {
			t.Fatalf("attempt %d: %d %s", i, r.StatusCode, r.body)
		}
	}
	r := h.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "target@example.com", "password": "correct horse battery"}})
	if r.StatusCode != 429 || r.problem(t).Code != "too_many_attempts" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("throttled login: %d %s %v", r.StatusCode, r.body, r.Header)
	}
}

func TestExpiredToken(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, db.SQLite))
	s := h.register("sleepy")
	h.clock.add(2 * time.Hour)
	r := h.do(req{method: "GET", path: "/api/v1/me", token: s.Token})
	if r.StatusCode != 401 || r.problem(t).Code != "session_expired" {
		t.Fatalf("expired token: %d %s", r.StatusCode, r.body)
	}
	// An expired token on a public route is still reported, not ignored.
	r = h.do(req{method: "GET", path: "/api/v1/users/" + s.User.ID, token: s.Token})
	if r.StatusCode != 401 || r.problem(t).Code != "session_expired" {
		t.Fatalf("expired token on public route: %d %s", r.StatusCode, r.body)
	}
}
