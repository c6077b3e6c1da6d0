package checkout

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
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
// reserved in one transaction until the reservation TTL passes. It returns
// a validation error, ErrCartEmpty, a cart_stale error when a cart line's
// price changed since it was put, catalog.ErrNotForSale, or
// catalog.OutOfStock naming every SKU that is short (then nothing is
// reserved).
func (s *Service) CreateOrders(ctx context.Context, buyerID string, in OrderInput) ([]Order, error) {
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
	videos, err := s.sourceVideos(ctx, items)
	if err != nil {
		return nil, err
	}
	var orders []Order
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		skuIDs := make([]string, len(items))
		for i, it := range items {
			skuIDs[i] = it.SKUID
		}
		// Reading the SKUs is taking their locks: prices and shops are
		// read under the lock, in the same round trip.
		infos, err := s.stock.LockSKUs(ctx, tx, skuIDs)
		if err != nil {
			return err
		}
		if orders, err = s.buildOrders(buyerID, items, *in.Shipping, infos, videos); err != nil {
			return err
		}
		var holds []catalog.OrderHold
		for _, o := range orders {
			for _, l := range o.Lines {
				holds = append(holds, catalog.OrderHold{OrderID: o.ID, SKUID: l.SKUID, Qty: l.Qty})
			}
		}
		// The orders, their lines and events, emptying the cart and the
		// conditional reservation of every line: one round trip on
		// PostgreSQL. None of the inserts reads reservations.
		stmts := orderStmts(orders)
		if in.FromCart {
			stmts = append(stmts, db.Stmt{SQL: `DELETE FROM cart_items WHERE user_id = $1`, Args: []any{buyerID}})
		}
		return s.stock.ReserveOrders(ctx, tx, holds, orders[0].ExpiresAt, stmts...)
	})
	if err != nil {
		return nil, err
	}
	taken := map[string]int{}
	for _, o := range orders {
		for id, q := range deltas(o, -1) {
			taken[id] += q
		}
	}
	s.stockChanged(ctx, taken)
	return orders, nil
}

// sourceVideo is a video an order line names as where the buyer came from.
type sourceVideo struct {
	creatorID string
	pinned    map[string]bool // product ids
}

