package api

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart/catalog"
)

// addImage takes a multipart/form-data body whose "image" part is the file.
func (s *Server) addImage(c *gin.Context) {
	var im catalog.Image
	err := imagePart(c, func(r io.Reader) (err error) {
		im, err = s.catalog.AddImage(c.Request.Context(), mustUser(c).ID, c.Param("id"), r)
		return err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", im.URL)
	c.JSON(http.StatusCreated, im)
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

// serveImage streams an image variant of a product from the blob store.
func (s *Server) serveImage(c *gin.Context) {
	store, key, err := s.catalog.ImageBlob(c.Request.Context(), c.Param("id"), c.Param("image_id"), c.Param("variant"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.serveImmutable(c, store, key, catalog.ErrImageNotFound)
}
