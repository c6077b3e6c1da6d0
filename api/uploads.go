package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart/media"
)

// tus serves the tus 1.0 upload endpoints. They sit outside the JSON body
// limit (a PATCH carries a chunk of the video) but behind the same
// authentication; every refusal, Reelmart's or tusd's, is problem+json.
func (s *Server) tus(c *gin.Context) {
	c.Header("Tus-Resumable", "1.0.0")
	u, _ := currentUser(c)
	err := s.media.ServeTus(c.Writer, c.Request, u.ID, c.Param("id"))
	if err == nil {
		return
	}
	var pe *media.ProtocolError
	if errors.As(err, &pe) {
		writeProtocolProblem(c, pe)
		return
	}
	s.fail(c, err)
}

// writeProtocolProblem answers a tus protocol error with the status the
// protocol prescribes (409 for a wrong Upload-Offset, 412 for a missing
// Tus-Resumable, …), which has no reelmart.Kind of its own.
func writeProtocolProblem(c *gin.Context, pe *media.ProtocolError) {
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(pe.Status),
		Status:    pe.Status,
		Detail:    pe.Message,
		Code:      pe.Code,
		Instance:  c.Request.URL.Path,
		RequestID: requestID(c),
	}
	c.Abort()
	c.Render(pe.Status, problemRender{p})
}
