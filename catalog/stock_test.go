package catalog_test

import (
	"database/sql"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestStockAndReservations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana, bo := e.user("ana"), e.user("bo")
		sh := e.shop(ana, "Ana")
		p := e.product(ana, sh.ID, "Lamp", catalog.StatusActive, sku("L1", 5000, 5))
		skuID := p.SKUs[0].ID

		if _, ok := e.reserve(skuID, 2); !ok {
			t.Fatal("could not reserve 2 of 5")
		}
		if _, ok := e.reserve(skuID, 1); !ok {
			t.Fatal("could not reserve 1 of 3")
		}
		if got, ok := e.reserve(skuID, 3); ok || len(got) != 0 {
			t.Fatalf("reserved 3 of 2 available: %v", got)
		}
		view, _ := e.svc.Product(ctx, "", p.ID)
		if view.SKUs[0].StockAvailable != 2 {
			t.Fatalf("available = %d, want 5-3", view.SKUs[0].StockAvailable)
		}
		own, _ := e.svc.Product(ctx, ana, p.ID)
		if *own.SKUs[0].Stock != 5 || *own.SKUs[0].Reserved != 3 {
			t.Fatalf("owner view: %+v", own.SKUs[0])
		}

		if _, err := e.svc.SetStock(ctx, bo, skuID, 100); code(err) != "not_shop_owner" {
			t.Fatalf("bo sets stock: %v", err)
		}
		if _, err := e.svc.SetStock(ctx, ana, skuID, 2); code(err) != "stock_below_reserved" {
			t.Fatalf("below reserved: %v", err)
		}
		if _, err := e.svc.SetStock(ctx, ana, skuID, -1); !slices.Equal(fields(err), []string{"stock"}) {
			t.Fatalf("negative: %v", err)
		}
		if _, err := e.svc.SetStock(ctx, ana, "missing", 1); code(err) != "sku_not_found" {
			t.Fatalf("missing sku: %v", err)
		}
		k, err := e.svc.SetStock(ctx, ana, skuID, 3)
		if err != nil || *k.Stock != 3 || k.StockAvailable != 0 {
			t.Fatalf("set to exactly reserved: %+v, %v", k, err)
		}
		// An unpaid order is cancelled: its hold goes back.
		e.release(skuID, 1)
		if k, err = e.svc.SetStock(ctx, ana, skuID, 2); err != nil || k.StockAvailable != 0 || *k.Reserved != 2 {
			t.Fatalf("after expiry: %+v, %v", k, err)
		}
		if k, err = e.svc.SetStock(ctx, ana, skuID, 10); err != nil || k.StockAvailable != 8 {
			t.Fatalf("raise: %+v, %v", k, err)
		}
		e.svc.SetStock(ctx, ana, skuID, 10) // no change, no record

		changes, err := e.svc.StockChanges(ctx, ana, skuID)
		if err != nil {
			t.Fatal(err)
		}
		var got [][2]int
		for _, c := range changes {
			got = append(got, [2]int{c.OldStock, c.NewStock})
			if c.ChangedBy != ana || c.ChangedAt.IsZero() {
				t.Fatalf("change without who/when: %+v", c)
			}
		}
		if want := [][2]int{{0, 5}, {5, 3}, {3, 2}, {2, 10}}; !slices.Equal(got, want) {
			t.Fatalf("stock changes %v, want %v", got, want)
		}
		if _, err := e.svc.StockChanges(ctx, bo, skuID); code(err) != "not_shop_owner" {
			t.Fatalf("bo reads history: %v", err)
		}

		// Of several SKUs, the reservation returns those it could reserve
		// (here the one that had enough, even when that took all it had);
		// the caller that got fewer than it asked for does not commit.
		q := e.product(ana, sh.ID, "Shade", catalog.StatusActive, sku("S1", 900, 4))
		if got, ok := e.reserve(q.SKUs[0].ID, 4, skuID, 9); ok || !slices.Equal(got, []string{q.SKUs[0].ID}) {
			t.Fatalf("reserve all of one, short of the other: %v", got)
		}
		if v, _ := e.svc.Product(ctx, ana, q.ID); *v.SKUs[0].Reserved != 0 {
			t.Fatalf("a failed reservation of two SKUs kept %d of the other", *v.SKUs[0].Reserved)
		}
		if _, ok := e.reserve(skuID, 8); !ok {
			t.Fatal("could not reserve 8 of 8")
		}
		if v, _ := e.svc.Product(ctx, "", p.ID); v.InStock {
			t.Fatal("fully reserved product is in stock")
		}
		var released []string
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			released, err = e.svc.Release(ctx, tx, []catalog.Hold{{SKUID: skuID, Qty: 8}})
			return err
		})
		if err != nil || !slices.Equal(released, []string{skuID}) {
			t.Fatalf("release: %v, %v", released, err)
		}
		if v, _ := e.svc.Product(ctx, "", p.ID); v.SKUs[0].StockAvailable != 8 {
			t.Fatalf("after release: %+v", v.SKUs[0])
		}
		// Releasing more than is reserved (2 now) is a bug, refused by the SKU.
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := e.svc.Release(ctx, tx, []catalog.Hold{{SKUID: skuID, Qty: 3}})
			return err
		})
		if err == nil {
			t.Fatal("released a hold nobody had")
		}
		// Archived products take no new reservations.
		if err := e.svc.ArchiveProduct(ctx, ana, p.ID); err != nil {
			t.Fatal(err)
		}
		if got, ok := e.reserve(skuID, 1); ok || len(got) != 0 {
			t.Fatalf("reserved %v of an archived product", got)
		}
		if got, _ := e.reserve("missing", 1); len(got) != 0 {
			t.Fatalf("reserved %v of a SKU that does not exist", got)
		}
	})
}

