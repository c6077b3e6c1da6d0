// Package chatbench measures chat on PostgreSQL: 2,000 WebSocket clients in
// 1,000 threads, driven from a child process so that the server's memory and
// CPU are its own. `make bench-chat` runs it; docs/BENCHMARKS.md has the
// figures and how to read them.
package chatbench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Pair is two clients in one thread (or, for the echo server, one pair of sockets).
type Pair struct {
	Tokens   [2]string `json:"tokens"`
	ThreadID string    `json:"thread_id"`
}

// Plan tells the client process whom to connect and what to send.
type Plan struct {
	URL   string `json:"url"`   // ws://…/api/v1/ws or the echo server's URL
	Echo  bool   `json:"echo"`  // the echo server: pair index in the query, no auth
	Pairs []Pair `json:"pairs"` // one thread per pair
}

// Step is one fixed-rate run; Result what it measured at the receivers.
type Step struct {
	Rate     int           `json:"rate"` // messages per second
	Duration time.Duration `json:"duration"`
}

type Result struct {
	Rate      int     `json:"rate"`
	Sent      int     `json:"sent"`
	Received  int     `json:"received"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	Achieved  float64 `json:"achieved"` // messages per second actually sent
	SendFails int     `json:"send_fails"`
}

// client is one socket of the load process.
type client struct {
	conn   *websocket.Conn
	thread string
}

// RunClients is the child process: it reads a Plan from stdin, connects
// every client, prints "connected", then for each Step line on stdin sends
// at that rate and prints the Result as JSON. It returns when stdin closes.
func RunClients(stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<20), 64<<20)
	if !in.Scan() {
		return fmt.Errorf("no plan: %v", in.Err())
	}
	var plan Plan
	if err := json.Unmarshal(in.Bytes(), &plan); err != nil {
		return err
	}
	var lat latencies
	clients := make([]*client, 2*len(plan.Pairs))
	var wg sync.WaitGroup
	var dialErr atomic.Value
	sem := make(chan struct{}, 64)
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			p := plan.Pairs[i/2]
			url, hdr := plan.URL, http.Header{}
			if plan.Echo {
				url += "?i=" + strconv.Itoa(i)
			} else {
				hdr.Set("Authorization", "Bearer "+p.Tokens[i%2])
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr})
			if err != nil {
				dialErr.Store(err)
				return
			}
			clients[i] = &client{conn: conn, thread: p.ThreadID}
			go clients[i].read(&lat)
		}(i)
	}
	wg.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	fmt.Fprintln(stdout, "connected")
	for in.Scan() {
		var st Step
		if err := json.Unmarshal(in.Bytes(), &st); err != nil {
			return err
		}
		res := run(clients, st, &lat)
		raw, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(raw))
	}
	for _, c := range clients {
		c.conn.CloseNow()
	}
	return in.Err()
}

// latencies collects send-to-receive times of the current step.
type latencies struct {
	mu  sync.Mutex
	d   []time.Duration
	got atomic.Int64
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
	l.got.Add(1)
}

func (l *latencies) reset() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.d
	l.d = nil
	l.got.Store(0)
	return out
}

// read records the latency of every message a peer sent: the body carries
// the time it was due to be sent, so a sender that falls behind counts too.
func (c *client) read(lat *latencies) {
	for {
		_, raw, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		var f struct {
			Type    string `json:"type"`
			Body    string `json:"body"`
			Message *struct {
				Body string `json:"body"`
			} `json:"message"`
		}
		if json.Unmarshal(raw, &f) != nil {
			continue
		}
		body := f.Body
		if f.Type == "message" && f.Message != nil {
			body = f.Message.Body
		} else if f.Type != "send" {
			continue // hello, acks, the sender's own copy
		}
		from, me, ok := strings.Cut(body, "|")
		if !ok {
			continue
		}
		if me == fmt.Sprintf("%p", c) {
			continue // this client's own message coming back
		}
		ns, err := strconv.ParseInt(from, 10, 64)
		if err == nil {
			lat.add(time.Since(time.Unix(0, ns)))
		}
	}
}

// run sends st.Rate messages a second for st.Duration, round-robin over the
// clients, open loop, then waits for the stragglers and reports.
func run(clients []*client, st Step, lat *latencies) Result {
	lat.reset()
	const workers = 16
	total := int(float64(st.Rate) * st.Duration.Seconds())
	interval := time.Second / time.Duration(st.Rate)
	start := time.Now()
	var fails atomic.Int64
	var wg sync.WaitGroup
	var seq atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < total; i += workers {
				due := start.Add(time.Duration(i) * interval)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				c := clients[i%len(clients)]
				n := seq.Add(1)
				body := fmt.Sprintf("%d|%p", due.UnixNano(), c)
				frame := fmt.Sprintf(`{"type":"send","id":"%d","thread_id":%q,"client_msg_id":"b%d-%d","body":%q}`, n, c.thread, start.UnixNano(), n, body)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if c.conn.Write(ctx, websocket.MessageText, []byte(frame)) != nil {
					fails.Add(1)
				}
				cancel()
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	deadline := time.Now().Add(5 * time.Second)
	for lat.got.Load() < int64(total)-fails.Load() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	d := lat.reset()
	time.Sleep(2 * time.Second) // the server settles before the next step
	lat.reset()                 // and stragglers of this step do not count in it
	slices.Sort(d)
	res := Result{Rate: st.Rate, Sent: total, Received: len(d), SendFails: int(fails.Load()), Achieved: float64(total) / elapsed.Seconds()}
	if len(d) > 0 {
		ms := func(q float64) float64 {
			return float64(d[min(len(d)-1, int(q*float64(len(d))))].Microseconds()) / 1000
		}
		res.P50ms, res.P99ms, res.MaxMs = ms(0.50), ms(0.99), float64(d[len(d)-1].Microseconds())/1000
	}
	return res
}

// clientMain runs RunClients when the test binary was started as the client process.
func clientMain() {
	if err := RunClients(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chat bench clients:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
