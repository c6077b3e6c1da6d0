package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/checkout"
)

// checkoutRoutes registers the cart, orders, wallet and earnings. Order
// creation requires an Idempotency-Key; payment, top-up and refund honour
// one when sent.
func (s *Server) checkoutRoutes(v1 *gin.RouterGroup) {
	v1.GET("/cart", s.requireUser, s.getCart)
	v1.PUT("/cart/items/:sku_id", s.requireUser, s.putCartItem)
	v1.DELETE("/cart/items/:sku_id", s.requireUser, s.deleteCartItem)
	v1.POST("/orders", s.requireUser, s.idempotent(true), s.createOrders)
	v1.GET("/orders", s.requireUser, s.listOrders)
	v1.GET("/orders/:id", s.requireUser, s.getOrder)
	v1.POST("/orders/:id/pay", s.requireUser, s.idempotent(false), s.payOrder)
	v1.POST("/orders/:id/ship", s.requireUser, s.shipOrder)
	v1.POST("/orders/:id/complete", s.requireUser, s.completeOrder)
	v1.POST("/orders/:id/cancel", s.requireUser, s.cancelOrder)
	v1.POST("/orders/:id/refund", s.requireUser, s.idempotent(false), s.refundOrder)
	v1.GET("/shops/:id/orders", s.requireUser, s.shopOrders)
	v1.GET("/wallet", s.requireUser, s.getWallet)
	v1.POST("/wallet/topup", s.requireUser, s.idempotent(false), s.topUp)
	v1.GET("/wallet/transactions", s.requireUser, s.walletTransactions)
	v1.GET("/me/earnings", s.requireUser, s.earnings)
}

func (s *Server) getCart(c *gin.Context) {
	cart, err := s.checkout.Cart(c.Request.Context(), mustUser(c).ID)
	s.reply(c, http.StatusOK, cart, err)
}

func (s *Server) putCartItem(c *gin.Context) {
	var in checkout.CartItemInput
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	cart, err := s.checkout.PutCartItem(c.Request.Context(), mustUser(c).ID, c.Param("sku_id"), in)
	s.reply(c, http.StatusOK, cart, err)
}

func (s *Server) deleteCartItem(c *gin.Context) {
	cart, err := s.checkout.DeleteCartItem(c.Request.Context(), mustUser(c).ID, c.Param("sku_id"))
	s.reply(c, http.StatusOK, cart, err)
}

func (s *Server) createOrders(c *gin.Context) {
	var in checkout.OrderInput
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	orders, err := s.checkout.CreateOrders(c.Request.Context(), mustUser(c).ID, in, claimOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"orders": orders})
}

func checkoutPage[T any](p checkout.Page[T]) pageJSON[T] {
	out := pageJSON[T]{Items: p.Items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if p.NextCursor != "" {
		out.NextCursor = &p.NextCursor
	}
	return out
}

func (s *Server) listOrders(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := limitParam(c, &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.checkout.Orders(c.Request.Context(), mustUser(c).ID, c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, checkoutPage(page))
}

func (s *Server) shopOrders(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := limitParam(c, &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.checkout.ShopOrders(c.Request.Context(), mustUser(c).ID, c.Param("id"), c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, checkoutPage(page))
}

func (s *Server) getOrder(c *gin.Context) {
	o, err := s.checkout.Order(c.Request.Context(), mustUser(c).ID, c.Param("id"))
	s.reply(c, http.StatusOK, o, err)
}

func (s *Server) payOrder(c *gin.Context) {
	var in struct {
		Method string `json:"method"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	s.answerOrder(c)(s.checkout.Pay(c.Request.Context(), mustUser(c).ID, c.Param("id"), in.Method, claimOf(c)))
}

func (s *Server) shipOrder(c *gin.Context) {
	var in checkout.Shipment
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	s.answerOrder(c)(s.checkout.Ship(c.Request.Context(), mustUser(c).ID, c.Param("id"), in))
}

func (s *Server) completeOrder(c *gin.Context) {
	s.answerOrder(c)(s.checkout.Complete(c.Request.Context(), mustUser(c).ID, c.Param("id")))
}

func (s *Server) cancelOrder(c *gin.Context) {
	s.answerOrder(c)(s.checkout.Cancel(c.Request.Context(), mustUser(c).ID, c.Param("id")))
}

func (s *Server) refundOrder(c *gin.Context) {
	s.answerOrder(c)(s.checkout.Refund(c.Request.Context(), mustUser(c).ID, c.Param("id"), claimOf(c)))
}

// answerOrder writes an order, or the error that prevented it.
func (s *Server) answerOrder(c *gin.Context) func(checkout.Order, error) {
	return func(o checkout.Order, err error) {
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, o)
	}
}

func (s *Server) getWallet(c *gin.Context) {
	w, err := s.checkout.Wallet(c.Request.Context(), mustUser(c).ID)
	s.reply(c, http.StatusOK, w, err)
}

func (s *Server) topUp(c *gin.Context) {
	var in struct {
		Amount *checkout.Money `json:"amount"`
	}
	if err := decodeJSON(c.Request, &in); err != nil {
		s.fail(c, err)
		return
	}
	if in.Amount == nil {
		s.fail(c, reelmart.Invalid([]reelmart.FieldError{{Field: "amount", Message: "is required"}}))
		return
	}
	w, err := s.checkout.TopUp(c.Request.Context(), mustUser(c).ID, *in.Amount, claimOf(c))
	s.reply(c, http.StatusOK, w, err)
}

func (s *Server) walletTransactions(c *gin.Context) {
	var bad []reelmart.FieldError
	limit := limitParam(c, &bad)
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.checkout.WalletTransactions(c.Request.Context(), mustUser(c).ID, c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, checkoutPage(page))
}

func (s *Server) earnings(c *gin.Context) {
	e, err := s.checkout.Earnings(c.Request.Context(), mustUser(c).ID)
	s.reply(c, http.StatusOK, e, err)
}
