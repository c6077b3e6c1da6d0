package demo

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/internal/mediatest"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/jobs"
	"github.com/reelmart/reelmart/platform/search/bleve"
)

func TestMain(m *testing.M) { mediatest.Main(m) }

// deps wires the real services on d, as cmd/reelmart does, with a job
// queue that takes jobs but runs none (the tests count what was queued).
func deps(t *testing.T, d *db.DB) Deps {
	t.Helper()
	blobs, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	accounts := account.NewService(d, account.Config{Blobs: blobs,
		Hasher: account.NewHasher(argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})}, time.Now)
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, time.Now)
	q, err := jobs.Open(t.Context(), d, slog.New(slog.DiscardHandler), jobs.Kind{
		Name: media.TranscodeKind, Handler: func(context.Context, jobs.Job) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	sandbox := mediatest.Sandbox(t)
	med, err := media.NewService(media.Deps{DB: d, Blob: blobs, Transcoder: sandbox, Jobs: q, Products: cat.Pins()},
		media.Config{StagingDir: t.TempDir(), PublicURL: "http://reelmart.test"})
	if err != nil {
		t.Fatal(err)
	}
	return Deps{DB: d, Accounts: accounts, Catalog: cat, Media: med, Clips: sandbox, Currency: "USD"}
}

// world counts the rows the demo world should leave.
func world() map[string]int {
	want := map[string]int{
		"users": len(creators) + 1, "follows": len(follows) + len(creators),
		"videos": len(videos), "orders": len(orders), "transcode jobs": len(videos),
		"avatars": len(creators) + 1, "bios": len(creators) + 1,
	}
	for _, c := range creators {
		if c.Shop == nil {
			continue
		}
		want["shops"]++
		for _, p := range c.Shop.Products {
			want["products"]++
			want["skus"] += len(combinations(p.Options))
			pictures := 1
			for _, o := range p.Options {
				if o.Name == "color" {
					pictures = len(o.Values)
				}
			}
			want["images"] += pictures
		}
	}
	for _, v := range videos {
		want["pins"] += len(v.Pins)
	}
	return want
}

func counts(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	got := map[string]int{}
	for name, q := range map[string]string{
		"users":          `SELECT COUNT(*) FROM users WHERE email_norm LIKE '%@` + EmailDomain + `'`,
		"avatars":        `SELECT COUNT(*) FROM users WHERE avatar_id IS NOT NULL`,
		"bios":           `SELECT COUNT(*) FROM users WHERE bio <> ''`,
		"follows":        `SELECT COUNT(*) FROM follows`,
		"shops":          `SELECT COUNT(*) FROM shops`,
		"products":       `SELECT COUNT(*) FROM products WHERE status = 'active'`,
		"skus":           `SELECT COUNT(*) FROM skus`,
		"images":         `SELECT COUNT(*) FROM product_images`,
		"videos":         `SELECT COUNT(*) FROM videos WHERE status = 'processing'`,
		"pins":           `SELECT COUNT(*) FROM pins`,
		"orders":         `SELECT COUNT(*) FROM orders`,
		"transcode jobs": `SELECT COUNT(*) FROM river_job WHERE kind = 'media.transcode'`,
	} {
		var n int
		if err := d.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = n
	}
	return got
}

// Two seeders started at once (as two nodes, or serve's first run and
// `reelmart seed`) leave exactly one demo world: the lease makes one wait,
// and it then finds everything there.
func TestSeedTwiceAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dd := deps(t, d)
		if pending, err := Pending(ctx, d); err != nil || !pending {
			t.Fatalf("fresh database: pending = %v, %v", pending, err)
		}
		var wg sync.WaitGroup
		sums := make([]Summary, 2)
		errs := make([]error, 2)
		var mu sync.Mutex
		var last []Progress
		for i := range sums {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sums[i], errs[i] = New(dd, Options{Quick: true, TempDir: t.TempDir()}).Run(ctx, func(p Progress) {
					mu.Lock()
					last = append(last, p)
					mu.Unlock()
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("seeder %d: %v", i, err)
			}
		}
		want, got := world(), counts(t, d)
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: %d, want %d", k, got[k], n)
			}
		}
		made, noop := sums[0], sums[1]
		if made.Created == 0 {
			made, noop = noop, made
		}
		if made.Created == 0 || noop.Created != 0 || noop.Existing == 0 {
			t.Fatalf("summaries %+v %+v: want one seeder to make the world and the other to find it", sums[0], sums[1])
		}
		waited := false
		for _, p := range last {
			waited = waited || p.Step != "" && p.Done == 0
		}
		if !waited {
			t.Error("no seeder reported waiting for the other")
		}
		if pending, err := Pending(ctx, d); err != nil || pending {
			t.Fatalf("after the seed: pending = %v, %v", pending, err)
		}
		// The documented logins work.
		if _, _, err := dd.Accounts.Login(ctx, "mia.cooks@"+EmailDomain, Password, account.Client{}); err != nil {
			t.Fatalf("demo login: %v", err)
		}
		// The orders went as far as the world says, over several days.
		states := map[string]int{}
		for _, o := range orders {
			states[o.FinalState]++
		}
		for state, n := range states {
			var got int
			if err := d.QueryRow(`SELECT COUNT(*) FROM orders WHERE state = $1`, state).Scan(&got); err != nil || got != n {
				t.Errorf("%s orders: %d, want %d (%v)", state, got, n, err)
			}
		}
		var days int
		if err := d.QueryRow(`SELECT COUNT(DISTINCT created_at) FROM orders`).Scan(&days); err != nil || days != len(orders) {
			t.Errorf("orders placed at %d distinct times, want %d (%v)", days, len(orders), err)
		}

		// A third run, alone, still changes nothing.
		again, err := New(dd, Options{Quick: true, TempDir: t.TempDir()}).Run(ctx, nil)
		if err != nil || again.Created != 0 {
			t.Fatalf("third run: %+v, %v", again, err)
		}
		if after := counts(t, d); !equal(after, got) {
			t.Fatalf("third run changed the counts: %v, was %v", after, got)
		}
		// OnlyIfPending does nothing on a seeded database.
		if s, err := New(dd, Options{OnlyIfPending: true}).Run(ctx, nil); err != nil || !s.Skipped {
			t.Fatalf("first-run seed on a seeded database: %+v, %v", s, err)
		}
	})
}

// A database that already has users is a real deployment: the first start
// of serve must not seed demo accounts into it.
func TestPendingOnlyOnAnEmptyDatabase(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	dd := deps(t, d)
	if _, _, err := dd.Accounts.Register(context.Background(), account.Registration{
		Email: "real@example.com", Password: "a real password", Handle: "real", DisplayName: "Real"}, account.Client{}); err != nil {
		t.Fatal(err)
	}
	s, err := New(dd, Options{OnlyIfPending: true}).Run(context.Background(), nil)
	if err != nil || !s.Skipped {
		t.Fatalf("first-run seed beside a real user: %+v, %v", s, err)
	}
	var n int
	if err := d.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("users: %d, %v", n, err)
	}
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
