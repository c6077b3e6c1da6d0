package checkout

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
)

// PaymentMethod is a way to pay for an order. The wallet is the first. A
// provider confirmed by webhook would add one whose Account is its
// clearing account, and run the same posting when the webhook confirms.
type PaymentMethod interface {
	// Name is what clients send as "method".
	Name() string
	// Account returns the ledger account (and its kind) the order total
	// is taken from when buyerID pays, and where refunds go back to.
	Account(buyerID string) (account, kind string)
}

// Wallet pays from the buyer's wallet; the balance check is part of the
// ledger posting, so a wallet can never go below zero.
type Wallet struct{}

// Name returns "wallet".
func (Wallet) Name() string { return "wallet" }

// Account returns the buyer's wallet account.
func (Wallet) Account(buyerID string) (string, string) { return walletAccount(buyerID), KindWallet }

// SystemActor is the actor recorded for changes made by the expiry sweep.
const SystemActor = "system"

// role is how a user relates to an order.
type role int

const (
	roleNone role = iota
	roleBuyer
	roleMerchant
)

// lockOrder takes the order's row lock for the rest of tx (on PostgreSQL;
// SQLite holds the database lock from BEGIN), so the state read next cannot
// change before this transaction moves it, and returns the order and how
// userID relates to it. Someone unrelated gets ErrOrderNotFound.
func (s *Service) lockOrder(ctx context.Context, tx *sql.Tx, id, userID string) (Order, role, error) {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET updated_at = updated_at WHERE id = $1`, id)
	if err != nil {
		return Order{}, roleNone, fmt.Errorf("checkout: lock order: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return Order{}, roleNone, fmt.Errorf("checkout: lock order: %w", err)
	} else if n == 0 {
		return Order{}, roleNone, ErrOrderNotFound
	}
	o, err := s.load(ctx, tx, id)
	if err != nil {
		return Order{}, roleNone, err
	}
	if userID == SystemActor {
		return o, roleNone, nil
	}
	if o.BuyerID == userID {
		return o, roleBuyer, nil
	}
	owner, err := s.shopOwner(ctx, tx, o.ShopID)
	if err != nil {
		return Order{}, roleNone, err
	}
	if owner == userID {
		return o, roleMerchant, nil
	}
	return Order{}, roleNone, ErrOrderNotFound
}

// move changes o's state (the row is locked) and records who did it.
func (s *Service) move(ctx context.Context, tx *sql.Tx, o *Order, to State, actorID string) error {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4`,
		to, now, o.ID, o.State); err != nil {
		return fmt.Errorf("checkout: move order to %s: %w", to, err)
	}
	if err := s.recordEvent(ctx, tx, o.ID, o.State, to, actorID, now); err != nil {
		return err
	}
	o.State = to
	return nil
}

// paymentLegs are the entries of paying o from source: the buyer pays the
// total; the platform takes its fee; each creator's commission is held as
// pending; the shop's receivable gets the rest. The merchant pays the
// commission out of their share.
func (s *Service) paymentLegs(o Order, source, sourceKind string) []entry {
	legs := []entry{{account: source, kind: sourceKind, owner: o.BuyerID, amount: -o.Total.AmountMinor}}
	net := o.Total.AmountMinor - o.fee
	for _, l := range o.Lines {
		if l.creatorID != "" && l.commission > 0 {
			legs = append(legs, entry{account: pendingCommissionAccount(l.creatorID), kind: KindCommissionPending, owner: l.creatorID, amount: l.commission})
			net -= l.commission
		}
	}
	legs = append(legs,
		entry{account: AccountPlatformFee, kind: KindSystem, amount: o.fee},
		entry{account: receivableAccount(o.ShopID), kind: KindReceivable, owner: o.ShopID, amount: net})
	return legs
}

func reverse(legs []entry) []entry {
	out := make([]entry, len(legs))
	for i, l := range legs {
		l.amount = -l.amount
		out[i] = l
	}
	return out
}

