package checkout_test

import (
	"context"
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
//	make bench-checkout   # go test ./checkout/ -run '^$' -bench '^BenchmarkCheckout' -benchtime 10000x -count 3
//
// Each reports orders/s, p99 latency and oversold units (must be 0); the
// spread cases also x-ceiling, their throughput over the mean of the bare
// UPDATE measured on the same database right before and right after. Every
// order carries an Idempotency-Key claim, as every order placed through the
// API does (the claims are taken before the clock starts: what is measured
// is the placement, which notes the order on its key); the ...NoKey
// variants place without one. The ...Alone variants place every order in a
// statement of its own, without the coalescing of concurrent one-line
// orders (batch.go).
const benchClients = 32

// benchCase is one shape of load: SKUs the orders spread over, concurrent
// clients, whether orders are placed alone, and whether they carry no key.
type benchCase struct {
	skus, clients  int
	alone, keyless bool
}

func BenchmarkCheckoutHotSKU(b *testing.B) { benchOrders(b, benchCase{skus: 1, clients: benchClients}) }

func BenchmarkCheckoutSpread(b *testing.B) {
	benchOrders(b, benchCase{skus: 1000, clients: benchClients})
}

// The same two without Idempotency-Keys: what noting each order on its key
// costs.
func BenchmarkCheckoutHotSKUNoKey(b *testing.B) {
	benchOrders(b, benchCase{skus: 1, clients: benchClients, keyless: true})
}

func BenchmarkCheckoutSpreadNoKey(b *testing.B) {
	benchOrders(b, benchCase{skus: 1000, clients: benchClients, keyless: true})
}

// The same two with every order placed in a statement of its own
// (Config.PlaceAlone): what coalescing one-line orders (batch.go) gains.
func BenchmarkCheckoutHotSKUAlone(b *testing.B) {
	benchOrders(b, benchCase{skus: 1, clients: benchClients, alone: true})
}

func BenchmarkCheckoutSpreadAlone(b *testing.B) {
	benchOrders(b, benchCase{skus: 1000, clients: benchClients, alone: true})
}

// One client, spread, with and without coalescing: what it costs when
// there is nothing to coalesce.
func BenchmarkCheckoutSerial(b *testing.B) { benchOrders(b, benchCase{skus: 1000, clients: 1}) }

func BenchmarkCheckoutSerialAlone(b *testing.B) {
	benchOrders(b, benchCase{skus: 1000, clients: 1, alone: true})
}

func benchOrders(b *testing.B, bc benchCase) {
	d := dbtest.Open(b, db.Postgres)
	e := newEnv(b, d)
	if bc.alone {
		e.configure(func(c *checkout.Config) { c.PlaceAlone = true })
	}
	merchant := e.user("merchant")
	shop := e.shop(merchant, "Bench")
	skus := benchSKUs(b, e, merchant, shop, bc.skus)
	buyers := make([]string, bc.clients)
	for i := range buyers {
		buyers[i] = e.user(fmt.Sprintf("buyer%02d", i))
	}
	// One claimed key per order to come, handed out in turn; each order
	// is placed for the buyer its key belongs to.
	claims := make([]*checkout.Claim, bc.clients*warmup+b.N)
	if !bc.keyless {
		for i := range claims {
			var err error
			if claims[i], _, err = e.svc.ClaimKey(ctx, buyers[i%len(buyers)], fmt.Sprintf("bench-%d", i), "hash"); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	// Each order runs under a context that can be cancelled, as an HTTP
	// request's can (pgx then watches it for the statement's length).
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := func(_ int, rng *rand.Rand) error {
		i := int(next.Add(1)-1) % len(claims)
		_, err := e.svc.CreateOrders(reqCtx, buyers[i%len(buyers)], checkout.OrderInput{
			Items: []checkout.ItemInput{{SKUID: skus[rng.IntN(len(skus))], Qty: 1}}, Shipping: addr}, claims[i])
		return err
	}
	if bc.skus == 1 || bc.clients == 1 {
		measure(b, bc.clients, order, true)
	} else {
		// The ceiling is measured on the same database right before and
		// right after, and the ratio is against their mean: this machine
		// is shared, and a ceiling from another minute is not comparable.
		before := measure(b, benchClients, bareUpdate(d, skus), false)
		ops := measure(b, bc.clients, order, true)
		after := measure(b, benchClients, bareUpdate(d, skus), false)
		b.ReportMetric(ops/((before+after)/2), "x-ceiling")
	}
	var oversold int
	// Units held by orders beyond a SKU's stock, counted from the orders
	// themselves rather than from the reserved counter under test.
	if err := d.QueryRow(`SELECT COALESCE(SUM(r - s), 0) FROM (SELECT k.stock AS s,
		(SELECT COALESCE(SUM(l.qty), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
			WHERE l.sku_id = k.id AND o.state = 'pending_payment') AS r FROM skus k) x WHERE r > s`).Scan(&oversold); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(oversold), "oversold")
	if !bc.keyless {
		// Every order is noted on its own key.
		var noted int
		if err := d.QueryRow(`SELECT COUNT(*) FROM idempotency_keys k JOIN orders o ON o.id = k.effect AND o.buyer_id = k.user_id`).Scan(&noted); err != nil {
			b.Fatal(err)
		}
		if n := e.count("orders"); noted != n {
			b.Fatalf("%d of %d orders noted on their key", noted, n)
		}
	}
}

// BenchmarkCheckoutBareUpdate is the ceiling: the conditional stock UPDATE
// alone, spread over 1,000 SKUs, one statement per operation.
func BenchmarkCheckoutBareUpdate(b *testing.B) {
	d := dbtest.Open(b, db.Postgres)
	e := newEnv(b, d)
	merchant := e.user("merchant")
	skus := benchSKUs(b, e, merchant, e.shop(merchant, "Bench"), 1000)
	measure(b, benchClients, bareUpdate(d, skus), true)
}

// bareUpdate is one conditional stock UPDATE of a random SKU of skus.
func bareUpdate(d *db.DB, skus []string) func(int, *rand.Rand) error {
	return func(_ int, rng *rand.Rand) error {
		_, err := d.ExecContext(ctx, `UPDATE skus SET stock = stock - 1 WHERE id = $1 AND stock >= 1`, skus[rng.IntN(len(skus))])
		return err
	}
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

// warmup is how many operations each client runs before the clock starts,
// so every connection has prepared and planned its statements: steady
// state, not the first seconds of a cold pool, is what is compared.
const warmup = 20

// measure runs op from clients goroutines, warmup times each
// untimed and then b.N times in all, and returns the throughput. With
// report, it is the benchmark's own figure: ops/s and p99 are reported.
func measure(b *testing.B, clients int, op func(client int, rng *rand.Rand) error, report bool) float64 {
	var wg sync.WaitGroup
	run := func(n int64, lat [][]time.Duration) {
		var next atomic.Int64
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(c), uint64(n)))
				for next.Add(1) <= n {
					t0 := time.Now()
					if err := op(c, rng); err != nil {
						b.Errorf("operation: %v", err)
						return
					}
					if lat != nil {
						lat[c] = append(lat[c], time.Since(t0))
					}
				}
			}()
		}
		wg.Wait()
	}
	run(int64(clients*warmup), nil)
	lat := make([][]time.Duration, clients)
	if report {
		b.ResetTimer()
	}
	start := time.Now()
	run(int64(b.N), lat)
	elapsed := time.Since(start)
	if report {
		b.StopTimer()
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return 0
	}
	ops := float64(len(all)) / elapsed.Seconds()
	if report {
		b.ReportMetric(ops, "ops/s")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
	return ops
}
