package checkout

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// State is where an order is in its life.
type State string

const (
	StatePendingPayment State = "pending_payment"
	StatePaid           State = "paid"
	StateShipped        State = "shipped"
	StateCompleted      State = "completed"
	StateCancelled      State = "cancelled"
	StateRefunded       State = "refunded"
)

// Shipping is where an order goes.
type Shipping struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Phone      string `json:"phone,omitempty"`
}

// Line is one SKU of an order, its price frozen when the order was made.
type Line struct {
	SKUID         string  `json:"sku_id"`
	ProductID     string  `json:"product_id"`
	Title         string  `json:"title"`
	SKUCode       string  `json:"sku_code"`
	Qty           int     `json:"qty"`
	UnitPrice     Money   `json:"unit_price"`
	Subtotal      Money   `json:"subtotal"`
	SourceVideoID *string `json:"source_video_id"`

	creatorID  string
	commission int64
	bps        int
}

// Event is one recorded state change: who moved the order, when.
type Event struct {
	From    *State    `json:"from"`
	To      State     `json:"to"`
	ActorID string    `json:"actor_id"`
	At      time.Time `json:"at"`
}

// Order is what one buyer bought from one shop.
type Order struct {
	ID            string    `json:"id"`
	BuyerID       string    `json:"buyer_id"`
	ShopID        string    `json:"shop_id"`
	State         State     `json:"state"`
	Total         Money     `json:"total"`
	Lines         []Line    `json:"lines"`
	Shipping      Shipping  `json:"shipping"`
	Carrier       string    `json:"carrier"`
	Tracking      string    `json:"tracking"`
	PaymentMethod *string   `json:"payment_method"`
	ExpiresAt     time.Time `json:"expires_at"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Events        []Event   `json:"events"`

	fee int64
}

// ItemInput is one line asked for in POST /orders or put in the cart.
type ItemInput struct {
	SKUID         string  `json:"sku_id"`
	Qty           int     `json:"qty"`
	SourceVideoID *string `json:"source_video_id"`
}

// OrderInput is POST /orders: explicit items, or the cart.
type OrderInput struct {
	Items    []ItemInput `json:"items"`
	FromCart bool        `json:"from_cart"`
	Shipping *Shipping   `json:"shipping"`
}

// MaxItems is the most lines one POST /orders may name.
const MaxItems = 50

// skuInfo is what a cart line needs of a SKU.
type skuInfo struct {
	productID, title, code, shopID, status string
	price                                  int64
	bps                                    int
}

func (s *Service) skuInfos(ctx context.Context, q db.Querier, ids []string) (map[string]skuInfo, error) {
	out := map[string]skuInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT k.id, k.product_id, p.title, k.code, p.shop_id, p.status, k.price_minor, p.commission_bps
		FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("checkout: load skus: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var k skuInfo
		if err := rows.Scan(&id, &k.productID, &k.title, &k.code, &k.shopID, &k.status, &k.price, &k.bps); err != nil {
			return nil, fmt.Errorf("checkout: scan sku: %w", err)
		}
		out[id] = k
	}
	return out, rows.Err()
}

// videoCreators returns the creator of each existing video in ids.
func (s *Service) videoCreators(ctx context.Context, q db.Querier, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT id, creator_id FROM videos WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("checkout: load videos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, creator string
		if err := rows.Scan(&id, &creator); err != nil {
			return nil, fmt.Errorf("checkout: scan video: %w", err)
		}
		out[id] = creator
	}
	return out, rows.Err()
}

func checkShipping(bad *[]reelmart.FieldError, sh *Shipping) {
	if sh == nil {
		*bad = append(*bad, reelmart.FieldError{Field: "shipping", Message: "is required"})
		return
	}
	text := func(field, v string, required bool, maxLen int) {
		switch n := utf8.RuneCountInString(strings.TrimSpace(v)); {
		case required && n == 0:
			*bad = append(*bad, reelmart.FieldError{Field: "shipping." + field, Message: "is required"})
		case n > maxLen:
			*bad = append(*bad, reelmart.FieldError{Field: "shipping." + field, Message: fmt.Sprintf("must be at most %d characters", maxLen)})
		case strings.ContainsAny(v, "\x00\r\n"):
			*bad = append(*bad, reelmart.FieldError{Field: "shipping." + field, Message: "must be one line of text"})
		}
	}
	text("name", sh.Name, true, 200)
	text("line1", sh.Line1, true, 200)
	text("line2", sh.Line2, false, 200)
	text("city", sh.City, true, 100)
	text("region", sh.Region, false, 100)
	text("postal_code", sh.PostalCode, true, 20)
	text("phone", sh.Phone, false, 40)
	if len(sh.Country) != 2 || strings.ToUpper(sh.Country) != sh.Country || strings.ToLower(sh.Country) == sh.Country {
		*bad = append(*bad, reelmart.FieldError{Field: "shipping.country", Message: "must be a two-letter ISO 3166 code in capitals"})
	}
}

func checkItem(bad *[]reelmart.FieldError, prefix string, it ItemInput) {
	if it.SKUID == "" {
		*bad = append(*bad, reelmart.FieldError{Field: prefix + "sku_id", Message: "is required"})
	}
	if it.Qty < 1 || it.Qty > 99 {
		*bad = append(*bad, reelmart.FieldError{Field: prefix + "qty", Message: "must be from 1 to 99"})
	}
	if it.SourceVideoID != nil && *it.SourceVideoID == "" {
		*bad = append(*bad, reelmart.FieldError{Field: prefix + "source_video_id", Message: "must not be empty (leave it out or send null)"})
	}
}

// CreateOrders places buyerID's order, one Order per shop, with every line
// reserved until the reservation TTL passes, all or nothing (place.go). It
// returns a validation error (also for an unknown SKU or video),
// ErrCartEmpty, a cart_stale error when a cart line's price changed since
// it was put, catalog.ErrNotForSale, or catalog.OutOfStock naming every SKU
// that is short (then nothing is reserved). With claim (an
// Idempotency-Key), the orders are noted on the key as they are placed, and
// if an earlier attempt with the key placed them, they are returned as
// they are now instead (ErrKeySuperseded: a retry took the key over).
func (s *Service) CreateOrders(ctx context.Context, buyerID string, in OrderInput, claim *Claim) ([]Order, error) {
	if claim.ReadBack() {
		return s.placedOrders(ctx, buyerID, claim.effect)
	}
	var bad []reelmart.FieldError
	switch {
	case in.FromCart && len(in.Items) > 0:
		bad = append(bad, reelmart.FieldError{Field: "items", Message: "must be left out when from_cart is true"})
	case !in.FromCart && len(in.Items) == 0:
		bad = append(bad, reelmart.FieldError{Field: "items", Message: "is required (or set from_cart)"})
	case len(in.Items) > MaxItems:
		bad = append(bad, reelmart.FieldError{Field: "items", Message: fmt.Sprintf("must have at most %d lines", MaxItems)})
	}
	seen := map[string]bool{}
	for i, it := range in.Items {
		prefix := fmt.Sprintf("items[%d].", i)
		checkItem(&bad, prefix, it)
		if seen[it.SKUID] && it.SKUID != "" {
			bad = append(bad, reelmart.FieldError{Field: prefix + "sku_id", Message: "names a SKU already in the order"})
		}
		seen[it.SKUID] = true
	}
	checkShipping(&bad, in.Shipping)
	if err := reelmart.Invalid(bad); err != nil {
		return nil, err
	}
	items := in.Items
	if in.FromCart {
		cart, err := s.Cart(ctx, buyerID)
		if err != nil {
			return nil, err
		}
		if len(cart.Items) == 0 {
			return nil, ErrCartEmpty
		}
		var stale []reelmart.FieldError
		for _, l := range cart.Items {
			if l.PriceChanged {
				stale = append(stale, reelmart.FieldError{Field: "sku_id", Message: l.SKUID})
			}
			items = append(items, ItemInput{SKUID: l.SKUID, Qty: l.Qty, SourceVideoID: l.SourceVideoID})
		}
		if len(stale) > 0 {
			return nil, &reelmart.Error{Kind: reelmart.KindConflict, Code: "cart_stale", Fields: stale,
				Message: "a price in the cart changed since it was added; review the cart and put the line again"}
		}
	}
	orders, err := s.place(ctx, buyerID, items, *in.Shipping, in.FromCart, claim)
	if err != nil {
		return nil, err
	}
	return orders, nil
}

// placedOrders reads back the orders a placement noted on an
// Idempotency-Key (effect: the ids of its lines' would-be orders, joined by
// commas), sorted by shop as CreateOrders returns them.
func (s *Service) placedOrders(ctx context.Context, buyerID, effect string) ([]Order, error) {
	in, args := inList(strings.Split(effect, ","), 2)
	ids, err := s.ids(ctx, "read back placed orders", `SELECT id FROM orders WHERE buyer_id = $1 AND id IN (`+in+`) ORDER BY shop_id`,
		append([]any{buyerID}, args...)...)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("checkout: the orders noted on an idempotency key (%s) are missing", effect)
	}
	orders := make([]Order, len(ids))
	for i, id := range ids {
		if orders[i], err = s.load(ctx, s.db, id); err != nil {
			return nil, err
		}
	}
	return orders, nil
}

// creationEvent is the first event of every order: the buyer placed it. It
// is not stored; the order's buyer_id and created_at are its record.
func creationEvent(buyerID string, at time.Time) Event {
	return Event{To: StatePendingPayment, ActorID: buyerID, At: at}
}

func (s *Service) recordEvent(ctx context.Context, tx *sql.Tx, orderID string, from, to State, actorID string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_events (id, order_id, from_state, to_state, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		reelmart.NewID(), orderID, string(from), string(to), actorID, at)
	if err != nil {
		return fmt.Errorf("checkout: record order event: %w", err)
	}
	return nil
}
