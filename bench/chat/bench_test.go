package chatbench

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/coder/websocket"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/chat"
	"github.com/reelmart/reelmart/checkout"
	"github.com/reelmart/reelmart/platform/blob/local"
	buspg "github.com/reelmart/reelmart/platform/bus/postgres"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/search/bleve"
)

// The test binary doubles as the client process.
func TestMain(m *testing.M) {
	if os.Getenv("REELMART_CHAT_BENCH_CLIENTS") == "1" {
		clientMain()
	}
	os.Exit(m.Run())
}

const (
	threads = 1000 // two clients each
	target  = 2000 // messages per second for (a)
	p99Max  = 100.0
)

var ctx = context.Background()

// logf prints a line of the report. testing.B's log keeps only the first
// ten lines of a benchmark's output, and the report is longer.
func logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// BenchmarkChat reports, in one run on PostgreSQL: (a) send-to-receive
// latency at 2,000 messages/s; (b) the highest rate whose p99 stays within
// 100 ms, beside the storage ceiling (the same message rows written by a
// bare loop) and the fan-out ceiling (a bare echo server on the same
// WebSocket library, same clients); (c) server memory per idle socket.
func BenchmarkChat(b *testing.B) {
	dbURL := dbtest.PostgresURL(b)
	d, err := db.Open(ctx, dbURL, "")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		b.Fatal(err)
	}
	srv, svc, closeServer := chatServer(b, d, dbURL)
	pairs := world(b, d, svc)

	// (c) memory per idle socket, server side, after a GC.
	before := serverMemory()
	cl := startClients(b, Plan{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/ws", Pairs: pairs})
	time.Sleep(2 * time.Second) // let every socket settle (hello sent, replays over)
	after := serverMemory()
	perSocket := (after.heapStack - before.heapStack) / float64(2*threads)
	perSocketRSS := (after.rss - before.rss) / float64(2*threads)
	logf("(c) idle sockets: %d; server heap+stack %.1f KiB per socket, RSS %.1f KiB per socket (goroutines %d → %d)",
		2*threads, perSocket/1024, perSocketRSS/1024, before.goroutines, after.goroutines)

	// (b) ramp until p99 passes 100 ms or messages go missing, then (a) at the fixed rate.
	chatBest := ramp(b, "chat", cl, []int{250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000})
	a := cl.step(b, Step{Rate: target, Duration: 10 * time.Second})
	logf("(a) %d msg/s for 10 s: p50 %.1f ms, p99 %.1f ms, max %.1f ms, received %d/%d, achieved %.0f/s",
		a.Rate, a.P50ms, a.P99ms, a.MaxMs, a.Received, a.Sent, a.Achieved)
	cl.close(b)
	closeServer()

	storage, storageTx := storageCeiling(b, d, pairs)
	echoURL, closeEcho := echoServer(b)
	ecl := startClients(b, Plan{URL: echoURL, Echo: true, Pairs: pairs})
	echoBest := ramp(b, "echo", ecl, []int{2000, 4000, 8000, 12000, 16000, 24000, 32000, 48000})
	ecl.close(b)
	closeEcho()

	logf("(b) chat sustains %d msg/s at p99 ≤ 100 ms; storage ceiling %.0f msg/s (message rows alone), %.0f msg/s (every row a send writes, one transaction each); fan-out ceiling (echo) %d msg/s",
		chatBest, storage, storageTx, echoBest)
	logf("(b) ratios: chat / storage ceiling %.2f (message rows), %.2f (all rows); chat / echo %.2f",
		float64(chatBest)/storage, float64(chatBest)/storageTx, float64(chatBest)/float64(max(echoBest, 1)))
	b.ReportMetric(a.P50ms, "p50-ms@2000/s")
	b.ReportMetric(a.P99ms, "p99-ms@2000/s")
	b.ReportMetric(float64(chatBest), "sustained-msg/s")
	b.ReportMetric(storage, "storage-ceiling-msg/s")
	b.ReportMetric(float64(echoBest), "echo-ceiling-msg/s")
	b.ReportMetric(perSocket/1024, "KiB/idle-socket")
}

// chatServer is the real API with chat, the PostgreSQL bus and a hub, on a
// real listener. The send limit is lifted: the load sends more per user.
func chatServer(b *testing.B, d *db.DB, dbURL string) (*httptest.Server, *chat.Service, func()) {
	blobs, err := local.New(b.TempDir(), local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ix, err := bleve.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	bus, err := buspg.Open(ctx, dbURL, buspg.Options{})
	if err != nil {
		b.Fatal(err)
	}
	accounts := account.NewService(d, account.Config{Hasher: account.NewHasher(argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})}, time.Now)
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, time.Now)
	co := checkout.NewService(d, cat, checkout.Config{Currency: "USD"}, time.Now)
	svc := chat.NewService(chat.Deps{DB: d, Bus: bus, Products: cat, Shops: cat, Orders: co, Blocks: accounts},
		chat.Config{SendLimit: 1 << 30, MaxSocketsPerUser: 4}, time.Now)
	hub := svc.NewHub()
	srv := httptest.NewServer(api.New(api.Deps{Accounts: accounts, Catalog: cat, Checkout: co, Chat: svc, Hub: hub}))
	benchAccounts = accounts
	return srv, svc, func() { hub.Close(); srv.Close(); bus.Close(); ix.Close(); blobs.Close() }
}

