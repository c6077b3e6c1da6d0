package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// The lease: the one row of demo_seed names the seeder that may run until
// lease_until, which it pushes forward while it works. A seeder that dies
// stops renewing, and another may take over once the lease has run out.
const (
	leaseFor   = 30 * time.Second
	renewEvery = 10 * time.Second
	pollEvery  = 2 * time.Second
)

// errLeaseLost stops a run whose lease another seeder took (this one
// stalled for longer than leaseFor).
var errLeaseLost = errors.New("demo: another seeder took over the lease")

type lease struct {
	d      *db.DB
	holder string
}

// acquire takes the lease, waiting (and reporting that it waits) while
// another seeder holds it. It returns ctx's error if ctx ends first.
func (s *Seeder) acquire(ctx context.Context) (*lease, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	host, _ := os.Hostname()
	l := &lease{d: s.d.DB, holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))}
	waiting := false
	for {
		now := time.Now().UTC()
		res, err := l.d.ExecContext(ctx, `INSERT INTO demo_seed (id, holder, lease_until, started_at) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET holder = $1, lease_until = $2, started_at = $3 WHERE demo_seed.lease_until < $3`,
			l.holder, now.Add(leaseFor), now)
		if err != nil {
			return nil, fmt.Errorf("demo: take the seed lease: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return l, nil
		}
		if !waiting {
			waiting = true
			var holder string
			_ = l.d.QueryRowContext(ctx, `SELECT holder FROM demo_seed WHERE id = 1`).Scan(&holder)
			s.report(Progress{Step: "waiting for the seed already running in " + holder, Total: s.total()})
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// renew pushes the lease forward until ctx ends; if the lease was lost, it
// stops the run with errLeaseLost.
func (l *lease) renew(ctx context.Context, stop context.CancelCauseFunc) {
	t := time.NewTicker(renewEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := l.d.ExecContext(ctx, `UPDATE demo_seed SET lease_until = $1 WHERE id = 1 AND holder = $2`, time.Now().UTC().Add(leaseFor), l.holder)
		if err != nil {
			continue // a busy database: the next tick tries again, well within the lease
		}
		if n, _ := res.RowsAffected(); n == 0 {
			stop(errLeaseLost)
			return
		}
	}
}

// release gives the lease up at once, marking the demo seeded to the end
// when finished is set.
func (l *lease) release(ctx context.Context, finished bool) {
	now := time.Now().UTC()
	q := `UPDATE demo_seed SET lease_until = $1 WHERE id = 1 AND holder = $2`
	if finished {
		q = `UPDATE demo_seed SET lease_until = $1, finished_at = $1 WHERE id = 1 AND holder = $2`
	}
	_, _ = l.d.ExecContext(ctx, q, now, l.holder)
}

// finished reports whether a seed has run to the end.
func finished(ctx context.Context, d *db.DB) (bool, error) {
	var n int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM demo_seed WHERE finished_at IS NOT NULL`).Scan(&n); err != nil {
		return false, fmt.Errorf("demo: seed state: %w", err)
	}
	return n > 0, nil
}
