package api

import (
	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/feed/engagement"
)

// engagementExport names engagement's export so it can sit beside the
// account's in one JSON object.
type engagementExport = engagement.Export

// fullExport is GET /me/export: the account's export with engagement's
// fields (likes, comments, watch history, interest profile) beside it.
type fullExport struct {
	account.Export
	engagementExport
	Chat *chat.Export `json:"chat,omitempty"`
}

// withEngagement adds what engagement and chat keep about the caller to ex.
func (s *Server) withEngagement(c *gin.Context, ex account.Export) (fullExport, error) {
	out := fullExport{Export: ex}
	var err error
	if out.Chat, err = s.chatExport(c.Request.Context(), ex.User.ID); err != nil {
		return out, err
	}
	if s.engagement == nil {
		return out, nil
	}
	out.engagementExport, err = s.engagement.Export(c.Request.Context(), ex.User.ID)
	return out, err
}
