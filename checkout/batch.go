package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
)

// Coalescing placements. Most orders are one line, bought from the feed
// ("buy now" on a pinned product), and on PostgreSQL each costs a
// statement whose fixed part (the protocol, the snapshot, the executor
// set-up of its CTEs, the commit) is most of its price. So one-line orders
// that arrive while another placement is running wait for it and then go
// together, as one statement placing every one of them: the same parts as
// a lone placement (place.go), over a relation of orders instead of lines.
// It is group commit for orders: nobody waits for a timer, a request
// that finds the way clear goes at once, alone, and the busier the shop
// the more each statement carries.
//
// Each order in a batch stands or falls alone. The batch reserves every
// SKU's quantity with one conditional UPDATE; when several orders of the
// batch want the same SKU (a hot product) they reserve their sum, all or
// none. An order the statement did not place (short, unknown, not for
// sale, or a missing video), or every order of a statement the server
// rejected, is placed again on its own by the caller, through the path
// that explains a refusal. So a batch changes what a placement costs, not
// what it answers. A statement whose outcome is unknown (a broken
// connection, say) fails its requests instead: placing them again could
// place them twice.
//
// A batch never waits for a SKU's row lock. It reserves only the SKUs no
// other transaction holds locked at that moment (catalog.Reservation with
// SkipLocked) and leaves the orders for the others to the lone path, which
// waits as usual. Otherwise one slow transaction on one SKU would hold up
// every order queued behind the batch, and two batches could deadlock.
//
// Each order sent with an Idempotency-Key notes itself on its key in the
// batch statement, as a lone placement does. If a retry has taken some
// order's key over, the statement aborts (nothing is written) and every
// order of it is placed alone, where that one is refused.
//
// Requests are sharded by SKU, one statement in flight per shard: a hot
// SKU's orders meet in one queue, where they are coalesced best, and two
// statements of one node never compete for a SKU. The request that finds
// its shard idle runs the batch itself (no hand-off to wait for); a
// background goroutine drains whatever queued meanwhile.

const (
	// batchShards is how many placement statements one node runs at
	// once; more keep PostgreSQL busy while Go builds the next, fewer
	// make bigger batches. On two cores 2 measured best (2: ≈14,500
	// orders/s, 4: ≈10,700, 8: ≈9,400; docs/BENCHMARKS.md).
	batchShards = 2
	// maxBatch bounds the orders of one statement.
	maxBatch = 64
	// batchTimeout bounds one statement, which no request's context can
	// cancel.
	batchTimeout = 30 * time.Second
)

// batchReq is one order waiting for a batch.
type batchReq struct {
	buyer string
	item  ItemInput
	ship  Shipping
	claim *Claim // nil without an Idempotency-Key
	oid   string
	// state is queued until a batch takes the request (taken) or its
	// caller gives up first (abandoned); only one of them happens.
	state atomic.Int32
	done  chan batchResult
}

const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

// batchResult is what a batch did with one request: placed it (order is
// set), failed in a way that leaves open whether it was placed (err), or
// left it for the caller to place alone (neither).
type batchResult struct {
	order   *Order
	flipped bool // the order left its SKU with nothing available
	err     error
}

type batchShard struct {
	mu    sync.Mutex
	queue []*batchReq
	busy  bool // a goroutine is draining queue
}

type batcher struct {
	s      *Service
	seed   maphash.Seed
	shards [batchShards]batchShard
	// Counters for the metrics and tests: statements run, orders they
	// placed, and orders left to the lone path (a request given up while
	// queued is in neither).
	statements, placed, declined atomic.Int64
}

func newBatcher(s *Service) *batcher { return &batcher{s: s, seed: maphash.MakeSeed()} }

