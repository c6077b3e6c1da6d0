package chat_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/bus/memory"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search/bleve"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is chat on a real database with the real catalog, checkout, media
// and account services it reads cards and blocks from.
type env struct {
	t        testing.TB
	db       *db.DB
	clock    *clock
	accounts *account.Service
	catalog  *catalog.Service
	checkout *checkout.Service
	chat     *chat.Service
}

func newEnv(t testing.TB, d *db.DB, cfg chat.Config) *env {
	t.Helper()
	blobs, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	ix, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, c.now)
	co := checkout.NewService(d, cat, checkout.Config{Currency: "USD"}, c.now)
	q, err := jobs.Open(ctx, d, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	// The transcoder is never started: the tests insert ready video rows.
	med, err := media.NewService(media.Deps{DB: d, Blob: blobs, Jobs: q, Transcoder: transcode.Sandbox{}, Now: c.now},
		media.Config{StagingDir: t.TempDir(), PublicURL: "http://reelmart.test"})
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.NewService(d, account.Config{AvatarURLPrefix: "http://reelmart.test/api/v1", Hasher: account.NewHasher(argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})}, c.now)
	b := memory.New()
	t.Cleanup(func() { b.Close() })
	svc := chat.NewService(chat.Deps{DB: d, Bus: b, Products: cat, Shops: cat, Orders: co, Videos: med, Blocks: accounts, AvatarURL: accounts.AvatarURL}, cfg, c.now)
	return &env{t: t, db: d, clock: c, accounts: accounts, catalog: cat, checkout: co, chat: svc}
}

// user inserts a user row directly (hashing is slow and not under test).
func (e *env) user(handle string) string {
	e.t.Helper()
	id := reelmart.NewID()
	now := e.clock.now()
	_, err := e.db.ExecContext(ctx, `INSERT INTO users (id, email, email_norm, handle, display_name, password_hash, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $4, 'x', $5, $5)`, id, handle+"@example.com", handle, "User "+handle, now)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// shop opens a shop of owner with one active product of one SKU; it returns both ids.
func (e *env) shop(owner, name string, stock int) (string, string) {
	e.t.Helper()
	sh, err := e.catalog.CreateShop(ctx, owner, catalog.ShopInput{Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	code, price := "STD", catalog.Money{AmountMinor: 1999, Currency: "USD"}
	p, err := e.catalog.CreateProduct(ctx, owner, catalog.ProductInput{ShopID: sh.ID, Title: name + " tee", Status: catalog.StatusActive,
		SKUs: []catalog.SKUInput{{Code: &code, Price: &price, Stock: &stock}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return sh.ID, p.ID
}

// order places an order of one unit of product's first SKU for buyer.
func (e *env) order(buyer, productID string) checkout.Order {
	e.t.Helper()
	p, err := e.catalog.Product(ctx, buyer, productID)
	if err != nil {
		e.t.Fatal(err)
	}
	orders, err := e.checkout.CreateOrders(ctx, buyer, checkout.OrderInput{
		Items:    []checkout.ItemInput{{SKUID: p.SKUs[0].ID, Qty: 1}},
		Shipping: &checkout.Shipping{Name: "Secret Name", Line1: "1 Hidden Street", City: "Town", PostalCode: "12345", Country: "US", Phone: "+15550100"},
	}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return orders[0]
}

// video inserts a ready video row of creator.
func (e *env) video(creator string) string {
	e.t.Helper()
	id := reelmart.NewID()
	now := e.clock.now()
	_, err := e.db.ExecContext(ctx, `INSERT INTO videos (id, creator_id, status, caption, created_at, updated_at) VALUES ($1, $2, 'ready', 'look', $3, $3)`, id, creator, now)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) open(user string, peer chat.Ref, context *chat.Ref) (chat.Thread, bool) {
	e.t.Helper()
	th, created, err := e.chat.Open(ctx, user, chat.ThreadInput{Peer: peer, Context: context})
	if err != nil {
		e.t.Fatalf("open %v: %v", peer, err)
	}
	return th, created
}

func (e *env) send(user, thread, clientID, body string) chat.Message {
	e.t.Helper()
	m, _, err := e.chat.Send(ctx, user, thread, chat.MessageInput{ClientMsgID: clientID, Body: &body}, chat.ViaHTTP)
	if err != nil {
		e.t.Fatalf("send %q: %v", body, err)
	}
	return m
}

// inbox returns every event of user's inbox.
func (e *env) inbox(user string) []chat.Event {
	e.t.Helper()
	evs, err := e.chat.Events(ctx, user, 0, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func code(err error) string {
	if e := reelmart.AsError(err); e != nil {
		return e.Code
	}
	return ""
}

func fields(err error) []string {
	var out []string
	if e := reelmart.AsError(err); e != nil {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func user(id string) chat.Ref { return chat.Ref{Type: chat.KindUser, ID: id} }
func shop(id string) chat.Ref { return chat.Ref{Type: chat.KindShop, ID: id} }

func catalogDraft(shopID string, code *string, price int64, stock *int) catalog.ProductInput {
	return catalog.ProductInput{ShopID: shopID, Title: "secret draft", Status: catalog.StatusDraft,
		SKUs: []catalog.SKUInput{{Code: code, Price: &catalog.Money{AmountMinor: price, Currency: "USD"}, Stock: stock}}}
}

func accountReg(handle string) account.Registration {
	return account.Registration{Email: handle + "@example.com", Password: "correct horse battery", Handle: handle, DisplayName: "User " + handle}
}

func accountClient() account.Client { return account.Client{IP: "127.0.0.1"} }
