package account_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// clock is a settable time source for expiry and throttling.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// cheap argon2id settings: the tests check behaviour, not hashing cost.
var fastHasher = account.NewHasher(argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})

func newService(t *testing.T, d *db.DB) (*account.Service, *clock) {
	c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	cfg := account.Config{Hasher: fastHasher, MaxFailuresPerEmail: 3, MaxFailuresPerIP: 5, ThrottleWindow: 10 * time.Minute, SessionTTL: time.Hour}
	return account.NewService(d, cfg, c.now), c
}

var ctx = context.Background()

func reg(handle string) account.Registration {
	return account.Registration{Email: handle + "@example.com", Password: "correct horse battery", Handle: handle, DisplayName: "User " + handle}
}

func mustRegister(t *testing.T, s *account.Service, handle string) (account.User, account.Session) {
	t.Helper()
	u, sess, err := s.Register(ctx, reg(handle), account.Client{IP: "127.0.0.1"})
	if err != nil {
		t.Fatalf("register %s: %v", handle, err)
	}
	return u, sess
}

func code(err error) string {
	if e := reelmart.AsError(err); e != nil {
		return e.Code
	}
	return ""
}

func TestRegisterAndAuthenticate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d)
		in := reg("Ana.Lee")
		in.Email = "  Ana@Example.com "
		u, sess, err := s.Register(ctx, in, account.Client{IP: "10.0.0.1", UserAgent: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Handle != "ana.lee" || u.Email != "Ana@Example.com" || u.ID == "" {
			t.Fatalf("registered user = %+v", u)
		}
		got, err := s.Authenticate(ctx, sess.Token)
		if err != nil || got.ID != u.ID || got.Email != u.Email {
			t.Fatalf("Authenticate = %+v, %v; want %s", got, err, u.ID)
		}
		if !got.CreatedAt.Equal(u.CreatedAt) {
			t.Fatalf("created_at round trip: got %v want %v", got.CreatedAt, u.CreatedAt)
		}
	})
}

func TestRegisterDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d)
		mustRegister(t, s, "dup")
		sameEmail := reg("other")
		sameEmail.Email = "DUP@example.COM"
		if _, _, err := s.Register(ctx, sameEmail, account.Client{}); code(err) != "email_taken" {
			t.Fatalf("same email, other case: err = %v, want email_taken", err)
		}
		sameHandle := reg("DUP")
		sameHandle.Email = "new@example.com"
		if _, _, err := s.Register(ctx, sameHandle, account.Client{}); code(err) != "handle_taken" {
			t.Fatalf("same handle, other case: err = %v, want handle_taken", err)
		}
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("users after duplicates = %d, %v; want 1", n, err)
		}
	})
}

func TestRegisterValidation(t *testing.T) {
	s, _ := newService(t, dbtest.Open(t, db.SQLite))
	cases := []struct {
		name  string
		edit  func(*account.Registration)
		field string
	}{
		{"short password", func(r *account.Registration) { r.Password = "123456789" }, "password"},
		{"no email", func(r *account.Registration) { r.Email = "" }, "email"},
		{"email with name", func(r *account.Registration) { r.Email = "Ana <ana@example.com>" }, "email"},
		{"email without domain dot", func(r *account.Registration) { r.Email = "ana@localhost" }, "email"},
		{"handle too short", func(r *account.Registration) { r.Handle = "ab" }, "handle"},
		{"handle with space", func(r *account.Registration) { r.Handle = "ana lee" }, "handle"},
		{"handle reserved", func(r *account.Registration) { r.Handle = "admin" }, "handle"},
		{"handle dots", func(r *account.Registration) { r.Handle = "ana..lee" }, "handle"},
		{"display name empty", func(r *account.Registration) { r.DisplayName = "   " }, "display_name"},
		{"display name control", func(r *account.Registration) { r.DisplayName = "a\x00b" }, "display_name"},
		{"display name long", func(r *account.Registration) { r.DisplayName = string(make([]rune, 51)) }, "display_name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := reg("valid_one")
			tc.edit(&r)
			_, _, err := s.Register(ctx, r, account.Client{})
			e := reelmart.AsError(err)
			if e == nil || e.Code != "validation_failed" || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
				t.Fatalf("err = %#v, want validation_failed on %s", err, tc.field)
			}
		})
	}
	// Ten characters of any script is enough.
	r := reg("unicode_pw")
	r.Password = "пароль-пар"
	if _, _, err := s.Register(ctx, r, account.Client{}); err != nil {
		t.Fatalf("10-rune password rejected: %v", err)
	}
}

func TestLoginLogoutAndExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, clk := newService(t, d)
		u, _ := mustRegister(t, s, "logan")
		if _, _, err := s.Login(ctx, "logan@example.com", "wrong password!", account.Client{IP: "1.1.1.1"}); !errors.Is(err, account.ErrBadLogin) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, _, err := s.Login(ctx, "nobody@example.com", "correct horse battery", account.Client{IP: "1.1.1.1"}); !errors.Is(err, account.ErrBadLogin) {
			t.Fatalf("unknown email: %v", err)
		}
		got, sess, err := s.Login(ctx, "LOGAN@example.com", "correct horse battery", account.Client{IP: "1.1.1.1"})
		if err != nil || got.ID != u.ID {
			t.Fatalf("login = %+v, %v", got, err)
		}
		if _, err := s.Authenticate(ctx, sess.Token); err != nil {
			t.Fatalf("fresh session: %v", err)
		}
		clk.add(time.Hour)
		if _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, account.ErrSessionExpired) {
			t.Fatalf("after TTL: %v, want session_expired", err)
		}
		_, sess2, err := s.Login(ctx, "logan@example.com", "correct horse battery", account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Logout(ctx, sess2.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, sess2.Token); !errors.Is(err, account.ErrInvalidToken) {
			t.Fatalf("after logout: %v, want invalid_token", err)
		}
		for _, bad := range []string{"", "rms_", "Bearer x", "rms_" + string(make([]byte, 200))} {
			if _, err := s.Authenticate(ctx, bad); !errors.Is(err, account.ErrInvalidToken) {
				t.Fatalf("token %q: %v", bad, err)
			}
		}
		// Sweep drops sessions a week past expiry, keeping recent ones.
		clk.add(8 * 24 * time.Hour)
		n, err := s.Sweep(ctx)
		if err != nil || n < 1 {
			t.Fatalf("sweep removed %d, %v", n, err)
		}
		if _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, account.ErrInvalidToken) {
			t.Fatalf("swept session: %v, want invalid_token", err)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, clk := newService(t, d)
		mustRegister(t, s, "victim")
		client := account.Client{IP: "9.9.9.9"}
		for i := 0; i < 3; i++ {
			if _, _, err := s.Login(ctx, "victim@example.com", "guess number "+string(rune('a'+i)), client); !errors.Is(err, account.ErrBadLogin) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		// The right password is refused too while the account is throttled.
		_, _, err := s.Login(ctx, "victim@example.com", "correct horse battery", account.Client{IP: "8.8.8.8"})
		e := reelmart.AsError(err)
		if e == nil || e.Code != "too_many_attempts" || e.RetryAfter <= 0 || e.RetryAfter > 10*time.Minute {
			t.Fatalf("4th attempt: %#v, want too_many_attempts with retry-after", err)
		}
		// Per IP: other accounts from the same address are cut off after 5 failures in all.
		for i := 0; i < 2; i++ {
			_, _, _ = s.Login(ctx, "someone@example.com", "nope nope nope", client)
		}
		if _, _, err := s.Login(ctx, "third@example.com", "nope nope nope", client); code(err) != "too_many_attempts" {
			t.Fatalf("IP throttle: %v", err)
		}
		clk.add(10 * time.Minute)
		if _, _, err := s.Login(ctx, "victim@example.com", "correct horse battery", client); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestFollowAndProfile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d)
		a, _ := mustRegister(t, s, "alice")
		b, _ := mustRegister(t, s, "bob")
		c, _ := mustRegister(t, s, "carol")
		for _, f := range [][2]string{{a.ID, b.ID}, {c.ID, b.ID}, {b.ID, a.ID}, {a.ID, b.ID}} {
			if err := s.Follow(ctx, f[0], f[1]); err != nil {
				t.Fatal(err)
			}
		}
		p, err := s.Profile(ctx, b.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.FollowerCount != 2 || p.FollowingCount != 1 || !p.IsFollowing || p.Email != "" {
			t.Fatalf("bob's profile as alice: %+v", p)
		}
		if p, _ := s.Profile(ctx, b.ID, ""); p.IsFollowing {
			t.Fatal("anonymous viewer is_following = true")
		}
		if err := s.Follow(ctx, a.ID, a.ID); code(err) != "cannot_follow_self" {
			t.Fatalf("self follow: %v", err)
		}
		if err := s.Follow(ctx, a.ID, "missing"); code(err) != "user_not_found" {
			t.Fatalf("follow missing: %v", err)
		}
		if err := s.Unfollow(ctx, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Unfollow(ctx, a.ID, b.ID); err != nil {
			t.Fatalf("second unfollow: %v", err)
		}
		if p, _ := s.Profile(ctx, b.ID, a.ID); p.FollowerCount != 1 || p.IsFollowing {
			t.Fatalf("after unfollow: %+v", p)
		}
	})
}

