package chat

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reelmart/reelmart/platform/bus"
)

// pageSize is how many inbox rows one read takes, in a replay or a pump.
const pageSize = 500

// ErrSlowConsumer is why a socket that stayed a full queue behind was dropped.
var ErrSlowConsumer = errors.New("chat: the socket fell a full queue behind")

// Hub pushes inbox events to the sockets open on this node. A bus notice
// "user U's inbox reached S" wakes U's pump, which reads the rows the
// user's live sockets have not been sent and hands each socket its share
// without ever waiting on one: a socket with a full queue is dropped.
type Hub struct {
	svc *Service
	log *slog.Logger

	mu     sync.Mutex
	users  map[string]*userSockets
	closed bool

	unsubscribe func()
	ctx         context.Context
	cancel      context.CancelFunc
	wg          sync.WaitGroup // pumps, replays and the reconcile loop
	open        sync.WaitGroup // sockets whose owners have not called Close
}

// userSockets are one user's sockets on this node and the state of their pump.
type userSockets struct {
	mu      sync.Mutex
	sockets map[*Socket]struct{}
	running bool // a pump goroutine is reading
	dirty   bool // a notice came while it read: read again
}

// Socket is one open connection's subscription to its user's inbox.
type Socket struct {
	UserID string
	hub    *Hub
	user   *userSockets
	out    chan *Event // shared with the user's other sockets here: read only
	done   chan struct{}
	once   sync.Once
	closed sync.Once
	reason error

	// guarded by user.mu
	sent     int64     // the highest inbox seq handed to out
	live     bool      // the replay is over: the pump feeds it
	behindAt time.Time // when its queue first had no room for what was due; zero when it has caught up

	waiting atomic.Bool // its queue was full: the pump waits for the owner to take an event
}

// Events are the socket's frames, in inbox order.
func (s *Socket) Events() <-chan *Event { return s.out }

// Done is closed when the hub drops the socket (see Reason) or Close is called.
func (s *Socket) Done() <-chan struct{} { return s.done }

// Took tells the hub the owner took an event from Events. A socket whose
// queue had filled is then pumped again, from where it stopped.
func (s *Socket) Took() {
	if s.waiting.CompareAndSwap(true, false) {
		s.hub.wake(s.UserID, 0)
	}
}

// Reason says why the hub dropped the socket: ErrSlowConsumer,
// ErrShuttingDown, or nil when its owner closed it.
func (s *Socket) Reason() error {
	<-s.done
	return s.reason
}

// Hello is what a socket learns when it opens.
type Hello struct {
	UserID   string
	InboxSeq int64  // the inbox head when it opened
	Since    *int64 // the since asked for
	Reset    bool   // since was above the head: replay is impossible
}

// NewHub returns this node's hub, subscribed to the bus until Close. Call
// it once, before the service takes requests.
func (s *Service) NewHub() *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{svc: s, log: s.log, users: map[string]*userSockets{}, ctx: ctx, cancel: cancel}
	s.hub = h
	if s.bus != nil {
		h.unsubscribe = s.bus.Subscribe(Topic, bus.Handler{Notice: h.notice, Missed: func() { go h.reconcile() }})
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(s.cfg.Reconcile)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.reconcile()
			}
		}
	}()
	return h
}

// Connect opens a socket for userID. With since, the user's inbox events
// after it are replayed, in order, before live ones; without, the socket
// gets what comes after the current head. It returns ErrTooManySockets
// when the user has Config.MaxSocketsPerUser open here, or ErrShuttingDown.
func (h *Hub) Connect(ctx context.Context, userID string, since *int64) (*Socket, Hello, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, Hello{}, ErrShuttingDown
	}
	u := h.users[userID]
	if u == nil {
		u = &userSockets{sockets: map[*Socket]struct{}{}}
		h.users[userID] = u
	}
	u.mu.Lock()
	if len(u.sockets) >= h.svc.cfg.MaxSocketsPerUser {
		u.mu.Unlock()
		h.mu.Unlock()
		return nil, Hello{}, ErrTooManySockets
	}
	s := &Socket{UserID: userID, hub: h, user: u, out: make(chan *Event, h.svc.cfg.SocketQueue), done: make(chan struct{})}
	u.sockets[s] = struct{}{}
	u.mu.Unlock()
	h.open.Add(1)
	h.mu.Unlock()
	h.svc.metrics.sockets.Inc()

	// Registered first, head read second: a notice that arrives in between
	// finds the socket not yet live, and the wake in goLive covers it.
	head, err := h.svc.Head(ctx, userID)
	if err != nil {
		s.Close()
		return nil, Hello{}, err
	}
	hello := Hello{UserID: userID, InboxSeq: head, Since: since}
	switch {
	case since == nil:
		h.goLive(s, head)
	case *since > head:
		hello.Reset = true
		h.goLive(s, head)
	default:
		h.wg.Add(1)
		go func() { defer h.wg.Done(); h.replay(s, *since) }()
	}
	return s, hello, nil
}

