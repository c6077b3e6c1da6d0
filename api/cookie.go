package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
)

// The web app's session rides in cookies so that no script can read the
// session token: the API keeps bearer tokens for every other client.
const (
	// sessionCookie holds the session token; HttpOnly.
	sessionCookie = "reelmart_session"
	// csrfCookie holds the CSRF token the app echoes in csrfHeader; readable
	// by the app's script, which is the point.
	csrfCookie = "reelmart_csrf"
	csrfHeader = "X-CSRF-Token"
	// sessionTokenKey is the gin context key of the caller's session token,
	// whichever way it came.
	sessionTokenKey = "reelmart.session_token"
)

var errCSRF = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "csrf_failed",
	Message: "a request signed in by cookie that changes something must send the " + csrfHeader + " header with the value of the " + csrfCookie + " cookie"}

// csrfToken derives the CSRF token from the session token. Bound to the
// session, it cannot be planted by anyone who can only set cookies (a
// sibling subdomain), which a random double-submit token could be; and a
// hash keeps the session token itself out of script's reach. The prefix
// separates it from the SHA-256 the sessions table stores.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("reelmart-csrf\x00" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func validCSRF(header, session string) bool {
	return header != "" && subtle.ConstantTimeCompare([]byte(header), []byte(csrfToken(session))) == 1
}

// safeMethod reports whether m changes nothing by definition (RFC 9110 §9.2.1).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// setSessionCookies hands the browser the session and its CSRF token, both
// expiring with the session. SameSite=Lax keeps the session off cross-site
// subresource and POST requests; Secure follows the scheme browsers use.
func (s *Server) setSessionCookies(c *gin.Context, sess account.Session) {
	s.writeCookies(c, sess.Token, csrfToken(sess.Token), sess.ExpiresAt)
}

// clearSessionCookies tells the browser to forget both cookies.
func (s *Server) clearSessionCookies(c *gin.Context) {
	s.writeCookies(c, "", "", time.Unix(0, 0))
}

func (s *Server) writeCookies(c *gin.Context, session, csrf string, expires time.Time) {
	secure := s.secureCookies || c.Request.TLS != nil
	maxAge := int(time.Until(expires).Seconds())
	if session == "" || maxAge <= 0 {
		maxAge = -1 // "Max-Age=0": delete now
	}
	for _, ck := range []*http.Cookie{
		{Name: sessionCookie, Value: session, HttpOnly: true},
		{Name: csrfCookie, Value: csrf},
	} {
		ck.Path, ck.Expires, ck.MaxAge, ck.Secure, ck.SameSite = "/", expires, maxAge, secure, http.SameSiteLaxMode
		http.SetCookie(c.Writer, ck)
	}
}

// cookieUser resolves the caller from the session cookie, for requests
// without an Authorization header. A cookie whose session is gone or expired
// is cleared and the request goes on anonymously: a stale cookie must not
// break public pages (routes that need a user still answer 401). A request
// that changes something must carry the session's CSRF token, or it is
// 403 csrf_failed before any handler runs.
func (s *Server) cookieUser(c *gin.Context) {
	ck, err := c.Request.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		c.Next()
		return
	}
	u, err := s.accounts.Authenticate(c.Request.Context(), ck.Value)
	if err != nil {
		if e := reelmart.AsError(err); e != nil && e.Kind == reelmart.KindUnauthenticated {
			s.clearSessionCookies(c)
			c.Next()
			return
		}
		s.fail(c, err)
		return
	}
	if !safeMethod(c.Request.Method) && !validCSRF(c.GetHeader(csrfHeader), ck.Value) {
		writeProblem(c, errCSRF)
		return
	}
	c.Set(userKey, u)
	c.Set(sessionTokenKey, ck.Value)
	c.Next()
}
