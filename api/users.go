package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) profile(c *gin.Context) {
	viewer, _ := currentUser(c)
	p, err := s.accounts.Profile(c.Request.Context(), c.Param("id"), viewer.ID)
	s.reply(c, http.StatusOK, p, err)
}

// follow and unfollow answer with the followee's updated profile, so a client
// can redraw the button and the counts without a second request.
func (s *Server) follow(c *gin.Context) {
	me, id := mustUser(c), c.Param("id")
	if err := s.accounts.Follow(c.Request.Context(), me.ID, id); err != nil {
		s.fail(c, err)
		return
	}
	s.profile(c)
}

func (s *Server) unfollow(c *gin.Context) {
	me, id := mustUser(c), c.Param("id")
	if err := s.accounts.Unfollow(c.Request.Context(), me.ID, id); err != nil {
		s.fail(c, err)
		return
	}
	s.profile(c)
}
