package checkout_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// Order placement on the real PostgreSQL with 32 concurrent clients, on one
// hot SKU and spread over 1,000 SKUs, against the ceiling of the bare
// conditional UPDATE through pgx. Run:
//
//	make bench-checkout   # go test ./checkout/ -run '^$' -bench '^BenchmarkCheckout' -benchtime 3000x
//
// Each reports orders/s, p99 latency and oversold units (must be 0).
const benchClients = 32

func BenchmarkCheckoutHotSKU(b *testing.B) { benchOrders(b, 1) }

func BenchmarkCheckoutSpread(b *testing.B) { benchOrders(b, 1000) }

func benchOrders(b *testing.B, nSKUs int) {
	d := dbtest.Open(b, db.Postgres)
	e := newEnv(b, d)
	merchant := e.user("merchant")
	shop := e.shop(merchant, "Bench")
	skus := benchSKUs(b, e, merchant, shop, nSKUs)
	buyers := make([]string, benchClients)
	for i := range buyers {
		buyers[i] = e.user(fmt.Sprintf("buyer%02d", i))
	}
	lat := make([][]time.Duration, benchClients)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	runClients(b, func(c int, rng *rand.Rand) {
		sku := skus[rng.IntN(len(skus))]
		t0 := time.Now()
		_, err := e.svc.CreateOrders(ctx, buyers[c], checkout.OrderInput{
			Items: []checkout.ItemInput{{SKUID: sku, Qty: 1}}, Shipping: addr})
		lat[c] = append(lat[c], time.Since(t0))
		if err != nil {
			b.Errorf("order: %v", err)
		}
	}, &next)
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
	var oversold int
	if err := d.QueryRow(`SELECT COALESCE(SUM(r - s), 0) FROM (SELECT k.stock AS s,
		(SELECT COALESCE(SUM(qty), 0) FROM reservations WHERE sku_id = k.id) AS r FROM skus k) x WHERE r > s`).Scan(&oversold); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(oversold), "oversold")
}

// BenchmarkCheckoutBareUpdate is the ceiling: the conditional stock UPDATE
// alone, spread over 1,000 SKUs, one statement per operation.
func BenchmarkCheckoutBareUpdate(b *testing.B) {
	d := dbtest.Open(b, db.Postgres)
	e := newEnv(b, d)
	merchant := e.user("merchant")
	skus := benchSKUs(b, e, merchant, e.shop(merchant, "Bench"), 1000)
	lat := make([][]time.Duration, benchClients)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	runClients(b, func(c int, rng *rand.Rand) {
		t0 := time.Now()
		_, err := d.ExecContext(ctx, `UPDATE skus SET stock = stock - 1 WHERE id = $1 AND stock >= 1`, skus[rng.IntN(len(skus))])
		lat[c] = append(lat[c], time.Since(t0))
		if err != nil {
			b.Errorf("update: %v", err)
		}
	}, &next)
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
}

func benchSKUs(b *testing.B, e *env, merchant, shop string, n int) []string {
	var skus []string
	for len(skus) < n {
		prices := make([]int64, min(100, n-len(skus)))
		for i := range prices {
			prices[i] = 1000
		}
		_, ids := e.product(merchant, shop, 1000, 1_000_000, prices...)
		skus = append(skus, ids...)
	}
	return skus
}

// runClients runs b.N operations over benchClients goroutines.
func runClients(b *testing.B, op func(client int, rng *rand.Rand), next *atomic.Int64) {
	var wg sync.WaitGroup
	for c := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for next.Add(1) <= int64(b.N) {
				op(c, rng)
			}
		}()
	}
	wg.Wait()
}

func report(b *testing.B, lat [][]time.Duration, elapsed time.Duration) {
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}
