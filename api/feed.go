package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/feed"
)

// errFeedUnavailable answers the feed's routes on a server built without a
// feed service (some tests build the API with only the parts they need).
var errFeedUnavailable = &reelmart.Error{Kind: reelmart.KindUnavailable, Code: "feed_unavailable", Message: "the feed is not available on this server"}

// feedRoutes registers the feed, the following feed and trending hashtags.
// Search by type is registered with the catalog's routes (GET /search).
func (s *Server) feedRoutes(v1 *gin.RouterGroup) {
	v1.GET("/feed", s.withFeed, s.getFeed)
	v1.GET("/feed/following", s.requireUser, s.withFeed, s.followingFeed)
	v1.GET("/trending/hashtags", s.withFeed, s.trendingHashtags)
}

func (s *Server) withFeed(c *gin.Context) {
	if s.feed == nil {
		writeProblem(c, errFeedUnavailable)
		return
	}
	c.Next()
}

// feedViewer is who the feed ranks for: the signed-in user, or the
// signed-out viewer of the viewer_id cookie (issued now if missing), so
// that a signed-out viewer has history too. A server without engagement
// has no cookies: a signed-out caller is then nobody ("").
func (s *Server) feedViewer(c *gin.Context) (string, error) {
	if s.engagement == nil {
		return signedIn(c), nil
	}
	return s.viewerID(c)
}

// signedIn is the signed-in user's id, or "".
func signedIn(c *gin.Context) string {
	u, _ := currentUser(c)
	return u.ID
}

// feedPage is a page of a feed as the API contract has it.
type feedPage struct {
	Items      []feed.Item `json:"items"`
	NextCursor *string     `json:"next_cursor"`
	Degraded   bool        `json:"degraded"`
}

func toFeedPage(p feed.Page) feedPage {
	out := feedPage{Items: p.Items, Degraded: p.Degraded}
	if out.Items == nil {
		out.Items = []feed.Item{}
	}
	if p.NextCursor != "" {
		out.NextCursor = &p.NextCursor
	}
	return out
}

// intParam reads an optional integer query parameter: 0 when absent, -1
// (which the services refuse with a field error) when present but not a
// positive integer.
func intParam(c *gin.Context, name string, bad *[]reelmart.FieldError) int {
	n := queryInt(c, name, bad)
	switch {
	case n == nil:
		return 0
	case *n < 1 || *n > 1<<20:
		return -1
	}
	return int(*n)
}

func (s *Server) getFeed(c *gin.Context) {
	var bad []reelmart.FieldError
	r := feed.Request{Cursor: c.Query("cursor"), Limit: intParam(c, "limit", &bad)}
	switch c.Query("debug") {
	case "", "0", "false":
	case "1", "true":
		r.Debug = true
	default:
		bad = append(bad, reelmart.FieldError{Field: "debug", Message: "must be 1 or 0"})
	}
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	var err error
	if r.ViewerID, err = s.feedViewer(c); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.feed.Feed(c.Request.Context(), r)
	s.reply(c, http.StatusOK, toFeedPage(p), err)
}

func (s *Server) followingFeed(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := intParam(c, "limit", &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.feed.Following(c.Request.Context(), mustUser(c).ID, c.Query("cursor"), limit)
	s.reply(c, http.StatusOK, toFeedPage(p), err)
}

func (s *Server) trendingHashtags(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := intParam(c, "limit", &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.feed.TrendingHashtags(c.Request.Context(), limit)
	if t.Items == nil {
		t.Items = []feed.Hashtag{}
	}
	s.reply(c, http.StatusOK, gin.H{"items": t.Items, "window_hours": 24, "degraded": t.Degraded}, err)
}

// searchFeed answers GET /search for videos and users.
func (s *Server) searchFeed(c *gin.Context, kind string) {
	if s.feed == nil {
		s.fail(c, errFeedUnavailable)
		return
	}
	var bad []reelmart.FieldError
	r := feed.SearchRequest{ViewerID: signedIn(c), Text: c.Query("q"), Cursor: c.Query("cursor"), Limit: intParam(c, "limit", &bad)}
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if kind == "users" {
		res, err := s.feed.SearchUsers(ctx, r)
		s.reply(c, http.StatusOK, toResults(res), err)
		return
	}
	res, err := s.feed.SearchVideos(ctx, r)
	s.reply(c, http.StatusOK, toResults(res), err)
}

type resultsJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
	Total      int     `json:"total"`
}

func toResults[T any](r feed.Results[T]) resultsJSON[T] {
	out := resultsJSON[T]{Items: r.Items, Total: r.Total}
	if out.Items == nil {
		out.Items = []T{}
	}
	if r.NextCursor != "" {
		out.NextCursor = &r.NextCursor
	}
	return out
}
