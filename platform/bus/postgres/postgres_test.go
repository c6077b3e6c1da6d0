package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelmart/reelmart/platform/bus"
	"github.com/reelmart/reelmart/platform/bus/bustest"
	"github.com/reelmart/reelmart/platform/bus/postgres"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func open(t *testing.T, url string) *postgres.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := postgres.Open(ctx, url, postgres.Options{Reconnect: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Each test gets its own database (NOTIFY does not cross databases); its nodes share it.
func TestContract(t *testing.T) {
	var urls sync.Map
	bustest.Run(t, func(t *testing.T) bus.Bus {
		v, ok := urls.Load(t.Name())
		if !ok {
			v, _ = urls.LoadOrStore(t.Name(), dbtest.PostgresURL(t))
		}
		return open(t, v.(string))
	})
}

// A node whose listening connection is cut reconnects and tells its
// subscribers they may have missed messages, then receives again.
func TestMissedAfterReconnect(t *testing.T) {
	url := dbtest.PostgresURL(t)
	a, b := open(t, url), open(t, url)
	missed := make(chan struct{}, 1)
	got := make(chan string, 16)
	b.Subscribe("chat", bus.Handler{
		Notice: func(m string) { got <- m },
		Missed: func() {
			select {
			case missed <- struct{}{}:
			default:
			}
		},
	})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Every LISTENing backend of this database but our own: both nodes' listeners.
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'listen%'`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-missed:
	case <-time.After(10 * time.Second):
		t.Fatal("no Missed call after the listener's connection was cut")
	}
	if err := a.Publish(ctx, "chat", "after"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "after" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received after the reconnect")
	}
}
