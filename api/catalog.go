package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
)

// catalogRoutes registers shops, products, stock, images and product
// search. Image uploads get their own group: their body limit is the
// catalog's image limit, not the API's JSON limit.
func (s *Server) catalogRoutes(e *gin.Engine, v1 *gin.RouterGroup) {
	v1.POST("/shops", s.requireUser, s.createShop)
	v1.GET("/shops/:id", s.getShop)
	v1.GET("/me/shops", s.requireUser, s.myShops)
	v1.PATCH("/shops/:id", s.requireUser, s.updateShop)
	v1.GET("/shops/:id/products", s.shopProducts)
	v1.POST("/products", s.requireUser, s.createProduct)
	v1.GET("/products/:id", s.getProduct)
	v1.PATCH("/products/:id", s.requireUser, s.updateProduct)
	v1.DELETE("/products/:id", s.requireUser, s.archiveProduct)
	v1.PUT("/products/:id/images", s.requireUser, s.reorderImages)
	v1.DELETE("/products/:id/images/:image_id", s.requireUser, s.deleteImage)
	v1.GET("/products/:id/images/:image_id/:variant", s.serveImage)
	v1.PUT("/skus/:id/stock", s.requireUser, s.setStock)
	v1.GET("/skus/:id/stock_changes", s.requireUser, s.stockChanges)
	v1.GET("/search", s.search)
	v1.GET("/users/:id/showcase", s.showcase)

	uploads := e.Group("/api/v1", limitImageBody(s.catalog.MaxImageBytes), s.optionalUser)
	uploads.POST("/products/:id/images", s.requireUser, s.addImage)
}

// pageJSON is a list page as the API contract has it: next_cursor is null on the last page.
type pageJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
	Total      *int    `json:"total,omitempty"`
}

func toPage[T any](p catalog.Page[T]) pageJSON[T] {
	out := pageJSON[T]{Items: p.Items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if p.NextCursor != "" {
		out.NextCursor = &p.NextCursor
	}
	return out
}

// queryInt reads an optional integer query parameter, adding a field error
// when it is not one.
func queryInt(c *gin.Context, name string, bad *[]reelmart.FieldError) *int64 {
	raw, ok := c.GetQuery(name)
	if !ok || raw == "" {
		return nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		*bad = append(*bad, reelmart.FieldError{Field: name, Message: "must be an integer"})
		return nil
	}
	return &n
}

func limitParam(c *gin.Context, bad *[]reelmart.FieldError) int {
	n := queryInt(c, "limit", bad)
	if n == nil {
		return 0
	}
	if *n < 1 || *n > catalog.MaxLimit {
		*bad = append(*bad, reelmart.FieldError{Field: "limit", Message: "must be from 1 to " + strconv.Itoa(catalog.MaxLimit)})
		return 0
	}
	return int(*n)
}

func (s *Server) createShop(c *gin.Context) {
	var in catalog.ShopInput
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	sh, err := s.catalog.CreateShop(c.Request.Context(), mustUser(c).ID, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/shops/"+sh.ID)
	c.JSON(http.StatusCreated, sh)
}

func (s *Server) getShop(c *gin.Context) {
	sh, err := s.catalog.Shop(c.Request.Context(), c.Param("id"))
	s.reply(c, http.StatusOK, sh, err)
}

func (s *Server) myShops(c *gin.Context) {
	shops, err := s.catalog.ShopsOf(c.Request.Context(), mustUser(c).ID)
	s.reply(c, http.StatusOK, gin.H{"items": shops}, err)
}

func (s *Server) updateShop(c *gin.Context) {
	var in catalog.ShopPatch
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	sh, err := s.catalog.UpdateShop(c.Request.Context(), mustUser(c).ID, c.Param("id"), in)
	s.reply(c, http.StatusOK, sh, err)
}

func (s *Server) shopProducts(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := limitParam(c, &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	viewer, _ := currentUser(c)
	page, err := s.catalog.ShopProducts(c.Request.Context(), viewer.ID, c.Param("id"),
		catalog.Status(c.Query("status")), c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toPage(page))
}

func (s *Server) createProduct(c *gin.Context) {
	var in catalog.ProductInput
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.catalog.CreateProduct(c.Request.Context(), mustUser(c).ID, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/products/"+p.ID)
	c.JSON(http.StatusCreated, p)
}

func (s *Server) getProduct(c *gin.Context) {
	viewer, _ := currentUser(c)
	p, err := s.catalog.Product(c.Request.Context(), viewer.ID, c.Param("id"))
	s.reply(c, http.StatusOK, p, err)
}

func (s *Server) updateProduct(c *gin.Context) {
	var in catalog.ProductPatch
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.catalog.UpdateProduct(c.Request.Context(), mustUser(c).ID, c.Param("id"), in)
	s.reply(c, http.StatusOK, p, err)
}

func (s *Server) archiveProduct(c *gin.Context) {
	if err := s.catalog.ArchiveProduct(c.Request.Context(), mustUser(c).ID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) setStock(c *gin.Context) {
	var in struct {
		Stock *int `json:"stock"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	if in.Stock == nil {
		s.fail(c, reelmart.Invalid([]reelmart.FieldError{{Field: "stock", Message: "is required"}}))
		return
	}
	k, err := s.catalog.SetStock(c.Request.Context(), mustUser(c).ID, c.Param("id"), *in.Stock)
	s.reply(c, http.StatusOK, k, err)
}

func (s *Server) stockChanges(c *gin.Context) {
	changes, err := s.catalog.StockChanges(c.Request.Context(), mustUser(c).ID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": changes})
}

func (s *Server) search(c *gin.Context) {
	var bad []reelmart.FieldError
	switch t := c.Query("type"); t {
	case "products":
	case "videos", "users":
		s.searchFeed(c, t)
		return
	default:
		bad = append(bad, reelmart.FieldError{Field: "type", Message: "must be videos, products or users"})
	}
	q := catalog.SearchQuery{Text: c.Query("q"), Cursor: c.Query("cursor"), Limit: limitParam(c, &bad)}
	switch v := c.Query("in_stock"); v {
	case "", "false":
	case "true":
		q.InStock = true
	default:
		bad = append(bad, reelmart.FieldError{Field: "in_stock", Message: "must be true or false"})
	}
	q.MinPrice = queryInt(c, "min_price", &bad)
	q.MaxPrice = queryInt(c, "max_price", &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	page, total, err := s.catalog.Search(c.Request.Context(), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := toPage(page)
	out.Total = &total
	c.JSON(http.StatusOK, out)
}

// showcase lists the active products a creator has pinned to their ready
// videos. A missing user is 404, unlike a user with nothing pinned.
func (s *Server) showcase(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := limitParam(c, &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	ctx, id := c.Request.Context(), c.Param("id")
	if _, err := s.accounts.User(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	viewer, _ := currentUser(c)
	page, err := s.catalog.Showcase(ctx, viewer.ID, id, c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toPage(page))
}