// sourceVideos returns the creator and pinned products of every existing
// video the items name, in one query.
func (s *Service) sourceVideos(ctx context.Context, items []ItemInput) (map[string]sourceVideo, error) {
	out := map[string]sourceVideo{}
	var ids []string
	for _, it := range items {
		if it.SourceVideoID != nil {
			ids = append(ids, *it.SourceVideoID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT v.id, v.creator_id, p.product_id FROM videos v LEFT JOIN pins p ON p.video_id = v.id
		WHERE v.id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("checkout: load videos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, creator string
		var product *string
		if err := rows.Scan(&id, &creator, &product); err != nil {
			return nil, fmt.Errorf("checkout: scan video: %w", err)
		}
		v, ok := out[id]
		if !ok {
			v = sourceVideo{creatorID: creator, pinned: map[string]bool{}}
			out[id] = v
		}
		if product != nil {
			v.pinned[*product] = true
		}
	}
	return out, rows.Err()
}

// buildOrders prices items at the prices in infos (read under the SKU
// locks) and splits them by shop. It returns a validation error naming
// unknown SKUs and videos.
func (s *Service) buildOrders(buyerID string, items []ItemInput, ship Shipping, infos map[string]catalog.LockedSKU,
	videos map[string]sourceVideo) ([]Order, error) {
	var bad []reelmart.FieldError
	for i, it := range items {
		if _, ok := infos[it.SKUID]; !ok {
			bad = append(bad, reelmart.FieldError{Field: fmt.Sprintf("items[%d].sku_id", i), Message: "no such SKU"})
		}
		if it.SourceVideoID != nil {
			if _, ok := videos[*it.SourceVideoID]; !ok {
				bad = append(bad, reelmart.FieldError{Field: fmt.Sprintf("items[%d].source_video_id", i), Message: "no such video"})
			}
		}
	}
	if err := reelmart.Invalid(bad); err != nil {
		return nil, err
	}
	now := s.now()
	byShop := map[string]*Order{}
	var shops []string
	for _, it := range items {
		k := infos[it.SKUID]
		o := byShop[k.ShopID]
		if o == nil {
			o = &Order{ID: reelmart.NewID(), BuyerID: buyerID, ShopID: k.ShopID, State: StatePendingPayment,
				Shipping: ship, ExpiresAt: now.Add(s.cfg.ReservationTTL), CreatedAt: now, UpdatedAt: now,
				Events: []Event{{To: StatePendingPayment, ActorID: buyerID, At: now}}}
			byShop[k.ShopID] = o
			shops = append(shops, k.ShopID)
		}
		l := Line{SKUID: it.SKUID, ProductID: k.ProductID, Title: k.Title, SKUCode: k.Code, Qty: it.Qty,
			UnitPrice: s.money(k.PriceMinor), Subtotal: s.money(k.PriceMinor * int64(it.Qty)), SourceVideoID: it.SourceVideoID, bps: k.CommissionBps}
		if it.SourceVideoID != nil {
			// Commission is for a product the video pins; a creator buying
			// through their own video earns nothing.
			if v := videos[*it.SourceVideoID]; v.creatorID != buyerID && v.pinned[k.ProductID] {
				l.creatorID = v.creatorID
				l.commission = k.PriceMinor * int64(it.Qty) * int64(k.CommissionBps) / 10_000
			}
		}
		o.Lines = append(o.Lines, l)
		o.Total.AmountMinor += l.Subtotal.AmountMinor
	}
	slices.Sort(shops)
	out := make([]Order, 0, len(shops))
	for _, id := range shops {
		o := byShop[id]
		o.Total.Currency = s.cfg.Currency
		o.fee = o.Total.AmountMinor * int64(s.cfg.PlatformFeeBps) / 10_000
		out = append(out, *o)
	}
	return out, nil
}

// orderStmts returns the inserts of orders, their lines and their first
// events: one multi-row statement per table.
func orderStmts(orders []Order) []db.Stmt {
	var ord, lines, events db.Stmt
	var ov, lv, ev []string
	for _, o := range orders {
		ship, _ := json.Marshal(o.Shipping) // strings only: cannot fail
		ov = append(ov, placeholders(&ord, o.ID, o.BuyerID, o.ShopID, o.State, o.Total.Currency, o.Total.AmountMinor,
			o.fee, string(ship), o.ExpiresAt, o.CreatedAt, o.UpdatedAt))
		for i, l := range o.Lines {
			var creator any
			if l.creatorID != "" {
				creator = l.creatorID
			}
			lv = append(lv, placeholders(&lines, o.ID, i, l.SKUID, l.ProductID, l.Title, l.SKUCode, l.Qty,
				l.UnitPrice.AmountMinor, l.bps, l.commission, l.SourceVideoID, creator))
		}
		ev = append(ev, placeholders(&events, reelmart.NewID(), o.ID, "", StatePendingPayment, o.BuyerID, o.CreatedAt))
	}
	ord.SQL = `INSERT INTO orders (id, buyer_id, shop_id, state, currency, total_minor, fee_minor, shipping, expires_at, created_at, updated_at)
		VALUES ` + strings.Join(ov, ", ")
	lines.SQL = `INSERT INTO order_lines (order_id, position, sku_id, product_id, title, sku_code, qty,
		unit_price_minor, commission_bps, commission_minor, source_video_id, creator_id) VALUES ` + strings.Join(lv, ", ")
	events.SQL = `INSERT INTO order_events (id, order_id, from_state, to_state, actor_id, at) VALUES ` + strings.Join(ev, ", ")
	return []db.Stmt{ord, lines, events}
}

// placeholders appends args to st and returns their "($n, …)" row.
func placeholders(st *db.Stmt, args ...any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		st.Args = append(st.Args, a)
		fmt.Fprintf(&b, "$%d", len(st.Args))
	}
	b.WriteByte(')')
	return b.String()
}

func (s *Service) recordEvent(ctx context.Context, tx *sql.Tx, orderID string, from, to State, actorID string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_events (id, order_id, from_state, to_state, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		reelmart.NewID(), orderID, string(from), string(to), actorID, at)
	if err != nil {
		return fmt.Errorf("checkout: record order event: %w", err)
	}
	return nil
}
