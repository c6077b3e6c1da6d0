package api_test

import (
	"testing"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// The client address a session records is the TCP peer, unless the peer
// is a trusted proxy: then it is the last address in X-Forwarded-For that is
// not itself a trusted proxy. The harness's requests come from 192.0.2.10.
func TestClientAddressBehindTrustedProxy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		loginIP := func(h *harness, handle, forwarded string) string {
			t.Helper()
			h.register(handle)
			header := map[string]string{"X-Real-IP": "198.51.100.99"} // never read
			if forwarded != "" {
				header["X-Forwarded-For"] = forwarded
			}
			r := h.do(req{method: "POST", path: "/api/v1/auth/login", header: header,
				body: map[string]string{"email": handle + "@example.com", "password": "correct horse battery"}})
			var login struct {
				Token string `json:"token"`
			}
			r.json(&login)
			var ex struct {
				Sessions []struct {
					IP string `json:"ip"`
				} `json:"sessions"`
			}
			h.do(req{method: "GET", path: "/api/v1/me/export", token: login.Token}).json(&ex)
			if len(ex.Sessions) != 2 { // the registration's and the login's
				t.Fatalf("sessions = %+v", ex.Sessions)
			}
			return ex.Sessions[len(ex.Sessions)-1].IP
		}

		plain := newHarness(t, d)
		if ip := loginIP(plain, "ana", "203.0.113.7"); ip != "192.0.2.10" {
			t.Errorf("no trusted proxies: session IP %q; want the peer, 192.0.2.10 (X-Forwarded-For ignored)", ip)
		}

		behind := newHarnessWith(t, d, func(deps *api.Deps) { deps.TrustedProxies = []string{"192.0.2.0/24"} })
		for _, tc := range []struct{ handle, forwarded, want string }{
			{"bob", "203.0.113.7", "203.0.113.7"},
			// A client may send its own X-Forwarded-For: the proxy appends
			// the address it saw, and only that one is believed.
			{"cyd", "198.51.100.1, 203.0.113.8", "203.0.113.8"},
			// A chain of trusted proxies is walked back to the client.
			{"dia", "203.0.113.9, 192.0.2.77", "203.0.113.9"},
			// X-Real-IP is not read, even from a trusted proxy: a proxy that
			// sets only X-Forwarded-For passes a client's own through.
			{"eve", "", "192.0.2.10"},
		} {
			if ip := loginIP(behind, tc.handle, tc.forwarded); ip != tc.want {
				t.Errorf("X-Forwarded-For %q from a trusted proxy: session IP %q; want %q", tc.forwarded, ip, tc.want)
			}
		}
	})
}
