package api

import (
	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart/account"
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
}

// withEngagement adds what engagement keeps about the caller to ex.
func (s *Server) withEngagement(c *gin.Context, ex account.Export) (fullExport, error) {
	out := fullExport{Export: ex}
	if s.engagement == nil {
		return out, nil
	}
	var err error
	out.engagementExport, err = s.engagement.Export(c.Request.Context(), ex.User.ID)
	return out, err
}