func holdsOf(o Order) []catalog.Hold {
	holds := make([]catalog.Hold, len(o.Lines))
	for i, l := range o.Lines {
		holds[i] = catalog.Hold{SKUID: l.SKUID, Qty: l.Qty}
	}
	return holds
}

// Pay pays order id for its buyer with method ("wallet"): the reserved
// stock becomes sold and the total moves through the ledger. It returns
// ErrOrderNotFound, ErrNotBuyer, a validation error for an unknown method,
// illegal_transition unless the order awaits payment (so a second payment
// never charges twice), ErrOrderExpired (the order is then cancelled), or
// ErrInsufficientFunds (nothing changes). With claim (an Idempotency-Key)
// the payment is noted on the key; if an earlier attempt with the key paid,
// the order is returned as it is now instead.
func (s *Service) Pay(ctx context.Context, userID, id, method string, claim *Claim) (Order, error) {
	if claim.ReadBack() {
		return s.load(ctx, s.db, id)
	}
	m, ok := s.methods[method]
	if !ok {
		return Order{}, ErrUnknownMethod
	}
	var o Order
	expired := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var r role
		var err error
		if o, r, err = s.lockOrder(ctx, tx, id, userID); err != nil {
			return err
		}
		if r != roleBuyer {
			return ErrNotBuyer
		}
		if o.State != StatePendingPayment {
			return illegal("pay", o.State)
		}
		if !s.now().Before(o.ExpiresAt) {
			expired = true
			return ErrOrderExpired
		}
		// Selling moves the quantity from reserved to sold: what is
		// available does not change, so the search index need not hear.
		if _, err = s.stock.Sell(ctx, tx, holdsOf(o), userID); err != nil {
			return err
		}
		account, kind := m.Account(o.BuyerID)
		if _, err := s.post(ctx, tx, TxPayment, o.ID, userID, s.paymentLegs(o, account, kind)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET payment_method = $1 WHERE id = $2`, m.Name(), o.ID); err != nil {
			return fmt.Errorf("checkout: record payment method: %w", err)
		}
		name := m.Name()
		o.PaymentMethod = &name
		for _, l := range o.Lines {
			if l.SourceVideoID != nil {
				if err := s.countSignal(ctx, tx, *l.SourceVideoID, l.ProductID, 0, 1, int64(l.Qty), l.Subtotal.AmountMinor); err != nil {
					return err
				}
			}
		}
		if err := s.move(ctx, tx, &o, StatePaid, userID); err != nil {
			return err
		}
		return claim.note(ctx, tx, o.ID)
	})
	if expired {
		if _, err := s.expire(ctx, id); err != nil {
			s.logf(ctx, "checkout: cancel expired order", "order_id", id, "err", err)
		}
	}
	if err == nil {
		err = s.afterCommit(ctx, "pay")
	}
	if err != nil {
		return Order{}, err
	}
	return s.load(ctx, s.db, id)
}

// Shipment is what the merchant tells the buyer when shipping.
type Shipment struct {
	Carrier  string `json:"carrier"`
	Tracking string `json:"tracking"`
}

// Ship marks a paid order shipped for its shop's owner. It returns a
// validation error, ErrOrderNotFound, ErrNotShopOwner or illegal_transition.
func (s *Service) Ship(ctx context.Context, userID, id string, in Shipment) (Order, error) {
	var bad []reelmart.FieldError
	for _, f := range []struct{ name, v string }{{"carrier", in.Carrier}, {"tracking", in.Tracking}} {
		if n := utf8.RuneCountInString(strings.TrimSpace(f.v)); n == 0 || n > 100 || strings.ContainsAny(f.v, "\x00\r\n") {
			bad = append(bad, reelmart.FieldError{Field: f.name, Message: "must be 1 to 100 characters on one line"})
		}
	}
	if err := reelmart.Invalid(bad); err != nil {
		return Order{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		o, r, err := s.lockOrder(ctx, tx, id, userID)
		if err != nil {
			return err
		}
		if r != roleMerchant {
			return ErrNotShopOwner
		}
		if o.State != StatePaid {
			return illegal("ship", o.State)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET carrier = $1, tracking = $2 WHERE id = $3`,
			strings.TrimSpace(in.Carrier), strings.TrimSpace(in.Tracking), id); err != nil {
			return fmt.Errorf("checkout: record shipment: %w", err)
		}
		return s.move(ctx, tx, &o, StateShipped, userID)
	})
	if err != nil {
		return Order{}, err
	}
	return s.load(ctx, s.db, id)
}

