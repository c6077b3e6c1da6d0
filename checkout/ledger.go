package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// Ledger accounts. Each user's wallet, each shop's receivable and each
// creator's commissions have their own account; the platform fee and the
// sandbox funding source are single accounts. An entry's amount is what it
// adds to its account's balance; the entries of a transaction sum to zero.
const (
	AccountSandbox     = "sandbox"      // where sandbox top-ups come from; its balance is minus all funding
	AccountPlatformFee = "platform_fee" // the platform's share of paid orders
)

// Account kinds.
const (
	KindWallet            = "wallet"
	KindReceivable        = "receivable"
	KindCommissionPending = "commission_pending"
	KindCommission        = "commission"
	KindSystem            = "system"
)

func walletAccount(userID string) string            { return "wallet:" + userID }
func receivableAccount(shopID string) string        { return "receivable:" + shopID }
func pendingCommissionAccount(userID string) string { return "commission_pending:" + userID }
func commissionAccount(userID string) string        { return "commission:" + userID }

// Transaction kinds.
const (
	TxTopUp            = "topup"
	TxPayment          = "payment"
	TxRefund           = "refund"
	TxCommissionSettle = "commission_settle"
)

// entry is one leg of a transaction.
type entry struct {
	account, kind, owner string
	amount               int64
}