func TestExportAndDelete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d)
		a, sess := mustRegister(t, s, "leaver")
		b, _ := mustRegister(t, s, "stayer")
		_ = s.Follow(ctx, a.ID, b.ID)
		_ = s.Follow(ctx, b.ID, a.ID)
		ex, err := s.Export(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ex.User.Email != a.Email || len(ex.Following) != 1 || len(ex.Followers) != 1 || len(ex.Sessions) != 1 {
			t.Fatalf("export = %+v", ex)
		}
		if err := s.Delete(ctx, a.ID, "not my password"); !errors.Is(err, account.ErrBadLogin) {
			t.Fatalf("delete with wrong password: %v", err)
		}
		if err := s.Delete(ctx, a.ID, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, sess.Token); !errors.Is(err, account.ErrInvalidToken) {
			t.Fatalf("session of deleted user: %v", err)
		}
		if p, err := s.Profile(ctx, b.ID, ""); err != nil || p.FollowerCount != 0 || p.FollowingCount != 0 {
			t.Fatalf("follows of deleted user remain: %+v, %v", p, err)
		}
		// The email is free again.
		mustRegister(t, s, "leaver")
	})
}

func TestConcurrentRegistrationsOfOneHandle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d)
		var wg sync.WaitGroup
		results := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := reg("race")
				r.Email = "race" + string(rune('a'+i)) + "@example.com"
				_, _, err := s.Register(ctx, r, account.Client{})
				results <- err
			}(i)
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case code(err) != "handle_taken":
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d registrations of one handle succeeded, want 1", ok)
		}
	})
}

// Erasers run before the user is deleted, in one transaction; a failing
// one keeps the account, and its rollback keeps what the others erased.
func TestDeleteRunsErasersFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if _, err := d.Exec(`CREATE TABLE test_other_domain (user_id TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		fail := true
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		s := account.NewService(d, account.Config{Hasher: fastHasher, Erasers: []account.Eraser{
			func(ctx context.Context, tx *sql.Tx, id string) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM test_other_domain WHERE user_id = $1`, id)
				return err
			},
			func(context.Context, *sql.Tx, string) error {
				if fail {
					return errors.New("other domain is down")
				}
				return nil
			},
		}}, c.now)
		u, sess := mustRegister(t, s, "eraseme")
		if _, err := d.Exec(`INSERT INTO test_other_domain (user_id) VALUES ($1)`, u.ID); err != nil {
			t.Fatal(err)
		}
		rows := func() (n int) {
			if err := d.QueryRow(`SELECT COUNT(*) FROM test_other_domain`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if err := s.Delete(ctx, u.ID, "correct horse battery"); err == nil {
			t.Fatal("delete succeeded with a failing eraser")
		}
		if _, err := s.Authenticate(ctx, sess.Token); err != nil || rows() != 1 {
			t.Fatalf("after a failed erase: %v, %d rows of the other domain", err, rows())
		}
		fail = false
		if err := s.Delete(ctx, u.ID, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if rows() != 0 {
			t.Fatal("the eraser did not run")
		}
	})
}
