package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/blobhttp"
)

// multipartSlack is room for the multipart framing around an image file.
const multipartSlack = 64 << 10

// limitImageBody is limitBody for image uploads: the limit is the catalog's
// largest image plus the multipart framing.
func (s *Server) limitImageBody(c *gin.Context) {
	limit := s.catalog.MaxImageBytes() + multipartSlack
	if c.Request.ContentLength > limit {
		writeProblem(c, catalog.ErrImageTooLarge)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// addImage takes a multipart/form-data body whose "image" part is the file.
// The part is streamed to the catalog, which decides by decoding it what it is.
func (s *Server) addImage(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		s.fail(c, reelmart.Errorf(reelmart.KindUnsupportedMedia, "unsupported_media_type", "send the image as multipart/form-data in a part named \"image\""))
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, reelmart.Errorf(reelmart.KindBadRequest, "malformed_multipart", "the multipart body could not be read: %v", err))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.fail(c, reelmart.Invalid([]reelmart.FieldError{{Field: "image", Message: "is required: a form part named \"image\" holding the file"}}))
			return
		}
		if err != nil {
			if e := multipartError(err); reelmart.AsError(e) != nil {
				s.fail(c, e)
			} else {
				s.fail(c, reelmart.Errorf(reelmart.KindBadRequest, "malformed_multipart", "the multipart body could not be read: %v", err))
			}
			return
		}
		if part.FormName() != "image" {
			part.Close()
			continue
		}
		im, err := s.catalog.AddImage(c.Request.Context(), mustUser(c).ID, c.Param("id"), part)
		part.Close()
		if err != nil {
			s.fail(c, multipartError(err))
			return
		}
		c.Header("Location", im.URL)
		c.JSON(http.StatusCreated, im)
		return
	}
}

// multipartError maps a failure to read the upload: over the limit is 413,
// a body cut short or not multipart is 400, anything else is left as it is.
func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return catalog.ErrImageTooLarge
	case reelmart.AsError(err) != nil:
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_multipart", "the multipart body could not be read")
	default:
		return err
	}
}

func (s *Server) reorderImages(c *gin.Context) {
	var in struct {
		ImageIDs []string `json:"image_ids"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	images, err := s.catalog.ReorderImages(c.Request.Context(), mustUser(c).ID, c.Param("id"), in.ImageIDs)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": images})
}

func (s *Server) deleteImage(c *gin.Context) {
	if err := s.catalog.DeleteImage(c.Request.Context(), mustUser(c).ID, c.Param("id"), c.Param("image_id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// serveImage streams an image from the blob store. Image objects never
// change under their key (a new upload gets a new id), so browsers may keep
// them for a year.
func (s *Server) serveImage(c *gin.Context) {
	store, key, err := s.catalog.ImageBlob(c.Request.Context(), c.Param("id"), c.Param("image_id"), c.Param("variant"))
	if err != nil {
		s.fail(c, err)
		return
	}
	err = blobhttp.Serve(c.Writer, c.Request, store, key, blobhttp.Options{CacheControl: blobhttp.CacheImmutable})
	switch {
	case err == nil:
	case errors.Is(err, blobhttp.ErrAborted):
		s.log.WarnContext(c.Request.Context(), "image response cut short", "request_id", requestID(c), "key", key, "err", err)
		c.Abort()
	case errors.Is(err, blob.ErrNotFound):
		s.fail(c, catalog.ErrImageNotFound)
	default:
		s.fail(c, err)
	}
}