// place queues a one-line order for the next batch of its shard and waits
// for the batch. ok is false when the batch did not place it (the caller
// places it alone). err is ctx's when ctx ended while the request was still
// queued (then it was not placed), or the failure of a statement whose
// outcome is unknown. A request a batch has taken is waited for regardless
// of ctx: its order may be committed, and the caller must not report it
// given up.
func (b *batcher) place(ctx context.Context, buyerID string, it ItemInput, ship Shipping, claim *Claim) (Order, bool, error) {
	r := &batchReq{buyer: buyerID, item: it, ship: ship, claim: claim, oid: reelmart.NewID(), done: make(chan batchResult, 1)}
	sh := &b.shards[maphash.String(b.seed, it.SKUID)%batchShards]
	sh.mu.Lock()
	sh.queue = append(sh.queue, r)
	start := !sh.busy
	sh.busy = true
	sh.mu.Unlock()
	if start && b.next(sh) {
		go b.drain(sh) // what queued while this request ran its batch
	}
	var res batchResult
	select {
	case res = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return Order{}, false, ctx.Err()
		}
		res = <-r.done
	}
	if res.err != nil {
		return Order{}, false, res.err
	}
	if res.order == nil {
		return Order{}, false, nil
	}
	if res.flipped {
		// Even for a caller that gave up: the order stands.
		b.s.stock.StockChanged(context.WithoutCancel(ctx), it.SKUID)
	}
	return *res.order, true, nil
}

// drain runs the shard's queue, a batch at a time, until it is empty.
func (b *batcher) drain(sh *batchShard) {
	for b.next(sh) {
	}
}

// next runs the next batch of the shard's queue and reports whether more
// requests are waiting; when none are, the shard is idle again.
func (b *batcher) next(sh *batchShard) bool {
	sh.mu.Lock()
	n := min(len(sh.queue), maxBatch)
	batch := slices.Clone(sh.queue[:n])
	sh.queue = slices.Delete(sh.queue, 0, n)
	sh.mu.Unlock()
	live := batch[:0]
	for _, r := range batch {
		if r.state.CompareAndSwap(reqQueued, reqTaken) {
			live = append(live, r)
		}
	}
	if len(live) > 0 {
		b.run(live)
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.queue) == 0 {
		sh.busy = false
		return false
	}
	return true
}