// Complete marks a shipped order received for its buyer and settles the
// creators' commissions. It returns ErrOrderNotFound, ErrNotBuyer or
// illegal_transition.
func (s *Service) Complete(ctx context.Context, userID, id string) (Order, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		o, r, err := s.lockOrder(ctx, tx, id, userID)
		if err != nil {
			return err
		}
		if r != roleBuyer {
			return ErrNotBuyer
		}
		if o.State != StateShipped {
			return illegal("complete", o.State)
		}
		var legs []entry
		for _, l := range o.Lines {
			if l.creatorID != "" && l.commission > 0 {
				legs = append(legs,
					entry{account: pendingCommissionAccount(l.creatorID), kind: KindCommissionPending, owner: l.creatorID, amount: -l.commission},
					entry{account: commissionAccount(l.creatorID), kind: KindCommission, owner: l.creatorID, amount: l.commission})
			}
		}
		if len(legs) > 0 {
			if _, err := s.post(ctx, tx, TxCommissionSettle, o.ID, userID, legs); err != nil {
				return err
			}
		}
		return s.move(ctx, tx, &o, StateCompleted, userID)
	})
	if err != nil {
		return Order{}, err
	}
	return s.load(ctx, s.db, id)
}

// Cancel cancels an order that has not shipped, for its buyer or its
// shop's owner: an unpaid order's reservations are released; a paid order
// is refunded in full and its stock returned. It returns ErrOrderNotFound
// or illegal_transition.
func (s *Service) Cancel(ctx context.Context, userID, id string) (Order, error) {
	return s.unwind(ctx, userID, id, "cancel", StateCancelled, nil, func(r role, st State) bool {
		return (r == roleBuyer || r == roleMerchant) && (st == StatePendingPayment || st == StatePaid)
	})
}

// Refund refunds a paid or shipped order for its shop's owner: the buyer
// gets the total back, pending commissions are reversed and the stock is
// returned. It returns ErrOrderNotFound, ErrNotShopOwner or
// illegal_transition. With claim (an Idempotency-Key) the refund is noted on
// the key; if an earlier attempt with the key refunded, the order is
// returned as it is now instead.
func (s *Service) Refund(ctx context.Context, userID, id string, claim *Claim) (Order, error) {
	if claim.ReadBack() {
		return s.load(ctx, s.db, id)
	}
	return s.unwind(ctx, userID, id, "refund", StateRefunded, claim, func(r role, st State) bool {
		return st == StatePaid || st == StateShipped
	})
}

func (s *Service) unwind(ctx context.Context, userID, id, action string, to State, claim *Claim, allowed func(role, State) bool) (Order, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		o, r, err := s.lockOrder(ctx, tx, id, userID)
		if err != nil {
			return err
		}
		if action == "refund" && r != roleMerchant {
			return ErrNotShopOwner
		}
		if !allowed(r, o.State) {
			return illegal(action, o.State)
		}
		if err := s.undo(ctx, tx, o, userID); err != nil {
			return err
		}
		if err := s.stockChangedTx(ctx, tx, deltas(o, 1)); err != nil {
			return err
		}
		if err := s.move(ctx, tx, &o, to, userID); err != nil {
			return err
		}
		return claim.note(ctx, tx, o.ID)
	})
	if err != nil {
		return Order{}, err
	}
	if err := s.afterCommit(ctx, action); err != nil {
		return Order{}, err
	}
	return s.load(ctx, s.db, id)
}

