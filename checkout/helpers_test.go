package checkout_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search/bleve"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is checkout on a real database with a real catalog (Bleve index,
// local blobs) sharing one settable clock.
type env struct {
	t       testing.TB
	db      *db.DB
	catalog *catalog.Service
	svc     *checkout.Service
	clock   *clock
}

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	return newEnvWith(t, d, nil)
}

// newEnvWithJobs is newEnv with the catalog's durable index jobs on a real
// queue, as in production. Nothing works the queue until work is called:
// until then the test is a process that died right after its commits.
func newEnvWithJobs(t *testing.T, d *db.DB) (e *env, work func()) {
	t.Helper()
	var cat atomic.Pointer[catalog.Service]
	q, err := jobs.OpenWith(ctx, d, slog.New(slog.DiscardHandler), jobs.Options{PollInterval: 50 * time.Millisecond, ShortPollInterval: 50 * time.Millisecond},
		jobs.Kind{Name: catalog.IndexKind, Queue: jobs.QueueShort, MaxAttempts: jobs.Forever, Timeout: 30 * time.Second,
			Handler: func(ctx context.Context, j jobs.Job) error { return cat.Load().IndexJob(ctx, j) }})
	if err != nil {
		t.Fatal(err)
	}
	e = newEnvWith(t, d, q)
	cat.Store(e.catalog)
	stop, done := func() {}, make(chan struct{})
	close(done)
	t.Cleanup(func() {
		stop()
		<-done
		q.Close()
	})
	return e, func() {
		var w context.Context
		w, stop = context.WithCancel(context.Background())
		done = make(chan struct{})
		go func() {
			defer close(done)
			if err := q.Work(w, jobs.Workers{Short: 1}); err != nil {
				t.Errorf("Work: %v", err)
			}
		}()
	}
}

func newEnvWith(t testing.TB, d *db.DB, q *jobs.Queue) *env {
	t.Helper()
	blobs, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	ix, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	cfg := catalog.Config{Currency: "USD"}
	if q != nil {
		cfg.Jobs = q
	}
	cat := catalog.NewService(d, blobs, ix, cfg, c.now)
	return &env{t: t, db: d, catalog: cat, clock: c,
		svc: checkout.NewService(d, cat, checkout.Config{Currency: "USD"}, c.now)}
}