// run places one batch and answers every request in it.
func (b *batcher) run(batch []*batchReq) {
	var placed map[string]batchResult
	var failed error // whether the orders were placed is not known
	defer func() {
		// Whatever happened, every request gets an answer. A panic is
		// a failure of the whole batch: the statement may have been
		// committed, so no order of it may be placed again.
		if p := recover(); p != nil {
			b.s.logf(context.Background(), "checkout: batch placement panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			placed, failed = nil, fmt.Errorf("checkout: batch placement panicked: %v", p)
		}
		for _, r := range batch {
			res := placed[r.oid]
			switch {
			case failed != nil:
				res.err = failed
			case res.order == nil:
				b.declined.Add(1)
			}
			r.done <- res
		}
	}()
	// The statement serves many requests, so no one request's context
	// may cancel it. It does not wait for a SKU's row lock (SkipLocked),
	// but it can wait for a connection or a stalled network, so it has a
	// deadline of its own.
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	b.statements.Add(1)
	got, err := b.s.placeBatch(ctx, batch)
	if err == nil {
		// A failure after the commit is one whose outcome is unknown.
		err = b.s.afterCommit(ctx, "batch")
	}
	switch {
	case err == nil:
		b.placed.Add(int64(len(got)))
		placed = got
	case db.Unapplied(err) || errors.Is(err, errNotPlaced):
		b.s.logf(ctx, "checkout: batch placement failed; its orders are placed one by one", "orders", len(batch), "err", err)
	default:
		// It may have committed: placing the orders again could place
		// them twice, so each request fails as a lone one would.
		b.s.logf(ctx, "checkout: batch placement failed; whether it placed its orders is not known", "orders", len(batch), "err", err)
		failed = err
	}
}

// placeBatch places the one-line orders of batch in one statement and
// returns, by order id, those it placed. An order missing from the result
// was not placed and nothing of it was written.
func (s *Service) placeBatch(ctx context.Context, batch []*batchReq) (map[string]batchResult, error) {
	// In SKU order, so orders sharing a SKU are neighbours.
	batch = slices.Clone(batch)
	slices.SortFunc(batch, func(a, b *batchReq) int { return strings.Compare(a.item.SKUID, b.item.SKUID) })
	var p db.Params
	now := s.now()
	rows := make([]string, len(batch))
	videos, shared, keyed := false, false, false
	for _, r := range batch {
		keyed = keyed || r.claim != nil
	}
	for i, r := range batch {
		ship, err := json.Marshal(r.ship)
		if err != nil {
			return nil, fmt.Errorf("checkout: encode shipping: %w (%w)", err, errNotPlaced)
		}
		var video any
		if r.item.SourceVideoID != nil {
			video = *r.item.SourceVideoID
			videos = true
		}
		if i > 0 && batch[i-1].item.SKUID == r.item.SKUID {
			shared = true
		}
		row := fmt.Sprintf("0, %s, CAST(%s AS INTEGER), CAST(%s AS TEXT), %s, CAST(%s AS TEXT), CAST(%s AS TEXT)",
			p.Add(r.item.SKUID), p.Add(r.item.Qty), p.Add(video), p.Add(r.oid), p.Add(r.buyer), p.Add(string(ship)))
		if keyed {
			var key, token any
			if r.claim != nil {
				key, token = r.claim.key, r.claim.token
			}
			row += fmt.Sprintf(", CAST(%s AS TEXT), CAST(%s AS TEXT)", p.Add(key), p.Add(token))
		}
		rows[i] = "(" + row + ")"
	}
	cols, extra := `pos, sku_id, qty, video_id, oid, buyer, ship`, `h.buyer, h.ship,`
	if keyed {
		cols, extra = cols+`, ikey, claim`, extra+` h.ikey, h.claim,`
	}
	q := `WITH h (` + cols + `) AS (VALUES ` + strings.Join(rows, ", ") + `)`
	rel := "h"
	if videos {
		// A line naming a missing video is left out, so it is not placed.
		q += `, ` + linesWithVideoCTE
		rel = "hv"
	}
	// Only SKUs no one else holds locked: a batch never waits for a row
	// lock (which would hold up every order of the shard behind one
	// slow transaction on one SKU) and cannot deadlock. An order whose
	// SKU was locked is left to the lone path, which waits as usual.
	// Orders for the same SKU reserve their sum.
	reserve := catalog.Reservation{Wanted: rel, SkipLocked: true, SumPerSKU: shared}
	q += `, ` + reserve.CTEs() + `, ` +
		linesSQL(catalog.Free, "h.buyer", p.Add(int64(s.cfg.PlatformFeeBps)), extra, false, videos) +
		`, o AS (` + insertOrdersSQL("buyer", p.Add(s.cfg.Currency), "ship", p.Add(now.Add(s.cfg.ReservationTTL)), p.Add(now)) + `)`
	position := `position`
	if keyed {
		// Each keyed order notes itself on its key, while its request
		// still holds the claim; if one does not, nothing is written.
		q += `, k AS (UPDATE idempotency_keys AS x SET effect = y.order_id FROM lines AS y
			WHERE y.ikey IS NOT NULL AND x.user_id = y.buyer AND x.key = y.ikey AND x.claim = y.claim AND x.effect = '' RETURNING 1)`
		position = `CASE WHEN (SELECT COUNT(*) FROM k) <> (SELECT COUNT(*) FROM lines WHERE ikey IS NOT NULL)
			THEN reelmart_abort('` + abortSuperseded + `') ELSE position END`
	}
	q += `, l AS (` + insertLinesSQL(position) + `), ` + catalog.StockFlipsCTE("lines", p.Add(now)) + ` SELECT ` + placedCols + ` FROM lines`
	res, err := s.db.QueryContext(ctx, q, p...)
	if err != nil {
		return nil, fmt.Errorf("checkout: place batch: %w", err)
	}
	defer res.Close()
	byID := make(map[string]*batchReq, len(batch))
	for _, r := range batch {
		byID[r.oid] = r
	}
	out := make(map[string]batchResult, len(batch))
	taken := map[string]int{} // units placed per SKU
	avail := map[string]int{} // availability per SKU after the batch
	for res.Next() {
		l, err := s.scanPlacedLine(res)
		if err != nil {
			return nil, fmt.Errorf("checkout: place batch: %w", err)
		}
		r := byID[l.orderID]
		if r == nil {
			return nil, fmt.Errorf("checkout: place batch: returned order %s it was not asked for", l.orderID)
		}
		o := s.newOrder(l, r.buyer, r.ship, now)
		o.Lines = []Line{l.Line}
		out[l.orderID] = batchResult{order: &o}
		taken[l.SKUID] += l.Qty
		avail[l.SKUID] = l.available
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("checkout: place batch: %w", err)
	}
	// The SKUs this batch left with nothing available: the search index
	// hears of each once, from one of its orders.
	for id, res := range out {
		sku := res.order.Lines[0].SKUID
		if a, ok := avail[sku]; ok && a <= 0 && a+taken[sku] > 0 {
			res.flipped = true
			out[id] = res
			delete(avail, sku)
		}
	}
	return out, nil
}
