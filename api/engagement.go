package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/feed/engagement"
)

// engagementRoutes registers watch events, likes, comments and analytics.
func (s *Server) engagementRoutes(v1 *gin.RouterGroup) {
	v1.POST("/videos/:id/events", s.postEvents)
	v1.PUT("/videos/:id/like", s.requireUser, s.like)
	v1.DELETE("/videos/:id/like", s.requireUser, s.unlike)
	v1.GET("/videos/:id/comments", s.listComments)
	v1.POST("/videos/:id/comments", s.requireUser, s.postComment)
	v1.DELETE("/comments/:id", s.requireUser, s.deleteComment)
	v1.GET("/videos/:id/analytics", s.requireUser, s.videoAnalytics)
}

// postEvents answers 202 once the batch is stored; signed-out viewers are
// named by the viewer_id cookie, which is set here when missing (see
// eventViewerID).
func (s *Server) postEvents(c *gin.Context) {
	var in struct {
		Events []engagement.Event `json:"events"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	viewer, err := s.eventViewerID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rec, err := s.engagement.Record(c.Request.Context(), viewer, c.Param("id"), c.ClientIP(), in.Events)
	s.reply(c, http.StatusAccepted, rec, err)
}

func (s *Server) like(c *gin.Context) {
	st, err := s.engagement.Like(c.Request.Context(), mustUser(c).ID, c.Param("id"))
	s.reply(c, http.StatusOK, st, err)
}

func (s *Server) unlike(c *gin.Context) {
	st, err := s.engagement.Unlike(c.Request.Context(), mustUser(c).ID, c.Param("id"))
	s.reply(c, http.StatusOK, st, err)
}

type commentPage struct {
	Items      []engagement.Comment `json:"items"`
	NextCursor *string              `json:"next_cursor"`
}

func (s *Server) listComments(c *gin.Context) {
	limit := 0
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > engagement.MaxCommentPageSize {
			s.fail(c, reelmart.Invalid([]reelmart.FieldError{{Field: "limit", Message: "must be a whole number from 1 to 100"}}))
			return
		}
		limit = n
	}
	viewer, _ := currentUser(c)
	page, err := s.engagement.Comments(c.Request.Context(), viewer.ID, c.Param("id"), c.Query("parent_id"), c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := commentPage{Items: page.Items}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) postComment(c *gin.Context) {
	var in engagement.NewComment
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	cm, err := s.engagement.PostComment(c.Request.Context(), mustUser(c).ID, c.Param("id"), in)
	s.reply(c, http.StatusCreated, cm, err)
}

func (s *Server) deleteComment(c *gin.Context) {
	if err := s.engagement.DeleteComment(c.Request.Context(), mustUser(c).ID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) videoAnalytics(c *gin.Context) {
	a, err := s.engagement.VideoAnalytics(c.Request.Context(), mustUser(c).ID, c.Param("id"), c.Query("from"), c.Query("to"))
	s.reply(c, http.StatusOK, a, err)
}
