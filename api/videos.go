package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/blobhttp"
)

// createVideo answers 202 at once: the video is processing (or already
// failed, if the probe rejected the file) and GET /videos/{id} follows it.
func (s *Server) createVideo(c *gin.Context) {
	var in media.NewVideo
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.media.Publish(c.Request.Context(), mustUser(c).ID, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/videos/"+v.ID)
	c.JSON(http.StatusAccepted, v)
}

func (s *Server) getVideo(c *gin.Context) {
	viewer, _ := currentUser(c)
	v, err := s.media.Video(c.Request.Context(), c.Param("id"), viewer.ID)
	s.reply(c, http.StatusOK, v, err)
}

func (s *Server) deleteVideo(c *gin.Context) {
	if err := s.media.Delete(c.Request.Context(), c.Param("id"), mustUser(c).ID); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) relinkProducts(c *gin.Context) {
	var in struct {
		Products []media.ProductLink `json:"products"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.media.Relink(c.Request.Context(), c.Param("id"), mustUser(c).ID, in.Products)
	s.reply(c, http.StatusOK, v, err)
}

type videoPage struct {
	Items      []media.Video `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

func (s *Server) userVideos(c *gin.Context) {
	limit := 0
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > media.MaxPageSize {
			s.fail(c, reelmart.Invalid([]reelmart.FieldError{{Field: "limit", Message: "must be a whole number from 1 to 100"}}))
			return
		}
		limit = n
	}
	ctx, id := c.Request.Context(), c.Param("id")
	if _, err := s.accounts.User(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	viewer, _ := currentUser(c)
	page, err := s.media.UserVideos(ctx, id, viewer.ID, c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := videoPage{Items: page.Items}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	c.JSON(http.StatusOK, out)
}

// serveHLS and servePoster stream a ready video's objects from the blob
// store with range requests and cache headers.
func (s *Server) serveHLS(c *gin.Context) {
	rel := "hls/" + strings.TrimPrefix(c.Param("path"), "/")
	cache := blobhttp.CacheImmutable
	if strings.HasSuffix(rel, ".m3u8") {
		cache = blobhttp.CachePlaylist
	}
	s.serveObject(c, rel, cache)
}

func (s *Server) servePoster(c *gin.Context) { s.serveObject(c, "poster.jpg", blobhttp.CacheImmutable) }

func (s *Server) serveObject(c *gin.Context, rel, cache string) {
	ctx := c.Request.Context()
	key, err := s.media.ObjectKey(ctx, c.Param("id"), rel)
	if err != nil {
		s.fail(c, err)
		return
	}
	err = blobhttp.Serve(c.Writer, c.Request, s.media.Blob(), key, blobhttp.Options{CacheControl: cache})
	switch {
	case err == nil:
	case errors.Is(err, blobhttp.ErrAborted):
		s.log.WarnContext(ctx, "video object cut short", "request_id", requestID(c), "key", key, "err", err)
		c.Abort()
	case errors.Is(err, blob.ErrNotFound), errors.Is(err, blob.ErrInvalidKey):
		writeProblem(c, reelmart.Errorf(reelmart.KindNotFound, "object_not_found", "this video has no %s", rel))
	default:
		s.fail(c, err)
	}
}
