package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/chat"
)

// chatRoutes registers threads, messages, read marks, blocks and the socket.
func (s *Server) chatRoutes(v1 *gin.RouterGroup) {
	v1.PUT("/users/:id/block", s.requireUser, s.block)
	v1.DELETE("/users/:id/block", s.requireUser, s.unblock)
	v1.POST("/threads", s.requireUser, s.openThread)
	v1.GET("/threads", s.requireUser, s.listThreads)
	v1.GET("/threads/:id", s.requireUser, s.getThread)
	v1.GET("/threads/:id/messages", s.requireUser, s.listMessages)
	v1.POST("/threads/:id/messages", s.requireUser, s.sendMessage)
	v1.POST("/threads/:id/read", s.requireUser, s.markRead)
	v1.GET("/ws", s.socket)
}

func (s *Server) block(c *gin.Context) {
	err := s.accounts.Block(c.Request.Context(), mustUser(c).ID, c.Param("id"))
	s.reply(c, http.StatusNoContent, nil, err)
}

func (s *Server) unblock(c *gin.Context) {
	err := s.accounts.Unblock(c.Request.Context(), mustUser(c).ID, c.Param("id"))
	s.reply(c, http.StatusNoContent, nil, err)
}

func (s *Server) openThread(c *gin.Context) {
	var in chat.ThreadInput
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	th, created, err := s.chat.Open(c.Request.Context(), mustUser(c).ID, in)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", "/api/v1/threads/"+th.ID)
	}
	s.reply(c, status, th, err)
}

func (s *Server) listThreads(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := limitParam(c, &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.chat.Threads(c.Request.Context(), mustUser(c).ID, c.Query("cursor"), limit)
	s.reply(c, http.StatusOK, chatPage(page), err)
}

func (s *Server) getThread(c *gin.Context) {
	th, err := s.chat.Thread(c.Request.Context(), mustUser(c).ID, c.Param("id"))
	s.reply(c, http.StatusOK, th, err)
}

func (s *Server) listMessages(c *gin.Context) {
	var bad []reelmart.FieldError
	before := queryInt(c, "before_seq", &bad)
	if before != nil && *before < 1 {
		bad = append(bad, reelmart.FieldError{Field: "before_seq", Message: "must be 1 or more"})
	}
	limit := queryInt(c, "limit", &bad)
	if limit != nil && (*limit < 1 || *limit > chat.MaxMessageLimit) {
		bad = append(bad, reelmart.FieldError{Field: "limit", Message: "must be from 1 to " + strconv.Itoa(chat.MaxMessageLimit)})
	}
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	var b, l int64
	if before != nil {
		b = *before
	}
	if limit != nil {
		l = *limit
	}
	page, err := s.chat.Messages(c.Request.Context(), mustUser(c).ID, c.Param("id"), b, int(l))
	s.reply(c, http.StatusOK, chatPage(page), err)
}

func (s *Server) sendMessage(c *gin.Context) {
	var in chat.MessageInput
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	m, created, err := s.chat.Send(c.Request.Context(), mustUser(c).ID, c.Param("id"), in, chat.ViaHTTP)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.reply(c, status, m, err)
}

func (s *Server) markRead(c *gin.Context) {
	var in struct {
		Seq *int64 `json:"seq"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	if in.Seq == nil {
		s.fail(c, reelmart.Invalid([]reelmart.FieldError{{Field: "seq", Message: "is required"}}))
		return
	}
	st, err := s.chat.MarkRead(c.Request.Context(), mustUser(c).ID, c.Param("id"), *in.Seq)
	s.reply(c, http.StatusOK, st, err)
}

func chatPage[T any](p chat.Page[T]) pageJSON[T] {
	out := pageJSON[T]{Items: p.Items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if p.NextCursor != "" {
		out.NextCursor = &p.NextCursor
	}
	return out
}

// unread is /me's badge: the caller's unread chat messages, or nil when
// this server has no chat.
func (s *Server) unread(ctx context.Context, userID string) (*int64, error) {
	if s.chat == nil {
		return nil, nil
	}
	n, err := s.chat.Unread(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// chatExport is the chat part of /me/export, or nil when this server has no chat.
func (s *Server) chatExport(ctx context.Context, userID string) (*chat.Export, error) {
	if s.chat == nil {
		return nil, nil
	}
	ex, err := s.chat.Export(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &ex, nil
}
