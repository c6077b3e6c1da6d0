package chat

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/bus"
	"github.com/reelmart/reelmart/platform/db"
)

// Products, Shops, Orders and Videos are what chat reads of the other
// domains to check and snapshot cards; *catalog.Service, *checkout.Service
// and *media.Service have them. Each returns the thing as viewerID may see
// it, or its not-found error.
type (
	Products interface {
		Product(ctx context.Context, viewerID, id string) (catalog.Product, error)
	}
	Shops interface {
		Shop(ctx context.Context, id string) (catalog.Shop, error)
	}
	Orders interface {
		Order(ctx context.Context, userID, id string) (checkout.Order, error)
	}
	Videos interface {
		Video(ctx context.Context, id, viewerID string) (media.Video, error)
	}
)

var (
	_ Products = (*catalog.Service)(nil)
	_ Shops    = (*catalog.Service)(nil)
	_ Orders   = (*checkout.Service)(nil)
	_ Videos   = (*media.Service)(nil)
)

// Blocks says whether either of two users has blocked the other; *account.Service has it.
type Blocks interface {
	IsBlocked(ctx context.Context, a, b string) (bool, error)
}

// Deps is what the service is built on. Videos may be nil (no video cards).
type Deps struct {
	DB       *db.DB
	Bus      bus.Bus
	Products Products
	Shops    Shops
	Orders   Orders
	Videos   Videos
	Blocks   Blocks
	// AvatarURL gives a user's avatar address from their avatar id ("":
	// none, nil); account.Service.AvatarURL is it. Nil: peers show no avatar.
	AvatarURL func(userID, avatarID string) *string
	Log       *slog.Logger
}

// Config holds the chat limits an operator may tune.
type Config struct {
	SendLimit  int           // messages per user per SendWindow; default 30
	SendWindow time.Duration // default 10 s

	MaxSocketsPerUser int           // open sockets per user on one node; default 8
	SocketQueue       int           // frames waiting for a socket's writer; default 256
	SlowAfter         time.Duration // how long a socket may stay a full queue behind before it is dropped; default 5 s
	Reconcile         time.Duration // how often the hub compares inbox heads with what it sent; default 30 s

	// SendAlone stores every text message on PostgreSQL in a statement of
	// its own, never coalesced with others (batch_pg.go); for comparing
	// the two in benchmarks and tests.
	SendAlone bool
}

func (c Config) withDefaults() Config {
	if c.SendLimit <= 0 {
		c.SendLimit = 30
	}
	if c.SendWindow <= 0 {
		c.SendWindow = 10 * time.Second
	}
	if c.MaxSocketsPerUser <= 0 {
		c.MaxSocketsPerUser = 8
	}
	if c.SocketQueue <= 0 {
		c.SocketQueue = 256
	}
	if c.SlowAfter <= 0 {
		c.SlowAfter = 5 * time.Second
	}
	if c.Reconcile <= 0 {
		c.Reconcile = 30 * time.Second
	}
	return c
}

// Topic is the bus topic of inbox notices.
const Topic = "chat"

// Service keeps threads, messages and read marks, and announces every
// inbox event on the bus after it commits.
type Service struct {
	db      *db.DB
	bus     bus.Bus
	deps    Deps
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics
	hub     *Hub         // this node's, set by NewHub: events made here reach its sockets without a read
	batch   *sendBatcher // coalesces text sends on PostgreSQL; nil on SQLite or with Config.SendAlone
}

// NewService returns a Service. now is the clock (time.Now in production).
func NewService(deps Deps, cfg Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		db: deps.DB, bus: deps.Bus, deps: deps, cfg: cfg.withDefaults(), log: deps.Log, metrics: newMetrics(),
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
	if deps.DB.Dialect() == db.Postgres && !cfg.SendAlone {
		s.batch = newSendBatcher(s)
	}
	return s
}

// notice is one inbox event to announce: user's inbox reached seq.
type notice struct {
	userID string
	seq    int64
}

// announce hands ev (when the caller has it whole) to this node's hub,
// then tells every node which inboxes grew, in messages of at most
// bus.MaxMessage bytes: "<publish time in µs> <user>:<seq> …". A failure is
// logged, not returned: the events are committed, and a node that missed
// the notice finds them when it reconciles.
func (s *Service) announce(ctx context.Context, notices []notice, ev *Event) {
	if ev != nil && s.hub != nil {
		s.hub.local(notices, ev)
	}
	if s.bus == nil || len(notices) == 0 {
		return
	}
	stamp := strconv.FormatInt(s.now().UnixMicro(), 10)
	var b strings.Builder
	b.WriteString(stamp)
	flush := func() {
		if err := s.bus.Publish(context.WithoutCancel(ctx), Topic, b.String()); err != nil {
			s.log.Warn("chat: announce on the bus", "err", err)
		}
		b.Reset()
		b.WriteString(stamp)
	}
	for _, n := range notices {
		part := " " + n.userID + ":" + strconv.FormatInt(n.seq, 10)
		if b.Len()+len(part) > bus.MaxMessage {
			flush()
		}
		b.WriteString(part)
	}
	flush()
}
