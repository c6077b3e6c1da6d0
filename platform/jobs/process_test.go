package jobs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// childEnv tells a re-executed test binary to act as a worker process: it
// opens the queue with childKinds and runs Work until it is killed or its
// stdin closes. It prints one line per event on stdout.
const childEnv = "JOBS_TEST_CHILD"

// childConfig is what a worker process is told through childEnv.
type childConfig struct {
	URL   string
	Long  int
	Short int
	Hang  bool // test.long hangs, ignoring its context, like a wedged decoder
}

func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		if err := runChild(raw); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(raw string) error {
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // the parent closes stdin to stop the child cleanly
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		cancel()
	}()
	d, err := db.Open(ctx, cfg.URL, "")
	if err != nil {
		return err
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	// Production polling and liveness: 1 s long and 200 ms short polls,
	// 5 s heartbeats, a 30 s stale limit.
	opts := Options{ShutdownGrace: 2 * time.Second, testOnly: true}
	q, err := OpenWith(ctx, d, testLogger(nil), opts, childKinds(say, cfg.Hang)...)
	if err != nil {
		return err
	}
	defer q.Close()
	return q.Work(ctx, Workers{Long: cfg.Long, Short: cfg.Short})
}

// childKinds are the kinds every test process declares: a transcode-like
// long job with a transcode's time budget, an index-like short job, and a
// periodic tick. say reports each run.
func childKinds(say func(string, ...any), hang bool) []Kind {
	return []Kind{
		{Name: "test.long", Queue: QueueLong, MaxAttempts: 3, Timeout: 45 * time.Minute,
			Handler: func(ctx context.Context, j Job) error {
				say("STARTED %d %d %s", j.ID, j.Attempt, j.Kind)
				if hang {
					select {} // until killed
				}
				time.Sleep(200 * time.Millisecond)
				say("DONE %d %d", j.ID, j.Attempt)
				return nil
			}},
		{Name: "test.short", Queue: QueueShort, Timeout: 10 * time.Second,
			Handler: func(ctx context.Context, j Job) error {
				say("STARTED %d %d %s", j.ID, j.Attempt, j.Kind)
				return nil
			}},
		{Name: "test.tick", Queue: QueueShort, Every: time.Second,
			Handler: func(ctx context.Context, j Job) error {
				say("TICK %d %d", j.ID, time.Now().UnixMilli())
				return nil
			}},
	}
}

// child is a running worker process.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	lines chan string // every line it printed, in order
}

func startChild(t *testing.T, cfg childConfig) *child {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker process: %v", err)
	}
	c := &child{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 1000)}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			c.lines <- s.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return c
}

// await returns the first line from now on that starts with prefix, or
// fails the test after within.
func (c *child) await(prefix string, within time.Duration) string {
	c.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("worker process %d exited while waiting for %q", c.cmd.Process.Pid, prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			c.t.Fatalf("worker process %d did not print %q within %s", c.cmd.Process.Pid, prefix, within)
		}
	}
}

// kill sends SIGKILL: no shutdown, no last words, like a crashed machine.
func (c *child) kill() {
	c.t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		c.t.Fatalf("kill worker process: %v", err)
	}
	_ = c.cmd.Wait()
}

// waitWorkers polls job_workers until n processes have registered.
func waitWorkers(t *testing.T, d *db.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got int
		if err := d.QueryRowContext(t.Context(), `SELECT count(*) FROM job_workers`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d worker processes registered in 30 s", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leaderPid returns the pid of the process holding River's leadership, or 0.
func leaderPid(t *testing.T, d *db.DB) int {
	t.Helper()
	var pid int
	err := d.QueryRowContext(t.Context(), `SELECT w.pid FROM river_leader l JOIN job_workers w ON w.id = l.leader_id`).Scan(&pid)
	if err != nil && err != db.ErrNoRows {
		t.Fatal(err)
	}
	return pid
}

// enqueueNamed enqueues kind through a queue that runs nothing, as an API
// node does, and returns the job's id and the time it was committed.
func enqueueNamed(t *testing.T, d *db.DB, q *Queue, kind string) (int64, time.Time) {
	t.Helper()
	id := enqueueCommitted(t, d, q, kind, map[string]string{"video_id": "v9"})
	return id, time.Now()
}

// parentQueue is an API node's queue: the same kinds, never worked here.
func parentQueue(t *testing.T, d *db.DB) *Queue {
	return openQueue(t, d, testOptions(), childKinds(func(string, ...any) {}, false)...)
}
