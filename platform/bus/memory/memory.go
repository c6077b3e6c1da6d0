// Package memory is the in-process bus engine: every subscriber lives in the
// same process as every publisher, which is all the embedded deployment (one
// node on SQLite) has.
package memory

import (
	"context"
	"sync"

	"github.com/reelmart/reelmart/platform/bus"
)

var _ bus.Bus = (*Bus)(nil)

// Bus delivers each message to the topic's subscribers before Publish returns.
type Bus struct {
	mu     sync.RWMutex
	subs   map[string]map[*bus.Handler]struct{}
	closed bool
	order  sync.Mutex // one Publish at a time, so every subscriber sees one order
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: map[string]map[*bus.Handler]struct{}{}} }

// Publish calls Notice of every subscriber of topic, in the caller's goroutine.
func (b *Bus) Publish(ctx context.Context, topic, msg string) error {
	if err := bus.Check(topic, msg); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.order.Lock()
	defer b.order.Unlock()
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return bus.ErrClosed
	}
	handlers := make([]*bus.Handler, 0, len(b.subs[topic]))
	for h := range b.subs[topic] {
		handlers = append(handlers, h)
	}
	b.mu.RUnlock()
	for _, h := range handlers {
		h.Notice(msg)
	}
	return nil
}

// Subscribe adds h to topic. Nothing is ever lost in process, so h.Missed is never called.
func (b *Bus) Subscribe(topic string, h bus.Handler) func() {
	hp := &h
	b.mu.Lock()
	if b.subs[topic] == nil {
		b.subs[topic] = map[*bus.Handler]struct{}{}
	}
	b.subs[topic][hp] = struct{}{}
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.subs[topic], hp)
		b.mu.Unlock()
	}
}

// Close makes later Publish calls fail with bus.ErrClosed.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}
