package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/blobhttp"
	"github.com/reelmart/reelmart/platform/imaging"
)

// multipartSlack is room for the multipart framing around an image file.
const multipartSlack = 64 << 10

// limitImageBody is limitBody for image uploads: the limit is the largest
// image the service takes (maxBytes) plus the multipart framing.
func limitImageBody(maxBytes func() int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := maxBytes() + multipartSlack
		if c.Request.ContentLength > limit {
			writeProblem(c, imaging.ErrTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// imagePart hands store the part named "image" of a multipart/form-data
// body, streamed, and returns what store returns. The service decides by
// decoding it what the file is. A body that is not multipart, is cut short
// or lacks the part gives the matching problem.
func imagePart(c *gin.Context, store func(io.Reader) error) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return reelmart.Errorf(reelmart.KindUnsupportedMedia, "unsupported_media_type", "send the image as multipart/form-data in a part named \"image\"")
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_multipart", "the multipart body could not be read: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return reelmart.Invalid([]reelmart.FieldError{{Field: "image", Message: "is required: a form part named \"image\" holding the file"}})
		}
		if err != nil {
			if e := multipartError(err); reelmart.AsError(e) != nil {
				return e
			}
			return reelmart.Errorf(reelmart.KindBadRequest, "malformed_multipart", "the multipart body could not be read: %v", err)
		}
		if part.FormName() != "image" {
			part.Close()
			continue
		}
		err = store(part)
		part.Close()
		return multipartError(err)
	}
}

// multipartError maps a failure to read the upload: over the limit is 413,
// a body cut short or not multipart is 400, anything else is left as it is.
func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return imaging.ErrTooLarge
	case reelmart.AsError(err) != nil:
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_multipart", "the multipart body could not be read")
	default:
		return err
	}
}

// serveImmutable streams an image object that never changes under its key
// (a new upload gets a new id), so browsers may keep it for a year. A
// missing object is notFound.
func (s *Server) serveImmutable(c *gin.Context, store blob.Store, key string, notFound error) {
	err := blobhttp.Serve(c.Writer, c.Request, store, key, blobhttp.Options{CacheControl: blobhttp.CacheImmutable})
	switch {
	case err == nil:
	case errors.Is(err, blobhttp.ErrAborted):
		s.log.WarnContext(c.Request.Context(), "image response cut short", "request_id", requestID(c), "key", key, "err", err)
		c.Abort()
	case errors.Is(err, blob.ErrNotFound):
		s.fail(c, notFound)
	default:
		s.fail(c, err)
	}
}
