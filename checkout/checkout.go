// Package checkout owns the buy journey after the product sheet: the cart,
// orders (one per shop, stock reserved atomically with an expiry), the
// wallet and its double-entry ledger, payment, the order lifecycle, creator
// commissions and the commerce signals per source video.
//
// Stock itself belongs to catalog. Placing an order reserves it with
// catalog.Reservation, the part of checkout's placement statement that
// catalog writes (place.go); paying, cancelling and refunding move it
// through the Stock interface, inside checkout's transactions. Money moves
// only by posting a balanced ledger transaction (ledger.go). Requests with
// an Idempotency-Key note their effect on the key in the same statement or
// transaction (idempotency.go).
package checkout

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
)

// Stock is what checkout needs from the catalog service; *catalog.Service
// has it. Reserving is not a call: it is catalog.Reservation, a part of
// checkout's own placement statement. The quantity a SKU has reserved is always the sum of the lines of the
// orders awaiting payment: placing an order adds its lines; paying (Sell),
// cancelling or expiring it (Release) takes them out again.
type Stock interface {
	Availabilities(ctx context.Context, q db.Querier, ids []string) (map[string]catalog.Availability, error)
	Release(ctx context.Context, tx *sql.Tx, holds []catalog.Hold) ([]string, error)
	Sell(ctx context.Context, tx *sql.Tx, holds []catalog.Hold, userID string) ([]string, error)
	Restock(ctx context.Context, tx *sql.Tx, holds []catalog.Hold, userID, reason string) ([]string, error)
	StockChanged(ctx context.Context, skuIDs ...string)
	StockChangedTx(ctx context.Context, tx *sql.Tx, skuIDs ...string) error
}

var _ Stock = (*catalog.Service)(nil)

// Config holds the checkout rules an operator may tune.
type Config struct {
	// Currency is the ISO 4217 code of the deployment (required).
	Currency string
	// ReservationTTL is how long an unpaid order holds its stock; default 15 min.
	ReservationTTL time.Duration
	// PlatformFeeBps is the platform's share of each paid order in basis
	// points; default 500 (5%). Commission plus fee may not exceed the total.
	PlatformFeeBps int
	// MaxTopUp caps one sandbox top-up, in minor units; default 1,000,000.
	MaxTopUp int64
	// MaxWalletBalance caps a wallet after a top-up; default 100,000,000.
	MaxWalletBalance int64
	// PlaceAlone places every order in a statement of its own, never
	// coalesced with other one-line orders (batch.go): a switch, and the
	// baseline the benchmark compares batching with.
	PlaceAlone bool
	// KeyLease is how long a request holds its Idempotency-Key before a
	// retry may take it over (idempotency.go); default 30 s.
	KeyLease time.Duration
	// Log receives failures that do not fail the request.
	Log *slog.Logger
	// AfterCommit, when set, runs after an operation's effect has
	// committed and before its answer is built, with the operation's name
	// ("place", "batch", "pay", "refund", "topup"); an error it returns
	// fails the operation as a lost reply would. Tests inject failures
	// there, at the worst moment for a retry; production leaves it nil.
	AfterCommit func(ctx context.Context, op string) error
}