// user inserts a user row directly (the account service's hashing is slow and not under test).
func (e *env) user(handle string) string {
	e.t.Helper()
	id := reelmart.NewID()
	now := e.clock.now()
	_, err := e.db.ExecContext(ctx, `INSERT INTO users (id, email, email_norm, handle, display_name, password_hash, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $3, 'x', $4, $4)`, id, handle+"@example.com", handle, now)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// video inserts a ready video row of creator.
func (e *env) video(creator string) string {
	e.t.Helper()
	id := reelmart.NewID()
	now := e.clock.now()
	_, err := e.db.ExecContext(ctx, `INSERT INTO videos (id, creator_id, status, created_at, updated_at) VALUES ($1, $2, 'ready', $3, $3)`, id, creator, now)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// pin pins productID to videoID.
func (e *env) pin(videoID, productID string) {
	e.t.Helper()
	_, err := e.db.ExecContext(ctx, `INSERT INTO pins (id, video_id, product_id, position, created_at) VALUES ($1, $2, $3, 0, $4)`,
		reelmart.NewID(), videoID, productID, e.clock.now())
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) shop(owner, name string) string {
	e.t.Helper()
	sh, err := e.catalog.CreateShop(ctx, owner, catalog.ShopInput{Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return sh.ID
}

// product creates an active product in shopID with one SKU per price (each
// with stock), and returns the SKU ids.
func (e *env) product(owner, shopID string, bps, stock int, prices ...int64) (string, []string) {
	e.t.Helper()
	in := catalog.ProductInput{ShopID: shopID, Title: "Thing", CommissionBPS: bps, Status: catalog.StatusActive}
	for i, p := range prices {
		code := fmt.Sprintf("C%d", i)
		st := stock
		in.SKUs = append(in.SKUs, catalog.SKUInput{Code: &code, Price: &catalog.Money{AmountMinor: p, Currency: "USD"}, Stock: &st})
	}
	p, err := e.catalog.CreateProduct(ctx, owner, in)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, k := range p.SKUs {
		ids = append(ids, k.ID)
	}
	return p.ID, ids
}

// configure replaces e's checkout service with one whose config set
// changed from the default.
func (e *env) configure(set func(*checkout.Config)) {
	cfg := checkout.Config{Currency: "USD"}
	set(&cfg)
	e.svc = checkout.NewService(e.db, e.catalog, cfg, e.clock.now)
}

// inStockInSearch reports whether product search lists product as in stock.
func (e *env) inStockInSearch(product string) bool {
	e.t.Helper()
	page, _, err := e.catalog.Search(ctx, catalog.SearchQuery{InStock: true})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range page.Items {
		if p.ID == product {
			return true
		}
	}
	return false
}

// count returns the number of rows of table.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

var addr = &checkout.Shipping{Name: "Ann Buyer", Line1: "1 Main St", City: "Springfield", PostalCode: "12345", Country: "US"}

func (e *env) order(buyer string, items ...checkout.ItemInput) []checkout.Order {
	e.t.Helper()
	orders, err := e.svc.CreateOrders(ctx, buyer, checkout.OrderInput{Items: items, Shipping: addr}, nil)
	if err != nil {
		e.t.Fatalf("create orders: %v", err)
	}
	return orders
}

func (e *env) topUp(user string, amount int64) {
	e.t.Helper()
	if _, err := e.svc.TopUp(ctx, user, checkout.Money{AmountMinor: amount}, nil); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) balance(account string) int64 {
	e.t.Helper()
	var b int64
	err := e.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT balance_minor FROM ledger_accounts WHERE id = $1), 0)`, account).Scan(&b)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) stock(skuID string) (stock, reserved int) {
	e.t.Helper()
	err := e.db.QueryRowContext(ctx, `SELECT stock, reserved FROM skus WHERE id = $1`, skuID).Scan(&stock, &reserved)
	if err != nil {
		e.t.Fatal(err)
	}
	return stock, reserved
}

// checkLedger fails unless every transaction sums to zero, every account's
// balance equals the sum of its entries, no wallet is negative and all
// balances together are zero.
func (e *env) checkLedger() {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_entries
		GROUP BY transaction_id HAVING SUM(amount_minor) <> 0) x`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	if n != 0 {
		e.t.Fatalf("%d ledger transactions do not sum to zero", n)
	}
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_accounts a WHERE a.balance_minor <>
		COALESCE((SELECT SUM(amount_minor) FROM ledger_entries e WHERE e.account_id = a.id), 0)`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	if n != 0 {
		e.t.Fatalf("%d account balances differ from their entries", n)
	}
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_accounts WHERE kind = 'wallet' AND balance_minor < 0`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	if n != 0 {
		e.t.Fatalf("%d wallets are negative", n)
	}
	var total int64
	if err := e.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(balance_minor), 0) FROM ledger_accounts`).Scan(&total); err != nil {
		e.t.Fatal(err)
	}
	if total != 0 {
		e.t.Fatalf("balances sum to %d, not 0", total)
	}
}

func code(err error) string {
	if e := reelmart.AsError(err); e != nil {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "internal: " + err.Error()
}

func vid(s string) *string { return &s }

// checkReserved fails unless every SKU's reserved count is exactly the
// lines of the orders awaiting payment, within its stock.
func (e *env) checkReserved() {
	e.t.Helper()
	var bad int
	err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM skus k WHERE k.reserved > k.stock OR k.reserved <>
		COALESCE((SELECT SUM(l.qty) FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE l.sku_id = k.id AND o.state = 'pending_payment'), 0)`).Scan(&bad)
	if err != nil {
		e.t.Fatal(err)
	}
	if bad != 0 {
		e.t.Fatalf("%d SKUs hold a reserved count other than their pending lines", bad)
	}
}