var benchAccounts *account.Service

// world registers two users per thread and opens their thread.
func world(b *testing.B, d *db.DB, svc *chat.Service) []Pair {
	pairs := make([]Pair, threads)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range pairs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			var ids [2]string
			for j := 0; j < 2; j++ {
				h := fmt.Sprintf("u%d_%d", i, j)
				u, sess, err := benchAccounts.Register(ctx, account.Registration{Email: h + "@example.com", Password: "correct horse battery", Handle: h, DisplayName: h}, account.Client{})
				if err != nil {
					b.Error(err)
					return
				}
				ids[j], pairs[i].Tokens[j] = u.ID, sess.Token
			}
			th, _, err := svc.Open(ctx, ids[0], chat.ThreadInput{Peer: chat.Ref{Type: chat.KindUser, ID: ids[1]}})
			if err != nil {
				b.Error(err)
				return
			}
			pairs[i].ThreadID = th.ID
		}(i)
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return pairs
}

type memory struct {
	heapStack, rss float64
	goroutines     int
}

func serverMemory() memory {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memory{heapStack: float64(ms.HeapInuse + ms.StackInuse), goroutines: runtime.NumGoroutine()}
	if raw, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(raw)); len(f) > 1 {
			pages, _ := strconv.ParseFloat(f[1], 64)
			m.rss = pages * float64(os.Getpagesize())
		}
	}
	return m
}

// clients is the child process that holds the sockets.
type clients struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startClients(b *testing.B, plan Plan) *clients {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REELMART_CHAT_BENCH_CLIENTS=1", "GOMAXPROCS=2")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(plan)
	fmt.Fprintln(stdin, string(raw))
	c := &clients{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	if !c.out.Scan() || c.out.Text() != "connected" {
		b.Fatalf("client process: %q %v", c.out.Text(), c.out.Err())
	}
	return c
}

func (c *clients) step(b *testing.B, st Step) Result {
	raw, _ := json.Marshal(st)
	fmt.Fprintln(c.stdin, string(raw))
	if !c.out.Scan() {
		b.Fatalf("client process ended: %v", c.out.Err())
	}
	var r Result
	if err := json.Unmarshal(c.out.Bytes(), &r); err != nil {
		b.Fatalf("client process said %q", c.out.Text())
	}
	return r
}

func (c *clients) close(b *testing.B) {
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		b.Fatalf("client process: %v", err)
	}
}

// ramp runs 5-second steps at rising rates and returns the highest rate
// that kept p99 within 100 ms with every message received.
func ramp(b *testing.B, name string, c *clients, rates []int) int {
	best := 0
	for _, rate := range rates {
		r := c.step(b, Step{Rate: rate, Duration: 5 * time.Second})
		ok := r.P99ms <= p99Max && r.Received >= r.Sent-r.SendFails && r.SendFails == 0 && r.Achieved >= 0.95*float64(rate)
		logf("(b) %s %5d msg/s: p50 %6.1f ms, p99 %7.1f ms, received %d/%d, achieved %.0f/s %s",
			name, rate, r.P50ms, r.P99ms, r.Received, r.Sent, r.Achieved, map[bool]string{true: "ok", false: "over"}[ok])
		if !ok {
			break
		}
		best = rate
	}
	return best
}