// replay writes the events after `after` into s, waiting on its queue as a
// replay may (it holds up no one else), then hands s to the pump.
func (h *Hub) replay(s *Socket, after int64) {
	for {
		events, err := h.svc.Events(h.ctx, s.UserID, after, pageSize)
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Error("chat: replay inbox", "user_id", s.UserID, "err", err)
			}
			s.drop(err)
			return
		}
		for i := range events {
			e := &events[i]
			select {
			case s.out <- e:
				h.svc.metrics.delivered.WithLabelValues(e.Type).Inc()
				after = e.Seq
			case <-s.done:
				return
			}
		}
		if len(events) < pageSize {
			h.goLive(s, after)
			return
		}
	}
}

// goLive hands s, which has been sent everything up to sent, to the pump,
// and wakes the pump once for whatever arrived meanwhile.
func (h *Hub) goLive(s *Socket, sent int64) {
	s.user.mu.Lock()
	s.sent, s.live = sent, true
	s.user.mu.Unlock()
	h.wake(s.UserID, 0)
}

// local delivers an event this node just committed to the sockets here
// that are due exactly it, saving the read a notice would cost; ev lacks
// only the inbox seq, which each notice gives. A socket further behind is
// left to the pump, which the bus notice that follows wakes.
func (h *Hub) local(notices []notice, ev *Event) {
	for _, n := range notices {
		h.mu.Lock()
		u := h.users[n.userID]
		h.mu.Unlock()
		if u == nil {
			continue
		}
		one := []Event{*ev}
		one[0].Seq = n.seq
		u.mu.Lock()
		for s := range u.sockets {
			if s.live && !s.waiting.Load() && s.sent == n.seq-1 {
				h.deal(s, one)
			}
		}
		u.mu.Unlock()
	}
}

// notice handles a bus message "<µs> <user>:<seq> …". It only wakes pumps.
func (h *Hub) notice(msg string) {
	stamp, rest, _ := strings.Cut(msg, " ")
	if us, err := strconv.ParseInt(stamp, 10, 64); err == nil {
		h.svc.metrics.busLag.Observe(max(0, time.Since(time.UnixMicro(us)).Seconds()))
	}
	for _, part := range strings.Fields(rest) {
		user, seqText, ok := strings.Cut(part, ":")
		seq, err := strconv.ParseInt(seqText, 10, 64)
		if ok && err == nil && seq > 0 {
			h.wake(user, seq)
		}
	}
}

