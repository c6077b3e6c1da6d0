package api

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart/account"
)

// profileRoutes registers profile editing and avatars. The avatar upload
// gets its own group: its body limit is the image limit, not the API's
// JSON limit.
func (s *Server) profileRoutes(e *gin.Engine, v1 *gin.RouterGroup) {
	v1.PATCH("/me", s.requireUser, s.updateMe)
	v1.DELETE("/me/avatar", s.requireUser, s.removeAvatar)
	v1.GET("/users/:id/avatars/:avatar_id/:variant", s.serveAvatar)
	uploads := e.Group("/api/v1", limitImageBody(s.accounts.MaxAvatarBytes), s.optionalUser)
	uploads.PUT("/me/avatar", s.requireUser, s.setAvatar)
}

// updateMe, setAvatar and removeAvatar answer as GET /me does, so a client
// redraws the profile from the answer.
func (s *Server) updateMe(c *gin.Context) {
	var in account.ProfilePatch
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.accounts.UpdateProfile(c.Request.Context(), mustUser(c).ID, in)
	s.replyMe(c, u, err)
}

func (s *Server) setAvatar(c *gin.Context) {
	var u account.User
	err := imagePart(c, func(r io.Reader) (err error) {
		u, err = s.accounts.SetAvatar(c.Request.Context(), mustUser(c).ID, r)
		return err
	})
	s.replyMe(c, u, err)
}

func (s *Server) removeAvatar(c *gin.Context) {
	u, err := s.accounts.RemoveAvatar(c.Request.Context(), mustUser(c).ID)
	s.replyMe(c, u, err)
}

// replyMe answers with u's own profile: counts, and the email only its owner sees.
func (s *Server) replyMe(c *gin.Context, u account.User, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.accounts.ProfileOf(c.Request.Context(), u, "")
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Email = u.Email // the owner sees their own email
	unread, err := s.unread(c.Request.Context(), u.ID)
	s.reply(c, http.StatusOK, struct {
		account.Profile
		UnreadCount *int64 `json:"unread_count,omitempty"`
	}{p, unread}, err)
}

// serveAvatar streams an avatar variant. An avatar id never gets new bytes.
func (s *Server) serveAvatar(c *gin.Context) {
	store, key, err := s.accounts.AvatarBlob(c.Request.Context(), c.Param("id"), c.Param("avatar_id"), c.Param("variant"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.serveImmutable(c, store, key, account.ErrAvatarNotFound)
}