// undo gives back what o holds: reservations of an unpaid order; the
// money, the stock and the signals of a paid one.
func (s *Service) undo(ctx context.Context, tx *sql.Tx, o Order, actorID string) error {
	if o.State == StatePendingPayment {
		_, err := s.stock.Release(ctx, tx, holdsOf(o))
		return err
	}
	m, ok := s.methods[deref(o.PaymentMethod)]
	if !ok {
		return fmt.Errorf("checkout: order %s was paid with unknown method %q", o.ID, deref(o.PaymentMethod))
	}
	// Every transaction takes its locks in one order — the order row, then
	// SKUs, then ledger accounts — so a refund and a payment of the same
	// shop never deadlock.
	if _, err := s.stock.Restock(ctx, tx, holdsOf(o), actorID, "returned"); err != nil {
		return err
	}
	account, kind := m.Account(o.BuyerID)
	if _, err := s.post(ctx, tx, TxRefund, o.ID, actorID, reverse(s.paymentLegs(o, account, kind))); err != nil {
		return err
	}
	for _, l := range o.Lines {
		if l.SourceVideoID != nil {
			if err := s.countSignal(ctx, tx, *l.SourceVideoID, l.ProductID, 0, -1, -int64(l.Qty), -l.Subtotal.AmountMinor); err != nil {
				return err
			}
		}
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// expire cancels order id if it still awaits payment and its reservation
// has expired, releasing its stock. It reports whether it did.
func (s *Service) expire(ctx context.Context, id string) (bool, error) {
	done := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		o, _, err := s.lockOrder(ctx, tx, id, SystemActor)
		if err != nil {
			return err
		}
		if o.State != StatePendingPayment || s.now().Before(o.ExpiresAt) {
			return nil
		}
		if _, err = s.stock.Release(ctx, tx, holdsOf(o)); err != nil {
			return err
		}
		if err := s.stockChangedTx(ctx, tx, deltas(o, 1)); err != nil {
			return err
		}
		done = true
		return s.move(ctx, tx, &o, StateCancelled, SystemActor)
	})
	if err != nil {
		return false, err
	}
	return done, nil
}

// Sweep cancels every unpaid order whose reservation has expired and
// releases its stock, and returns how many it cancelled. The server runs
// it every minute.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	var total int64
	for {
		// The state is a literal so the partial index orders_unpaid_expiry applies.
		ids, err := s.ids(ctx, "find expired orders", `SELECT id FROM orders WHERE state = 'pending_payment' AND expires_at <= $1
			ORDER BY expires_at LIMIT 200`, s.now())
		if err != nil {
			return total, err
		}
		var n int64
		for _, id := range ids {
			done, err := s.expire(ctx, id)
			if err != nil {
				return total, err
			}
			if done {
				n++
			}
		}
		total += n
		if len(ids) < 200 || n == 0 {
			return total, nil
		}
	}
}

// countSignal adds to the commerce counters of a video's product.
func (s *Service) countSignal(ctx context.Context, q db.Querier, videoID, productID string, carts, purchases, units, revenue int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO video_sales (video_id, product_id, add_to_carts, purchases, units, revenue_minor)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (video_id, product_id) DO UPDATE SET
		add_to_carts = video_sales.add_to_carts + excluded.add_to_carts, purchases = video_sales.purchases + excluded.purchases,
		units = video_sales.units + excluded.units, revenue_minor = video_sales.revenue_minor + excluded.revenue_minor`,
		videoID, productID, carts, purchases, units, revenue)
	if err != nil {
		return fmt.Errorf("checkout: count video sales: %w", err)
	}
	return nil
}
