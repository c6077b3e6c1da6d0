package catalog_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/bleve"
	"github.com/reelmart/reelmart/platform/search/elastic/elastictest"
)

var ctx = context.Background()

// clock is a settable time source for reservation expiry. Each reading
// moves it on by a millisecond, so updates are ordered in time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// env is a catalog service on real engines: the given database, blobs on
// local disk unless set, and a Bleve index unless set.
type env struct {
	t     *testing.T
	db    *db.DB
	svc   *catalog.Service
	index search.Index
	blobs blob.Store
	clock *clock
}

func newEnv(t *testing.T, d *db.DB, opts ...func(*envOptions)) *env {
	t.Helper()
	o := envOptions{}
	for _, f := range opts {
		f(&o)
	}
	if o.blobs == nil {
		st, err := local.New(t.TempDir(), local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		o.blobs = st
	}
	if o.index == nil {
		o.index = bleveIndex(t)
	}
	c := &clock{t: time.Now().UTC()}
	cfg := o.cfg
	cfg.Currency = "USD"
	return &env{t: t, db: d, index: o.index, blobs: o.blobs, clock: c,
		svc: catalog.NewService(d, o.blobs, o.index, cfg, c.now)}
}

type envOptions struct {
	blobs blob.Store
	index search.Index
	cfg   catalog.Config
}

func withIndex(ix search.Index) func(*envOptions) { return func(o *envOptions) { o.index = ix } }
func withBlobs(b blob.Store) func(*envOptions)    { return func(o *envOptions) { o.blobs = b } }
func withConfig(c catalog.Config) func(*envOptions) {
	return func(o *envOptions) { o.cfg = c }
}

func bleveIndex(t *testing.T) search.Index {
	t.Helper()
	ix, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// user inserts a user row and returns its id; shops need an owner that exists.
func (e *env) user(handle string) string {
	e.t.Helper()
	id := reelmart.NewID()
	now := time.Now().UTC().Truncate(time.Microsecond)
	_, err := e.db.ExecContext(ctx, `INSERT INTO users (id, email, email_norm, handle, display_name, password_hash, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $3, 'x', $4, $4)`, id, handle+"@example.com", handle, now)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) shop(owner, name string) catalog.Shop {
	e.t.Helper()
	sh, err := e.svc.CreateShop(ctx, owner, catalog.ShopInput{Name: name, Description: "A shop"})
	if err != nil {
		e.t.Fatalf("create shop %s: %v", name, err)
	}
	return sh
}

func ptr[T any](v T) *T { return &v }

func sku(code string, price int64, stock int, attrs ...string) catalog.SKUInput {
	a := map[string]string{}
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	return catalog.SKUInput{Code: ptr(code), Attributes: a, Price: &catalog.Money{AmountMinor: price}, Stock: ptr(stock)}
}

func (e *env) product(owner, shopID, title string, status catalog.Status, skus ...catalog.SKUInput) catalog.Product {
	e.t.Helper()
	if len(skus) == 0 {
		skus = []catalog.SKUInput{sku("STD", 1999, 10)}
	}
	p, err := e.svc.CreateProduct(ctx, owner, catalog.ProductInput{ShopID: shopID, Title: title, Description: "About " + title,
		CommissionBPS: 500, Status: status, SKUs: skus})
	if err != nil {
		e.t.Fatalf("create product %s: %v", title, err)
	}
	return p
}

// reserve holds qty of each SKU of holds (id, qty, id, qty, …) the way
// checkout's placement does: through catalog.Reservation, in one
// transaction that commits only if every SKU was reserved. It returns the
// SKUs the reservation returned, sorted, and whether that was all of them.
func (e *env) reserve(holds ...any) (reserved []string, ok bool) {
	e.t.Helper()
	got, err := reserveIn(e.db, catalog.Reservation{Wanted: "w"}, toHolds(holds))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, k := range got {
		reserved = append(reserved, k.id)
	}
	slices.Sort(reserved)
	return reserved, len(got) == len(holds)/2
}

// reservedSKU is a row of catalog.Reserved.
type reservedSKU struct {
	id, product, code, title, shop string
	price                          int64
	bps, available                 int
}

// reserveIn runs r over holds as checkout's statement does on each engine
// (r.Wanted names the VALUES of holds) and commits only if all of them
// were reserved. It returns the rows of catalog.Reserved; on SQLite, where
// they are read after the reservation, only when it was complete (else
// just the ids).
func reserveIn(d *db.DB, r catalog.Reservation, holds []catalog.Hold) ([]reservedSKU, error) {
	var p db.Params
	rows := make([]string, len(holds))
	for i, h := range holds {
		rows[i] = "(" + p.Add(h.SKUID) + ", CAST(" + p.Add(h.Qty) + " AS INTEGER))"
	}
	with := `WITH ` + r.Wanted + ` (sku_id, qty) AS (VALUES ` + strings.Join(rows, ", ") + `)`
	errShort := errors.New("short")
	var out []reservedSKU
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		out = nil
		read := with + `, ` + r.CTEs() + ` SELECT ` + catalog.ReservedColumns + ` FROM ` + catalog.Reserved
		if d.Dialect() == db.SQLite {
			ids, err := tx.QueryContext(ctx, with+` `+r.Update(), p...)
			if err != nil {
				return err
			}
			for ids.Next() {
				var k reservedSKU
				if err := ids.Scan(&k.id); err != nil {
					ids.Close()
					return err
				}
				out = append(out, k)
			}
			ids.Close()
			if err := ids.Err(); err != nil {
				return err
			}
			if len(out) < len(holds) {
				return errShort
			}
			// The next statements of the transaction read what was reserved.
			out, read = nil, with+`, `+r.ReadReserved()+` SELECT `+catalog.ReservedColumns+` FROM `+catalog.Reserved
		}
		got, err := tx.QueryContext(ctx, read, p...)
		if err != nil {
			return err
		}
		defer got.Close()
		for got.Next() {
			var k reservedSKU
			if err := got.Scan(&k.id, &k.product, &k.code, &k.price, &k.title, &k.shop, &k.bps, &k.available); err != nil {
				return err
			}
			out = append(out, k)
		}
		if err := got.Err(); err != nil {
			return err
		}
		if len(out) < len(holds) {
			return errShort // what was reserved goes back with the transaction
		}
		return nil
	})
	if errors.Is(err, errShort) {
		err = nil
	}
	return out, err
}

// release gives back holds (id, qty, …), as cancelling an unpaid order does.
func (e *env) release(holds ...any) {
	e.t.Helper()
	if err := e.db.Tx(ctx, func(tx *sql.Tx) error { _, err := e.svc.Release(ctx, tx, toHolds(holds)); return err }); err != nil {
		e.t.Fatal(err)
	}
}

func toHolds(pairs []any) []catalog.Hold {
	var out []catalog.Hold
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, catalog.Hold{SKUID: pairs[i].(string), Qty: pairs[i+1].(int)})
	}
	return out
}

func code(err error) string {
	if e := reelmart.AsError(err); e != nil {
		return e.Code
	}
	return ""
}

// fields returns the field names of a validation error.
func fields(err error) []string {
	e := reelmart.AsError(err)
	if e == nil {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// elasticIndex opens the test cluster under a prefix of its own and drops the products index when the test ends.
func elasticIndex(t *testing.T) search.Index {
	return elastictest.Open(t, "catalog", catalog.IndexName)
}
