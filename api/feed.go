package api

import (
	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
)

// errFeedUnavailable answers the feed's routes on a server built without a
// feed service (some tests build the API with only the parts they need).
var errFeedUnavailable = &reelmart.Error{Kind: reelmart.KindUnavailable, Code: "feed_unavailable", Message: "the feed is not available on this server"}

// feedRoutes registers the feed, the following feed and trending hashtags.
// Search by type is registered with the catalog's routes (GET /search).
func (s *Server) feedRoutes(v1 *gin.RouterGroup) {
	v1.GET("/feed", s.getFeed)
	v1.GET("/feed/following", s.requireUser, s.followingFeed)
	v1.GET("/trending/hashtags", s.trendingHashtags)
}

func (s *Server) getFeed(c *gin.Context)          { s.fail(c, errFeedUnavailable) }
func (s *Server) followingFeed(c *gin.Context)    { s.fail(c, errFeedUnavailable) }
func (s *Server) trendingHashtags(c *gin.Context) { s.fail(c, errFeedUnavailable) }