func (c Config) withDefaults() Config {
	if c.ReservationTTL <= 0 {
		c.ReservationTTL = 15 * time.Minute
	}
	if c.PlatformFeeBps <= 0 {
		c.PlatformFeeBps = 500
	}
	if c.MaxTopUp <= 0 {
		c.MaxTopUp = 1_000_000
	}
	if c.MaxWalletBalance <= 0 {
		c.MaxWalletBalance = 100_000_000
	}
	if c.KeyLease <= 0 {
		c.KeyLease = 30 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// afterCommit runs Config.AfterCommit, if set.
func (s *Service) afterCommit(ctx context.Context, op string) error {
	if s.cfg.AfterCommit == nil {
		return nil
	}
	return s.cfg.AfterCommit(ctx, op)
}

// Service runs carts, orders, wallets and the ledger.
type Service struct {
	db      *db.DB
	stock   Stock
	methods map[string]PaymentMethod
	cfg     Config
	now     func() time.Time
	batch   *batcher // coalesces one-line placements on PostgreSQL (batch.go)
}

// NewService returns a Service on d that reserves and sells stock through
// stock. now is the clock (time.Now in production). The wallet is the
// payment method "wallet"; more can be added with AddMethod. It panics if
// cfg.Currency is not a three-letter code: that is a wiring error.
func NewService(d *db.DB, stock Stock, cfg Config, now func() time.Time) *Service {
	if len(cfg.Currency) != 3 {
		panic(fmt.Sprintf("checkout: currency %q is not a three-letter ISO 4217 code", cfg.Currency))
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{db: d, stock: stock, cfg: cfg.withDefaults(),
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
	if d.Dialect() == db.Postgres && !cfg.PlaceAlone {
		s.batch = newBatcher(s)
	}
	s.methods = map[string]PaymentMethod{}
	s.AddMethod(Wallet{})
	return s
}

// AddMethod makes m available to Pay under m.Name().
func (s *Service) AddMethod(m PaymentMethod) { s.methods[m.Name()] = m }

// Collectors returns the metrics of order placement for /metrics: how many
// batch statements ran, the one-line orders they placed, and those they
// left to be placed alone (batch.go). Orders per statement is the second
// over the first.
func (s *Service) Collectors() []prometheus.Collector {
	counter := func(name, help string, v func(*batcher) *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			if s.batch == nil {
				return 0
			}
			return float64(v(s.batch).Load())
		})
	}
	return []prometheus.Collector{
		counter("reelmart_checkout_batch_statements_total", "Statements run to place a batch of one-line orders.",
			func(b *batcher) *atomic.Int64 { return &b.statements }),
		counter("reelmart_checkout_batch_orders_total", "One-line orders placed by batch statements.",
			func(b *batcher) *atomic.Int64 { return &b.placed }),
		counter("reelmart_checkout_batch_declined_total", "One-line orders a batch statement did not place (or all of one the server rejected), left to be placed alone.",
			func(b *batcher) *atomic.Int64 { return &b.declined }),
	}
}

// Money is an amount in the minor unit of Currency.
type Money = catalog.Money

func (s *Service) money(minor int64) Money {
	return Money{AmountMinor: minor, Currency: s.cfg.Currency}
}

// Errors with stable codes that clients can act on.
var (
	ErrOrderNotFound     = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "order_not_found", Message: "no such order"}
	ErrSKUNotFound       = catalog.ErrSKUNotFound
	ErrShopNotFound      = catalog.ErrShopNotFound
	ErrNotShopOwner      = catalog.ErrNotShopOwner
	ErrNotBuyer          = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "not_order_buyer", Message: "only the buyer may do this"}
	ErrInsufficientFunds = &reelmart.Error{Kind: reelmart.KindPaymentRequired, Code: "insufficient_funds", Message: "the wallet balance is lower than the order total"}
	ErrCartEmpty         = &reelmart.Error{Kind: reelmart.KindConflict, Code: "cart_empty", Message: "the cart has nothing to order"}
	ErrOrderExpired      = &reelmart.Error{Kind: reelmart.KindConflict, Code: "order_expired", Message: "the order's reservation expired; it is cancelled"}
	ErrUnknownMethod     = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "validation_failed", Message: "the request has invalid fields",
		Fields: []reelmart.FieldError{{Field: "method", Message: "must be wallet"}}}
	ErrWalletLimit = &reelmart.Error{Kind: reelmart.KindConflict, Code: "wallet_limit", Message: "the top-up would take the wallet over its limit"}
)

// illegal returns the 409 for a transition not allowed from state.
func illegal(action string, state State) *reelmart.Error {
	e := reelmart.Errorf(reelmart.KindConflict, "illegal_transition", "cannot %s an order that is %s", action, state)
	e.Fields = []reelmart.FieldError{{Field: "state", Message: string(state)}}
	return e
}

func (s *Service) logf(ctx context.Context, msg string, args ...any) {
	s.cfg.Log.ErrorContext(ctx, msg, args...)
}

// stockChangedTx tells the catalog, inside tx and after its stock moves,
// about SKUs whose availability moved by delta (positive: given back), but
// only those whose "in stock" crossed zero: re-indexing a product for
// every order would make the search index every order's bottleneck, and
// nothing else in the index depends on the quantity. The catalog records
// the change in tx, so the index learns of it even if the process dies
// right after the commit.
func (s *Service) stockChangedTx(ctx context.Context, tx *sql.Tx, delta map[string]int) error {
	if len(delta) == 0 {
		return nil
	}
	ids := make([]string, 0, len(delta))
	for id := range delta {
		ids = append(ids, id)
	}
	in, args := inList(ids, 1)
	rows, err := tx.QueryContext(ctx, `SELECT id, stock - reserved FROM skus WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return fmt.Errorf("checkout: read availability for the search index: %w", err)
	}
	defer rows.Close()
	var flipped []string
	for rows.Next() {
		var id string
		var avail int
		if err := rows.Scan(&id, &avail); err != nil {
			return fmt.Errorf("checkout: read availability for the search index: %w", err)
		}
		if (avail <= 0) != (avail-delta[id] <= 0) {
			flipped = append(flipped, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("checkout: read availability for the search index: %w", err)
	}
	return s.stock.StockChangedTx(ctx, tx, flipped...)
}

// deltas returns the availability change of giving back (sign +1) or
// taking (sign −1) o's lines.
func deltas(o Order, sign int) map[string]int {
	d := map[string]int{}
	for _, l := range o.Lines {
		d[l.SKUID] += sign * l.Qty
	}
	return d
}
