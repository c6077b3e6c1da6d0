package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// node is one `reelmart serve` child process.
type node struct {
	base string
	cmd  *exec.Cmd
	logs *syncBuffer
}

// startNode runs `reelmart serve` as a child process on databaseURL and
// waits until it is ready.
func startNode(t *testing.T, databaseURL string) *node {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = []string{"REELMART_TEST_RUN_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"REELMART_ADDR=" + addr, "REELMART_DATA_DIR=" + t.TempDir(), "REELMART_DATABASE_URL=" + databaseURL, "REELMART_WORKERS=0"}
	n := &node{base: "http://" + addr, cmd: cmd, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(n.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s not ready in 60 s:\n%s", addr, n.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM, as an orchestrator would, and waits for a clean exit.
func (n *node) stop(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node exited with %v:\n%s", err, n.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop in 30 s")
	}
}

type chatFrame struct {
	Type     string `json:"type"`
	Seq      int64  `json:"seq"`
	InboxSeq int64  `json:"inbox_seq"`
	Message  *struct {
		Seq  int64  `json:"seq"`
		Body string `json:"body"`
	} `json:"message"`
}

type socketClient struct {
	conn   *websocket.Conn
	frames chan chatFrame
	err    chan error
}

func dialSocket(t *testing.T, base, token string, since int64) *socketClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.Replace(base, "http://", "ws://", 1) + fmt.Sprintf("/api/v1/ws?since=%d", since)
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatalf("dial %s: %v", base, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &socketClient{conn: conn, frames: make(chan chatFrame, 1000), err: make(chan error, 1)}
	go func() {
		for {
			_, raw, err := conn.Read(context.Background())
			if err != nil {
				c.err <- err
				return
			}
			var f chatFrame
			_ = json.Unmarshal(raw, &f)
			c.frames <- f
		}
	}()
	return c
}

// next returns the next frame that is not an ack.
func (c *socketClient) next(t *testing.T) chatFrame {
	t.Helper()
	for {
		select {
		case f := <-c.frames:
			if f.Type != "ack" {
				return f
			}
		case err := <-c.err:
			t.Fatalf("socket ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no frame in 10 s")
		}
	}
}

func userID(t *testing.T, base, token string) string {
	t.Helper()
	var me struct {
		ID string `json:"id"`
	}
	call(t, "GET", base+"/api/v1/me", token, "", &me)
	return me.ID
}

// twoNodesWithThread starts two nodes on one PostgreSQL, registers ana on
// the first and bob on the second, and opens bob's thread with ana.
func twoNodesWithThread(t *testing.T) (a, b *node, ana, bob string, th struct{ ID string }) {
	t.Helper()
	databaseURL := dbtest.PostgresURL(t)
	a, b = startNode(t, databaseURL), startNode(t, databaseURL)
	ana, bob = registerToken(t, a.base, "ana"), registerToken(t, b.base, "bob")
	if status := call(t, "POST", a.base+"/api/v1/threads", bob, fmt.Sprintf(`{"peer":{"type":"user","id":%q}}`, userID(t, a.base, ana)), &th); status != http.StatusCreated {
		t.Fatalf("open thread: %d", status)
	}
	return a, b, ana, bob, th
}

// Two `reelmart serve` processes on one PostgreSQL: a message posted on
// one reaches a socket on the other, both ways; when a node shuts down its
// client reconnects to the other with since and loses nothing.
func TestChatAcrossTwoNodes(t *testing.T) {
	a, b, ana, bob, th := twoNodesWithThread(t)
	anaOnB := dialSocket(t, b.base, ana, 0)
	bobOnA := dialSocket(t, a.base, bob, 0)
	for _, c := range []*socketClient{anaOnB, bobOnA} {
		if f := c.next(t); f.Type != "hello" {
			t.Fatalf("first frame %+v", f)
		}
		if f := c.next(t); f.Type != "thread" || f.Seq != 1 { // replayed from since=0
			t.Fatalf("replayed thread event: %+v", f)
		}
	}
	post := func(base, token, id, body string) {
		t.Helper()
		if status := call(t, "POST", base+"/api/v1/threads/"+th.ID+"/messages", token, fmt.Sprintf(`{"client_msg_id":%q,"body":%q}`, id, body), nil); status != http.StatusCreated {
			t.Fatalf("post %s on %s: %d", body, base, status)
		}
	}
	post(a.base, bob, "m1", "posted on A")
	if f := anaOnB.next(t); f.Type != "message" || f.Message.Body != "posted on A" || f.Seq != 2 {
		t.Fatalf("ana on B got %+v", f)
	}
	if f := bobOnA.next(t); f.Message == nil || f.Message.Body != "posted on A" {
		t.Fatalf("bob on A got %+v", f)
	}
	// Over the socket on B, to a socket on A.
	if err := anaOnB.conn.Write(context.Background(), websocket.MessageText,
		[]byte(fmt.Sprintf(`{"type":"send","id":"1","thread_id":%q,"client_msg_id":"m2","body":"sent on B"}`, th.ID))); err != nil {
		t.Fatal(err)
	}
	if f := bobOnA.next(t); f.Message == nil || f.Message.Body != "sent on B" || f.Message.Seq != 2 {
		t.Fatalf("bob on A got %+v", f)
	}
	last := anaOnB.next(t).Seq // ana's own message, as an event on her socket

	// Node B goes away: ana's socket is closed with 1001 and she moves to A.
	b.stop(t)
	select {
	case err := <-anaOnB.err:
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("ana's socket on B closed with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ana's socket on B was not closed")
	}
	for i := 0; i < 3; i++ {
		post(a.base, bob, fmt.Sprint("away", i), fmt.Sprint("while ana moves ", i))
	}
	anaOnA := dialSocket(t, a.base, ana, last)
	if f := anaOnA.next(t); f.Type != "hello" || f.InboxSeq != last+3 {
		t.Fatalf("hello on A: %+v", f)
	}
	for i := 0; i < 3; i++ {
		if f := anaOnA.next(t); f.Seq != last+1+int64(i) || f.Message.Body != fmt.Sprint("while ana moves ", i) {
			t.Fatalf("replay on A: %+v", f)
		}
	}
	post(a.base, bob, "live", "live on A")
	if f := anaOnA.next(t); f.Seq != last+4 || f.Message.Body != "live on A" {
		t.Fatalf("live on A: %+v", f)
	}
	if strings.Contains(a.logs.String(), ana) || strings.Contains(a.logs.String(), bob) {
		t.Fatal("a session token reached the logs")
	}
}

// The send rate limit is one count on every node: what a user sent through
// one node counts on the other. A notice from the other node is timed in
// the bus lag metric.
func TestChatRateLimitCountsAcrossNodes(t *testing.T) {
	a, b, ana, bob, th := twoNodesWithThread(t)
	post := func(base, id string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/threads/"+th.ID+"/messages",
			strings.NewReader(fmt.Sprintf(`{"client_msg_id":%q,"body":"message %s"}`, id, id)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+bob)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	const limit = 30 // chat.Config's default: 30 messages per 10 s
	for i := range limit {
		base := []string{a.base, b.base}[i%2]
		if status, _ := post(base, fmt.Sprint(i)); status != http.StatusCreated {
			t.Fatalf("message %d of %d on %s: %d", i+1, limit, base, status)
		}
	}
	for _, base := range []string{a.base, b.base} {
		status, after := post(base, "over")
		if s, err := strconv.Atoi(after); status != http.StatusTooManyRequests || err != nil || s < 1 || s > 10 {
			t.Fatalf("message over the limit on %s: %d, Retry-After %q", base, status, after)
		}
	}
	// A message ana sends through one node is a notice the other node
	// hears over the bus (it publishes nothing meanwhile) and times.
	for i, n := range [][2]string{{a.base, b.base}, {b.base, a.base}} {
		hearer, sender := n[0], n[1]
		before := metric(t, hearer, "reelmart_chat_bus_lag_seconds_count")
		id := fmt.Sprint("ana-", i)
		body := fmt.Sprintf(`{"client_msg_id":%q,"body":"hello"}`, id)
		if status := call(t, "POST", sender+"/api/v1/threads/"+th.ID+"/messages", ana, body, nil); status != http.StatusCreated {
			t.Fatalf("ana's message on %s: %d", sender, status)
		}
		deadline := time.Now().Add(10 * time.Second)
		for metric(t, hearer, "reelmart_chat_bus_lag_seconds_count") <= before {
			if time.Now().After(deadline) {
				t.Fatalf("%s timed no notice of the message sent through %s in 10 s", hearer, sender)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// metric reads one sample of the node's /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %q", name, line)
			}
			return n
		}
	}
	t.Fatalf("%s/metrics has no %s", base, name)
	return 0
}
