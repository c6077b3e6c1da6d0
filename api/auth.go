package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
)

const userKey = "reelmart.user"

var errAuthRequired = &reelmart.Error{Kind: reelmart.KindUnauthenticated, Code: "auth_required", Message: "sign in first: send Authorization: Bearer <token>"}

// bearer returns the token of an "Authorization: Bearer …" header, and
// whether the header was present at all.
func bearer(c *gin.Context) (token string, present bool) {
	h := c.GetHeader("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

// optionalUser resolves the caller when a token is sent, else from the web
// app's session cookie (cookieUser). A bad bearer token is an error even on
// public routes: silently treating it as anonymous would hide a client bug
// behind wrong answers.
func (s *Server) optionalUser(c *gin.Context) {
	token, present := bearer(c)
	if !present {
		s.cookieUser(c)
		return
	}
	if token == "" {
		writeProblem(c, account.ErrInvalidToken)
		return
	}
	u, err := s.accounts.Authenticate(c.Request.Context(), token)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(userKey, u)
	c.Set(sessionTokenKey, token)
	c.Next()
}

// requireUser stops anonymous requests with 401 auth_required.
func (s *Server) requireUser(c *gin.Context) {
	if _, ok := currentUser(c); !ok {
		writeProblem(c, errAuthRequired)
		return
	}
	c.Next()
}

func currentUser(c *gin.Context) (account.User, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return account.User{}, false
	}
	u, ok := v.(account.User)
	return u, ok
}

func mustUser(c *gin.Context) account.User {
	u, _ := currentUser(c)
	return u
}

func client(c *gin.Context) account.Client {
	return account.Client{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
}

type sessionResponse struct {
	User      account.User `json:"user"`
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"`
}

func (s *Server) register(c *gin.Context) {
	var in account.Registration
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	u, sess, err := s.accounts.Register(c.Request.Context(), in, client(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.adoptViewer(c, u.ID)
	c.Header("Location", "/api/v1/users/"+u.ID)
	s.setSessionCookies(c, sess)
	c.JSON(http.StatusCreated, sessionResponse{User: u, Token: sess.Token, ExpiresAt: sess.ExpiresAt})
}

func (s *Server) login(c *gin.Context) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	u, sess, err := s.accounts.Login(c.Request.Context(), in.Email, in.Password, client(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.adoptViewer(c, u.ID)
	s.setSessionCookies(c, sess)
	c.JSON(http.StatusOK, sessionResponse{User: u, Token: sess.Token, ExpiresAt: sess.ExpiresAt})
}

func (s *Server) logout(c *gin.Context) {
	if err := s.accounts.Logout(c.Request.Context(), c.GetString(sessionTokenKey)); err != nil {
		s.fail(c, err)
		return
	}
	s.clearSessionCookies(c)
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) { s.replyMe(c, mustUser(c), nil) }

func (s *Server) export(c *gin.Context) {
	ex, err := s.accounts.Export(c.Request.Context(), mustUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	full, err := s.withEngagement(c, ex)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="reelmart-export.json"`)
	c.JSON(http.StatusOK, full)
}

func (s *Server) deleteMe(c *gin.Context) {
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.accounts.Delete(c.Request.Context(), mustUser(c).ID, in.Password); err != nil {
		s.fail(c, err)
		return
	}
	s.clearSessionCookies(c)
	c.Status(http.StatusNoContent)
}
