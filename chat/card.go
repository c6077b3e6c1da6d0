package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/media"
)

// ProductCard, OrderCard and VideoCard are the snapshots a card message
// stores: what the thing looked like when it was sent, and its id to open
// the live one. An order card never carries shipping details.
type (
	ProductCard struct {
		Type           string        `json:"type"`
		ID             string        `json:"id"`
		Title          string        `json:"title"`
		ImageURL       *string       `json:"image_url"`
		PriceMin       catalog.Money `json:"price_min"`
		PriceMax       catalog.Money `json:"price_max"`
		InStock        bool          `json:"in_stock"`
		StockAvailable int           `json:"stock_available"`
		ShopID         string        `json:"shop_id"`
		ShopName       string        `json:"shop_name"`
	}
	OrderCard struct {
		Type      string         `json:"type"`
		ID        string         `json:"id"`
		Status    checkout.State `json:"status"`
		Total     catalog.Money  `json:"total"`
		ItemCount int            `json:"item_count"`
		Title     string         `json:"title"`
		ProductID string         `json:"product_id"`
		ShopID    string         `json:"shop_id"`
		PlacedAt  time.Time      `json:"placed_at"`
	}
	VideoCard struct {
		Type       string        `json:"type"`
		ID         string        `json:"id"`
		Caption    string        `json:"caption"`
		PosterURL  *string       `json:"poster_url"`
		DurationMS int64         `json:"duration_ms"`
		Creator    media.Creator `json:"creator"`
	}
)

// pair is what the card rules need to know about a thread.
type pair struct {
	kind    string
	shopID  string // shop threads
	buyerID string // shop threads: the user side
}

// snapshot checks that senderID may put ref in a thread of pair p and
// returns the card's JSON and its context key ("product:<id>"). A card the
// sender may not see, or an order card outside its buyer's thread with its
// shop, is a validation error on field, which does not say whether the
// thing exists.
func (s *Service) snapshot(ctx context.Context, senderID string, ref Ref, p pair, field string) (json.RawMessage, string, error) {
	invalid := func(what string) error {
		return reelmart.Invalid([]reelmart.FieldError{{Field: field, Message: what}})
	}
	var card any
	var err error
	switch ref.Type {
	case CardProduct:
		card, err = s.productCard(ctx, senderID, ref.ID)
	case CardOrder:
		var o checkout.Order
		if o, err = s.deps.Orders.Order(ctx, senderID, ref.ID); err == nil {
			if p.kind != KindShop || o.ShopID != p.shopID || o.BuyerID != p.buyerID {
				return nil, "", invalid("is an order of another shop or buyer: an order card goes only in the thread of its buyer with its shop")
			}
			card = orderCard(o)
		}
	case CardVideo:
		if s.deps.Videos == nil {
			return nil, "", invalid("video cards are not available")
		}
		var v media.Video
		if v, err = s.deps.Videos.Video(ctx, ref.ID, senderID); err == nil {
			card = videoCard(v)
		}
	}
	if k := reelmart.ErrorKind(err); k == reelmart.KindNotFound {
		return nil, "", invalid("is not a " + ref.Type + " you can see")
	}
	if err != nil {
		return nil, "", fmt.Errorf("chat: %s card: %w", ref.Type, err)
	}
	raw, err := json.Marshal(card)
	if err != nil {
		return nil, "", fmt.Errorf("chat: encode card: %w", err)
	}
	return raw, ref.Type + ":" + ref.ID, nil
}

func (s *Service) productCard(ctx context.Context, viewerID, id string) (ProductCard, error) {
	pr, err := s.deps.Products.Product(ctx, viewerID, id)
	if err != nil {
		return ProductCard{}, err
	}
	c := ProductCard{Type: CardProduct, ID: pr.ID, Title: pr.Title, PriceMin: pr.PriceMin, PriceMax: pr.PriceMax,
		InStock: pr.InStock, ShopID: pr.ShopID, ShopName: pr.ShopName}
	if len(pr.Images) > 0 {
		c.ImageURL = &pr.Images[0].URL
	}
	for _, k := range pr.SKUs {
		c.StockAvailable += k.StockAvailable
	}
	return c, nil
}

func orderCard(o checkout.Order) OrderCard {
	c := OrderCard{Type: CardOrder, ID: o.ID, Status: o.State, Total: o.Total, ShopID: o.ShopID, PlacedAt: o.CreatedAt}
	for i, l := range o.Lines {
		if i == 0 {
			c.Title, c.ProductID = l.Title, l.ProductID
		}
		c.ItemCount += l.Qty
	}
	return c
}

func videoCard(v media.Video) VideoCard {
	c := VideoCard{Type: CardVideo, ID: v.ID, Caption: v.Caption, DurationMS: v.DurationMS, Creator: v.Creator}
	if v.PosterURL != "" {
		c.PosterURL = &v.PosterURL
	}
	return c
}