// Reservations and stock changes racing on one SKU never oversell: each is
// one conditional UPDATE of the SKU row, which PostgreSQL re-checks against
// the latest committed version after waiting for the row lock.
func TestStockRaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana := e.user("ana")
		sh := e.shop(ana, "Ana")
		p := e.product(ana, sh.ID, "Hot item", catalog.StatusActive, sku("H", 100, 5))
		skuID := p.SKUs[0].ID
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, lowered := 0, 0
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i%4 == 3 {
					// Try to cut stock to 3 while orders come in.
					if _, err := e.svc.SetStock(ctx, ana, skuID, 3); err == nil {
						mu.Lock()
						lowered++
						mu.Unlock()
					} else if code(err) != "stock_below_reserved" {
						t.Errorf("set stock: %v", err)
					}
					return
				}
				if _, reserved := e.reserve(skuID, 1); reserved {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		var stock, reserved int
		if err := d.QueryRow(`SELECT stock, reserved FROM skus WHERE id = $1`, skuID).
			Scan(&stock, &reserved); err != nil {
			t.Fatal(err)
		}
		if reserved != ok || reserved > stock {
			t.Fatalf("stock %d, reserved %d (%d reservations succeeded, stock lowered %d times)", stock, reserved, ok, lowered)
		}
	})
}

// What checkout's placement reads of a reservation, on each engine: the
// columns of catalog.Reserved are what an order freezes of each SKU, and
// what is left available after it.
func TestReservationReturnsWhatAnOrderFreezes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana := e.user("ana")
		sh := e.shop(ana, "Ana")
		p := e.product(ana, sh.ID, "Lamp", catalog.StatusActive, sku("L1", 5000, 5), sku("L2", 7000, 2))
		got, err := reserveIn(d, catalog.Reservation{Wanted: "w"},
			[]catalog.Hold{{SKUID: p.SKUs[0].ID, Qty: 2}, {SKUID: p.SKUs[1].ID, Qty: 2}})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b reservedSKU) int { return strings.Compare(a.code, b.code) })
		want := []reservedSKU{
			{id: p.SKUs[0].ID, product: p.ID, code: "L1", title: "Lamp", shop: sh.ID, price: 5000, bps: 500, available: 3},
			{id: p.SKUs[1].ID, product: p.ID, code: "L2", title: "Lamp", shop: sh.ID, price: 7000, bps: 500, available: 0},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("reserved %+v,\nwant %+v", got, want)
		}
	})
}

// The batched placement on PostgreSQL reserves with SkipLocked and
// SumPerSKU: a SKU another transaction holds locked is left out at once,
// without waiting, and rows sharing a SKU reserve their sum or nothing.
func TestReservationSkipsLockedAndSums(t *testing.T) {
	d := dbtest.Open(t, db.Postgres)
	e := newEnv(t, d)
	ana := e.user("ana")
	p := e.product(ana, e.shop(ana, "Ana").ID, "Lamp", catalog.StatusActive, sku("A", 100, 5), sku("B", 100, 5), sku("C", 100, 5))
	a, b, c := p.SKUs[0].ID, p.SKUs[1].ID, p.SKUs[2].ID
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT id FROM skus WHERE id = $1 FOR UPDATE`, a); err != nil {
		t.Fatal(err)
	}
	r := catalog.Reservation{Wanted: "w", SkipLocked: true, SumPerSKU: true}
	start := time.Now()
	// a is locked; b is wanted 3 + 2 (all of it); c 4 + 2 (more than it has).
	got, err := reserveIn(d, r, []catalog.Hold{{SKUID: a, Qty: 1}, {SKUID: b, Qty: 3}, {SKUID: b, Qty: 2}, {SKUID: c, Qty: 4}, {SKUID: c, Qty: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("the reservation waited %v for a locked SKU", waited)
	}
	if len(got) != 1 || got[0].id != b || got[0].available != 0 {
		t.Fatalf("reserved %+v, want only b, with 0 left", got)
	}
	// Free is the rows of Wanted whose SKU was free, each as it was.
	var free int
	if err := d.QueryRowContext(ctx, `WITH w (sku_id, qty) AS (VALUES ($1, 1), ($2, 1), ($2, 1)), `+r.CTEs()+
		` SELECT COUNT(*) FROM `+catalog.Free+` WHERE sku_id = $2`, a, b).Scan(&free); err != nil {
		t.Fatal(err)
	}
	if free != 2 {
		t.Fatalf("free has %d rows of b, want its 2", free)
	}
}