// post writes one balanced transaction inside tx and moves the balances of
// its accounts, creating accounts on first use. A wallet leg that would
// take the wallet below zero fails the whole transaction with
// ErrInsufficientFunds: the balance check is the UPDATE's condition.
func (s *Service) post(ctx context.Context, tx *sql.Tx, kind, orderID, actorID string, legs []entry) (string, error) {
	var sum int64
	for _, l := range legs {
		sum += l.amount
	}
	if sum != 0 {
		return "", fmt.Errorf("checkout: unbalanced %s transaction (sum %d)", kind, sum)
	}
	// One lock order for every transaction, so two that share accounts
	// never deadlock on PostgreSQL.
	legs = slices.Clone(legs)
	slices.SortFunc(legs, func(a, b entry) int { return strings.Compare(a.account, b.account) })
	now := s.now()
	txID := reelmart.NewID()
	var order any
	if orderID != "" {
		order = orderID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_transactions (id, kind, order_id, actor_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		txID, kind, order, actorID, now); err != nil {
		return "", fmt.Errorf("checkout: insert ledger transaction: %w", err)
	}
	for _, l := range legs {
		if l.amount == 0 {
			continue
		}
		if err := s.ensureAccount(ctx, tx, l.account, l.kind, l.owner, now); err != nil {
			return "", err
		}
		res, err := tx.ExecContext(ctx, `UPDATE ledger_accounts SET balance_minor = balance_minor + $1
			WHERE id = $2 AND (kind <> 'wallet' OR balance_minor + $1 >= 0)`, l.amount, l.account)
		if err != nil {
			return "", fmt.Errorf("checkout: move balance of %s: %w", l.account, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return "", fmt.Errorf("checkout: move balance of %s: %w", l.account, err)
		} else if n == 0 {
			return "", ErrInsufficientFunds
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (id, transaction_id, account_id, amount_minor, created_at)
			VALUES ($1, $2, $3, $4, $5)`, reelmart.NewID(), txID, l.account, l.amount, now); err != nil {
			return "", fmt.Errorf("checkout: insert ledger entry: %w", err)
		}
	}
	return txID, nil
}

func (s *Service) ensureAccount(ctx context.Context, q db.Querier, id, kind, owner string, now time.Time) error {
	var o any
	if owner != "" {
		o = owner
	}
	_, err := q.ExecContext(ctx, `INSERT INTO ledger_accounts (id, kind, owner_id, currency, balance_minor, created_at)
		VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (id) DO NOTHING`, id, kind, o, s.cfg.Currency, now)
	if err != nil {
		return fmt.Errorf("checkout: create account %s: %w", id, err)
	}
	return nil
}

func (s *Service) balance(ctx context.Context, q db.Querier, account string) (int64, error) {
	var b int64
	err := q.QueryRowContext(ctx, `SELECT balance_minor FROM ledger_accounts WHERE id = $1`, account).Scan(&b)
	if errors.Is(err, db.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("checkout: read balance of %s: %w", account, err)
	}
	return b, nil
}

// WalletView is a user's wallet.
type WalletView struct {
	Balance Money `json:"balance"`
}

// Wallet returns userID's wallet (zero before the first top-up).
func (s *Service) Wallet(ctx context.Context, userID string) (WalletView, error) {
	b, err := s.balance(ctx, s.db, walletAccount(userID))
	if err != nil {
		return WalletView{}, err
	}
	return WalletView{Balance: s.money(b)}, nil
}

// TopUp adds amount (minor units) to userID's wallet from the sandbox
// funding source and returns the wallet. It returns a validation error for
// an amount outside 1…MaxTopUp, or ErrWalletLimit. With claim (an
// Idempotency-Key) the top-up is noted on the key; if an earlier attempt
// with the key topped up, the wallet is returned as it is now instead.
func (s *Service) TopUp(ctx context.Context, userID string, amount Money, claim *Claim) (WalletView, error) {
	if claim.ReadBack() {
		return s.Wallet(ctx, userID)
	}
	var bad []reelmart.FieldError
	if amount.AmountMinor < 1 || amount.AmountMinor > s.cfg.MaxTopUp {
		bad = append(bad, reelmart.FieldError{Field: "amount.amount_minor", Message: fmt.Sprintf("must be from 1 to %d", s.cfg.MaxTopUp)})
	}
	if amount.Currency != "" && amount.Currency != s.cfg.Currency {
		bad = append(bad, reelmart.FieldError{Field: "amount.currency", Message: "must be " + s.cfg.Currency})
	}
	if err := reelmart.Invalid(bad); err != nil {
		return WalletView{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		txID, err := s.post(ctx, tx, TxTopUp, "", userID, []entry{
			{account: AccountSandbox, kind: KindSystem, amount: -amount.AmountMinor},
			{account: walletAccount(userID), kind: KindWallet, owner: userID, amount: amount.AmountMinor},
		})
		if err != nil {
			return err
		}
		b, err := s.balance(ctx, tx, walletAccount(userID))
		if err != nil {
			return err
		}
		if b > s.cfg.MaxWalletBalance {
			return ErrWalletLimit
		}
		return claim.note(ctx, tx, txID)
	})
	if err == nil {
		err = s.afterCommit(ctx, "topup")
	}
	if err != nil {
		return WalletView{}, err
	}
	return s.Wallet(ctx, userID)
}

// WalletEntry is one movement of a wallet.
type WalletEntry struct {
	ID            string    `json:"id"`
	TransactionID string    `json:"transaction_id"`
	Kind          string    `json:"kind"`
	Amount        Money     `json:"amount"`
	OrderID       *string   `json:"order_id"`
	CreatedAt     time.Time `json:"created_at"`
}

// Page is one page of a list; NextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// MaxLimit is the largest page size; DefaultLimit is used when none is asked.
const (
	MaxLimit     = 100
	DefaultLimit = 20
)

func pageLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return min(limit, MaxLimit)
}

// WalletTransactions returns userID's wallet entries, newest first, after
// cursor (the last id of the previous page).
func (s *Service) WalletTransactions(ctx context.Context, userID, cursor string, limit int) (Page[WalletEntry], error) {
	limit = pageLimit(limit)
	q := `SELECT e.id, e.transaction_id, t.kind, e.amount_minor, t.order_id, e.created_at
		FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE e.account_id = $1 AND ($2 = '' OR e.id < $2) ORDER BY e.id DESC LIMIT $3`
	rows, err := s.db.QueryContext(ctx, q, walletAccount(userID), cursor, limit+1)
	if err != nil {
		return Page[WalletEntry]{}, fmt.Errorf("checkout: list wallet entries: %w", err)
	}
	defer rows.Close()
	out := Page[WalletEntry]{Items: []WalletEntry{}}
	for rows.Next() {
		var e WalletEntry
		var amount int64
		var order sql.NullString
		if err := rows.Scan(&e.ID, &e.TransactionID, &e.Kind, &amount, &order, &e.CreatedAt); err != nil {
			return Page[WalletEntry]{}, fmt.Errorf("checkout: scan wallet entry: %w", err)
		}
		e.Amount = s.money(amount)
		e.CreatedAt = e.CreatedAt.UTC()
		if order.Valid {
			e.OrderID = &order.String
		}
		out.Items = append(out.Items, e)
	}
	if err := rows.Err(); err != nil {
		return Page[WalletEntry]{}, fmt.Errorf("checkout: list wallet entries: %w", err)
	}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		out.NextCursor = out.Items[limit-1].ID
	}
	return out, nil
}
