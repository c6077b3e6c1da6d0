package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart/feed/engagement"
)

// viewerCookie carries a signed-out viewer's id, signed by engagement.
const viewerCookie = "viewer_id"

// viewerCookieAge is how long a signed-out viewer keeps their history on a browser.
const viewerCookieAge = 365 * 24 * 3600

// viewerID returns who is watching: the signed-in user's id, or the
// signed-out viewer's from the viewer_id cookie. A signed-out caller
// without a valid cookie is given a new id and the cookie that carries it.
func (s *Server) viewerID(c *gin.Context) (string, error) {
	return s.viewer(c, func(context.Context) (string, error) { return engagement.NewViewerID(), nil })
}

// eventViewerID is viewerID for watch events: a signed-out caller without a
// valid cookie is named by its address and user agent rather than a new
// random id, so dropping the cookie before each batch cannot count a view
// again. Its first batch usually comes after the feed has set a cookie;
// only a client that keeps none, or opens a video first, is named this way.
func (s *Server) eventViewerID(c *gin.Context) (string, error) {
	return s.viewer(c, func(ctx context.Context) (string, error) {
		return s.engagement.AddressViewerID(ctx, c.ClientIP(), c.Request.UserAgent())
	})
}

func (s *Server) viewer(c *gin.Context, mint func(context.Context) (string, error)) (string, error) {
	if u, ok := currentUser(c); ok {
		return u.ID, nil
	}
	ctx := c.Request.Context()
	if raw, err := c.Cookie(viewerCookie); err == nil {
		id, ok, err := s.engagement.VerifyViewer(ctx, raw)
		if err != nil {
			return "", err
		}
		if ok {
			return id, nil
		}
	}
	id, err := mint(ctx)
	if err != nil {
		return "", err
	}
	value, err := s.engagement.SignViewer(ctx, id)
	if err != nil {
		return "", err
	}
	s.setViewerCookie(c, value, viewerCookieAge)
	return id, nil
}

func (s *Server) setViewerCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: viewerCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil,
	})
}

// adoptViewer merges the history of the signed-out viewer in the request's
// viewer_id cookie into userID's account, at sign-in and registration, and
// drops the cookie. A failure is logged, not returned: signing in must not
// fail over it, and the cookie stays so the next sign-in tries again.
func (s *Server) adoptViewer(c *gin.Context, userID string) {
	raw, err := c.Cookie(viewerCookie)
	if err != nil || s.engagement == nil {
		return
	}
	ctx := c.Request.Context()
	id, ok, err := s.engagement.VerifyViewer(ctx, raw)
	if err == nil && ok {
		err = s.engagement.MergeViewer(ctx, id, userID)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "merge signed-out history into account", "request_id", requestID(c), "user_id", userID, "err", err)
		return
	}
	s.setViewerCookie(c, "", -1)
}
