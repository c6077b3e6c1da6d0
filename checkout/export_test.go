package checkout

import (
	"context"

	"github.com/reelmart/reelmart"
)

// Hooks for the tests of batch.go, which live in package checkout_test.

// BatchStats returns the batch statements run and the orders they placed
// and declined.
func (s *Service) BatchStats() (statements, placed, declined int64) {
	return s.batch.statements.Load(), s.batch.placed.Load(), s.batch.declined.Load()
}

// PlaceBatch places the one-line orders (buyers[i], items[i]) in one batch
// statement and returns those it placed, by index.
func (s *Service) PlaceBatch(ctx context.Context, buyers []string, items []ItemInput, ship Shipping) (map[int]Order, error) {
	reqs := make([]*batchReq, len(items))
	for i, it := range items {
		reqs[i] = &batchReq{buyer: buyers[i], item: it, ship: ship, oid: reelmart.NewID()}
	}
	got, err := s.placeBatch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := map[int]Order{}
	for i, r := range reqs {
		if res, ok := got[r.oid]; ok {
			out[i] = *res.order
		}
	}
	return out, nil
}

// HoldBatches keeps every shard from starting a batch: requests queue. It
// returns how many are queued, and a function that runs the queues and
// lets batches start again. Call it while no batch runs (it does not wait
// for one that does).
func (s *Service) HoldBatches() (queued func() int, release func()) {
	for i := range s.batch.shards {
		sh := &s.batch.shards[i]
		sh.mu.Lock()
		sh.busy = true
		sh.mu.Unlock()
	}
	queued = func() int {
		n := 0
		for i := range s.batch.shards {
			sh := &s.batch.shards[i]
			sh.mu.Lock()
			n += len(sh.queue)
			sh.mu.Unlock()
		}
		return n
	}
	release = func() {
		for i := range s.batch.shards {
			s.batch.drain(&s.batch.shards[i])
		}
	}
	return queued, release
}

// RunBatch runs the one-line orders (buyers[i], items[i]) as the batcher
// runs a batch, and returns what each request was answered: placed, or an
// error (neither: left to the lone path).
func (s *Service) RunBatch(buyers []string, items []ItemInput, ship Shipping) (placed []bool, errs []error) {
	reqs := make([]*batchReq, len(items))
	for i, it := range items {
		reqs[i] = &batchReq{buyer: buyers[i], item: it, ship: ship, oid: reelmart.NewID(), done: make(chan batchResult, 1)}
	}
	s.batch.run(reqs)
	for _, r := range reqs {
		res := <-r.done
		placed = append(placed, res.order != nil)
		errs = append(errs, res.err)
	}
	return placed, errs
}
