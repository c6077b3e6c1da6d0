package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/checkout"
)

// shopAnalytics answers GET /shops/{id}/analytics?days= for the shop's owner.
func (s *Server) shopAnalytics(c *gin.Context) {
	var bad []reelmart.FieldError
	days := 0
	if n := queryInt(c, "days", &bad); n != nil {
		if *n < 1 || *n > checkout.MaxAnalyticsDays {
			bad = append(bad, reelmart.FieldError{Field: "days", Message: "must be from 1 to " + strconv.Itoa(checkout.MaxAnalyticsDays)})
		} else {
			days = int(*n)
		}
	}
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.checkout.ShopAnalytics(c.Request.Context(), mustUser(c).ID, c.Param("id"), days)
	s.reply(c, http.StatusOK, a, err)
}