// storageCeiling writes, for 5 s each from 32 goroutines, (1) the message
// row of a send alone, one autocommit INSERT each, and (2) every row a send
// writes (the thread's seq, the message, both members' inbox heads and
// rows) as one transaction of bare statements, with none of the checks.
func storageCeiling(b *testing.B, d *db.DB, pairs []Pair) (float64, float64) {
	var seq atomic.Int64
	seq.Store(1 << 40)
	users := map[string][2]string{}
	rows, err := d.QueryContext(ctx, `SELECT thread_id, user_id FROM chat_members ORDER BY thread_id, user_id`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var t, u string
		_ = rows.Scan(&t, &u)
		m := users[t]
		if m[0] == "" {
			m[0] = u
		} else {
			m[1] = u
		}
		users[t] = m
	}
	rows.Close()
	loop := func(op func(i int64, p Pair) error) float64 {
		var n atomic.Int64
		deadline := time.Now().Add(5 * time.Second)
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					i := seq.Add(1)
					if err := op(i, pairs[i%int64(len(pairs))]); err != nil {
						b.Error(err)
						return
					}
					n.Add(1)
				}
			}()
		}
		start := time.Now()
		wg.Wait()
		return float64(n.Load()) / time.Since(start).Seconds()
	}
	now := time.Now()
	bare := loop(func(i int64, p Pair) error {
		_, err := d.ExecContext(ctx, `INSERT INTO chat_messages (thread_id, seq, id, sender_id, kind, body, client_msg_id, created_at)
			VALUES ($1, $2, $3, $4, 'text', 'ceiling', $5, $6)`, p.ThreadID, i, reelmart.NewID(), users[p.ThreadID][0], strconv.FormatInt(i, 10), now)
		return err
	})
	full := loop(func(i int64, p Pair) error {
		return d.Tx(ctx, func(tx *sql.Tx) error {
			var s int64
			if err := tx.QueryRowContext(ctx, `UPDATE chat_threads SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq`, p.ThreadID).Scan(&s); err != nil {
				return err
			}
			u := users[p.ThreadID]
			if _, err := tx.ExecContext(ctx, `INSERT INTO chat_messages (thread_id, seq, id, sender_id, kind, body, client_msg_id, created_at)
				VALUES ($1, $2, $3, $4, 'text', 'ceiling', $5, $6)`, p.ThreadID, s+1<<50, reelmart.NewID(), u[0], "t"+strconv.FormatInt(i, 10), now); err != nil {
				return err
			}
			for _, m := range u {
				var h int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO chat_inbox_heads (user_id, last_seq) VALUES ($1, 1)
					ON CONFLICT (user_id) DO UPDATE SET last_seq = chat_inbox_heads.last_seq + 1 RETURNING last_seq`, m).Scan(&h); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO chat_inbox (user_id, seq, kind, thread_id, ref_seq, actor_id, created_at)
					VALUES ($1, $2, 'message', $3, $4, $5, $6)`, m, h, p.ThreadID, s, u[0], now); err != nil {
					return err
				}
			}
			return nil
		})
	})
	logf("storage ceiling, 32 writers: message rows %.0f/s; every row of a send in one transaction %.0f/s", bare, full)
	return bare, full
}

// echoServer relays each frame from socket i to socket i^1: the fan-out
// cost of the WebSocket library alone, with no storage and no bus.
func echoServer(b *testing.B) (string, func()) {
	var mu sync.Mutex
	conns := map[int]*websocket.Conn{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.URL.Query().Get("i"))
		if err != nil {
			http.Error(w, "i", http.StatusBadRequest)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns[i] = conn
		mu.Unlock()
		for {
			typ, msg, err := conn.Read(r.Context())
			if err != nil {
				return
			}
			mu.Lock()
			peer := conns[i^1]
			mu.Unlock()
			if peer != nil {
				wctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
				_ = peer.Write(wctx, typ, msg)
				cancel()
			}
		}
	}))
	return "ws" + strings.TrimPrefix(srv.URL, "http"), func() {
		mu.Lock()
		for _, c := range conns {
			c.CloseNow()
		}
		mu.Unlock()
		srv.Close()
	}
}
