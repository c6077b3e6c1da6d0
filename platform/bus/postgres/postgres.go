// Package postgres is the bus engine for many nodes on one PostgreSQL:
// messages travel as NOTIFY on one channel and every node LISTENs to it
// (github.com/jackc/pgxlisten, which reconnects by itself).
//
// Publish delivers to this node's subscribers at once, in process, and
// queues the message for the other nodes; one goroutine drains the queue,
// packs the waiting messages of a topic into as few NOTIFYs as fit in
// PostgreSQL's 8,000-byte payload, and sends them in one round trip. A
// node skips its own NOTIFYs on receipt, since it delivered them already.
// NOTIFY is scoped to the database, so nodes find each other by sharing one.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"github.com/reelmart/reelmart/platform/bus"
)

var _ bus.Bus = (*Bus)(nil)

// Channel is the NOTIFY channel every node uses.
const Channel = "reelmart_bus"

// maxPayload stays under PostgreSQL's 8,000-byte NOTIFY limit.
const maxPayload = 7900

// Options tune a Bus; the zero value is fine.
type Options struct {
	Log        *slog.Logger
	QueueSize  int           // messages waiting to be sent; default 65,536
	Reconnect  time.Duration // wait before reconnecting a lost connection; default 500 ms
	MaxBatched int           // messages drained per round trip; default 1,024
}

type item struct{ topic, msg string }

// Bus is one node's connection to the PostgreSQL bus.
type Bus struct {
	url   string
	node  string
	opts  Options
	queue chan item

	mu     sync.RWMutex
	subs   map[string]map[*bus.Handler]struct{}
	closed bool
	order  sync.Mutex // one local delivery at a time, in Publish order

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open connects to the PostgreSQL at url and returns once this node is
// listening, so nothing published after Open returns is missed. It returns
// an error if the server cannot be reached before ctx ends.
func Open(ctx context.Context, url string, opts Options) (*Bus, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1 << 16
	}
	if opts.Reconnect <= 0 {
		opts.Reconnect = 500 * time.Millisecond
	}
	if opts.MaxBatched <= 0 {
		opts.MaxBatched = 1024
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	b := &Bus{url: url, node: hex.EncodeToString(id[:]), opts: opts, queue: make(chan item, opts.QueueSize),
		subs: map[string]map[*bus.Handler]struct{}{}}
	pub, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	ready := make(chan struct{})
	l := &pgxlisten.Listener{
		Connect:        func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, url) },
		ReconnectDelay: opts.Reconnect,
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				opts.Log.Warn("bus: listener", "err", err)
			}
		},
	}
	l.Handle(Channel, &listener{b: b, ready: ready})
	b.wg.Add(2)
	go func() { defer b.wg.Done(); _ = l.Listen(runCtx) }()
	go func() { defer b.wg.Done(); b.send(runCtx, pub) }()
	select {
	case <-ready:
		return b, nil
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("bus: listen: %w", ctx.Err())
	}
}

// Publish delivers msg to this node's subscribers of topic and queues it for the other nodes.
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
	select {
	case b.queue <- item{topic, msg}:
	default:
		b.mu.RUnlock()
		select { // full: wait, but not past ctx
		case b.queue <- item{topic, msg}:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.mu.RLock()
	}
	handlers := b.handlers(topic)
	b.mu.RUnlock()
	for _, h := range handlers {
		h.Notice(msg)
	}
	return nil
}

// handlers copies topic's subscribers; b.mu must be held.
func (b *Bus) handlers(topic string) []*bus.Handler {
	hs := make([]*bus.Handler, 0, len(b.subs[topic]))
	for h := range b.subs[topic] {
		hs = append(hs, h)
	}
	return hs
}

// Subscribe adds h to topic.
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

// Close stops listening and sending. Messages still queued are dropped.
func (b *Bus) Close() error {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if !already {
		b.cancel()
		b.wg.Wait()
	}
	return nil
}

// send drains the queue into NOTIFYs until ctx ends, reconnecting as needed.
func (b *Bus) send(ctx context.Context, conn *pgx.Conn) {
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	batch := make([]item, 0, b.opts.MaxBatched)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case it := <-b.queue:
			batch = append(batch, it)
		}
	drain:
		for len(batch) < cap(batch) {
			select {
			case it := <-b.queue:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		payloads := b.pack(batch)
		// One retry on a fresh connection; after that the batch is dropped
		// and the other nodes catch up from the database (see Handler.Missed).
		for attempt := 0; attempt < 2; attempt++ {
			if conn == nil {
				var err error
				if conn, err = b.connect(ctx); err != nil {
					return
				}
			}
			err := notify(ctx, conn, payloads)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			b.opts.Log.Warn("bus: notify failed", "err", err, "attempt", attempt+1, "messages", len(batch))
			_ = conn.Close(context.Background())
			conn = nil
		}
	}
}

// connect dials until it succeeds or ctx ends.
func (b *Bus) connect(ctx context.Context) (*pgx.Conn, error) {
	for {
		conn, err := pgx.Connect(ctx, b.url)
		if err == nil {
			return conn, nil
		}
		b.opts.Log.Warn("bus: connect for publishing", "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(b.opts.Reconnect):
		}
	}
}

// pack groups consecutive messages of one topic into payloads of at most
// maxPayload bytes: "<node> <topic>\n<msg>\n<msg>…". Order is kept.
func (b *Bus) pack(items []item) []string {
	var out []string
	var sb strings.Builder
	topic := ""
	flush := func() {
		if sb.Len() > 0 {
			out = append(out, sb.String())
			sb.Reset()
		}
	}
	for _, it := range items {
		if it.topic != topic || sb.Len()+1+len(it.msg) > maxPayload {
			flush()
			topic = it.topic
			sb.WriteString(b.node + " " + it.topic)
		}
		sb.WriteByte('\n')
		sb.WriteString(it.msg)
	}
	flush()
	return out
}

func notify(ctx context.Context, conn *pgx.Conn, payloads []string) error {
	batch := &pgx.Batch{}
	for _, p := range payloads {
		batch.Queue(`SELECT pg_notify($1, $2)`, Channel, p)
	}
	return conn.SendBatch(ctx, batch).Close()
}

// listener receives the channel's NOTIFYs for a Bus.
type listener struct {
	b         *Bus
	ready     chan struct{}
	connected bool
}

// HandleBacklog runs after every LISTEN: the first time it says the node is
// ready, after a reconnect that notices may have been lost meanwhile.
func (l *listener) HandleBacklog(context.Context, string, *pgx.Conn) error {
	if !l.connected {
		l.connected = true
		close(l.ready)
		return nil
	}
	l.b.mu.RLock()
	var missed []func()
	for _, hs := range l.b.subs {
		for h := range hs {
			if h.Missed != nil {
				missed = append(missed, h.Missed)
			}
		}
	}
	l.b.mu.RUnlock()
	for _, fn := range missed {
		fn()
	}
	return nil
}

func (l *listener) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	head, body, ok := strings.Cut(n.Payload, "\n")
	if !ok {
		return errors.New("bus: payload without a message")
	}
	node, topic, ok := strings.Cut(head, " ")
	if !ok {
		return errors.New("bus: payload without a topic")
	}
	if node == l.b.node {
		return nil // delivered in process by Publish
	}
	l.b.mu.RLock()
	handlers := l.b.handlers(topic)
	l.b.mu.RUnlock()
	for _, msg := range strings.Split(body, "\n") {
		for _, h := range handlers {
			h.Notice(msg)
		}
	}
	return nil
}