// wake makes userID's pump read, unless no socket here lacks seq (0: read
// regardless). It never blocks on I/O.
func (h *Hub) wake(userID string, seq int64) {
	h.mu.Lock()
	u := h.users[userID]
	closed := h.closed
	h.mu.Unlock()
	if u == nil || closed {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if seq > 0 && !u.behind(seq) {
		return
	}
	if u.running {
		u.dirty = true
		return
	}
	u.running = true
	h.wg.Add(1)
	go func() { defer h.wg.Done(); h.pump(userID, u) }()
}

// behind reports whether a live socket has not been sent seq; u.mu held.
func (u *userSockets) behind(seq int64) bool {
	for s := range u.sockets {
		if s.live && s.sent < seq {
			return true
		}
	}
	return false
}

// pump reads userID's inbox above the lowest position of its live sockets
// and deals the rows out, until a read finds nothing new.
func (h *Hub) pump(userID string, u *userSockets) {
	for {
		u.mu.Lock()
		u.dirty = false
		from, found := int64(0), false
		for s := range u.sockets {
			if !s.live {
				continue
			}
			if s.waiting.Load() {
				// Its writer has not taken anything since the queue filled.
				if time.Since(s.behindAt) > h.svc.cfg.SlowAfter {
					h.svc.metrics.dropped.Inc()
					s.dropLocked(ErrSlowConsumer)
				}
				continue
			}
			if !found || s.sent < from {
				from, found = s.sent, true
			}
		}
		if !found {
			u.running = false
			u.mu.Unlock()
			return
		}
		u.mu.Unlock()

		events, err := h.svc.Events(h.ctx, userID, from, pageSize)
		u.mu.Lock()
		if err != nil {
			u.running = false
			u.mu.Unlock()
			if h.ctx.Err() == nil {
				h.log.Error("chat: read inbox", "user_id", userID, "err", err)
				time.AfterFunc(time.Second, func() { h.wake(userID, 0) })
			}
			return
		}
		for s := range u.sockets {
			if s.live && !s.waiting.Load() {
				h.deal(s, events)
			}
		}
		if !u.dirty && len(events) < pageSize {
			u.running = false
			u.mu.Unlock()
			return
		}
		u.mu.Unlock()
	}
}

// deal hands s the events it has not been sent, as many as its queue has
// room for; s.user.mu held. When the queue is full the socket waits for its
// owner to take an event (Took); one that stays behind for Config.SlowAfter
// while more is due is dropped by the pump.
func (h *Hub) deal(s *Socket, events []Event) {
	for i := range events {
		e := &events[i]
		if e.Seq <= s.sent {
			continue
		}
		select {
		case s.out <- e:
			s.sent = e.Seq
			h.svc.metrics.delivered.WithLabelValues(e.Type).Inc()
		default:
			if s.behindAt.IsZero() {
				s.behindAt = time.Now()
			}
			s.waiting.Store(true)
			return
		}
	}
	s.behindAt = time.Time{}
}

// reconcile wakes the pumps of users whose inbox head is past what their
// live sockets here were sent: the backstop for a lost bus notice.
func (h *Hub) reconcile() {
	lowest := map[string]int64{}
	h.mu.Lock()
	for id, u := range h.users {
		u.mu.Lock()
		for s := range u.sockets {
			if cur, ok := lowest[id]; s.live && (!ok || s.sent < cur) {
				lowest[id] = s.sent
			}
		}
		u.mu.Unlock()
	}
	h.mu.Unlock()
	if len(lowest) == 0 {
		return
	}
	ids := make([]string, 0, len(lowest))
	for id := range lowest {
		ids = append(ids, id)
	}
	heads, err := h.svc.heads(h.ctx, ids)
	if err != nil {
		if h.ctx.Err() == nil {
			h.log.Error("chat: reconcile inbox heads", "err", err)
		}
		return
	}
	for id, head := range heads {
		if head > lowest[id] {
			h.wake(id, head)
		}
	}
}

// Close drops every socket with ErrShuttingDown, refuses new ones, waits
// (at most 10 s) for the sockets' owners to close them, and stops
// listening to the bus. serve calls it as shutdown begins, so clients
// reconnect to another node at once.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	var all []*Socket
	for _, u := range h.users {
		u.mu.Lock()
		for s := range u.sockets {
			all = append(all, s)
		}
		u.mu.Unlock()
	}
	h.mu.Unlock()
	for _, s := range all {
		s.drop(ErrShuttingDown)
	}
	closed := make(chan struct{})
	go func() { h.open.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		h.log.Warn("chat: sockets still open after 10 s of shutdown")
	}
	if h.unsubscribe != nil {
		h.unsubscribe()
	}
	h.cancel()
	h.wg.Wait()
}

// Close unregisters the socket; its owner calls it when the connection ends.
func (s *Socket) Close() {
	s.drop(nil)
	h := s.hub
	defer s.closed.Do(h.open.Done)
	h.mu.Lock()
	s.user.mu.Lock()
	if len(s.user.sockets) == 0 && h.users[s.UserID] == s.user {
		delete(h.users, s.UserID)
	}
	s.user.mu.Unlock()
	h.mu.Unlock()
}

func (s *Socket) drop(reason error) {
	s.user.mu.Lock()
	s.dropLocked(reason)
	s.user.mu.Unlock()
}

// dropLocked removes s from its user's sockets and closes Done; s.user.mu held.
func (s *Socket) dropLocked(reason error) {
	s.once.Do(func() {
		delete(s.user.sockets, s)
		s.reason = reason
		close(s.done)
		s.hub.svc.metrics.sockets.Dec()
	})
}
