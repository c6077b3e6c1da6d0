package jobs

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// childURLEnv tells a re-executed test binary to act as a worker process
// that takes one job and hangs in it until killed.
const childURLEnv = "JOBS_TEST_CHILD_DB"

func TestMain(m *testing.M) {
	if url := os.Getenv(childURLEnv); url != "" {
		if err := runHangingWorker(url); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runHangingWorker(url string) error {
	ctx := context.Background()
	d, err := db.Open(ctx, url, "")
	if err != nil {
		return err
	}
	q, err := OpenWith(ctx, d, nil, testOptions(), Kind{Name: "test.dead", Timeout: time.Second,
		Handler: func(_ context.Context, j Job) error {
			fmt.Printf("STARTED %d\n", j.ID)
			time.Sleep(time.Hour) // a hang that ignores its context, like a wedged decoder
			return nil
		}})
	if err != nil {
		return err
	}
	return q.Work(ctx, 1)
}

func TestJobOfKilledWorkerIsRescued(t *testing.T) {
	eachEngine(t, func(t *testing.T, dialect db.Dialect) {
		url := dbURL(t, dialect)
		d := openDB(t, url)
		c := newCounter()
		q := openQueue(t, d, testOptions(), Kind{Name: "test.dead", Timeout: time.Second,
			Handler: func(_ context.Context, j Job) error {
				c.add(j)
				return nil
			}})
		id := enqueueCommitted(t, d, q, "test.dead", map[string]string{"video_id": "v9"})

		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), childURLEnv+"="+url)
		child.Stderr = os.Stderr
		out, err := child.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := child.Start(); err != nil {
			t.Fatalf("start child worker: %v", err)
		}
		t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
		line := make(chan string, 1)
		go func() {
			s := bufio.NewScanner(out)
			for s.Scan() {
				if strings.HasPrefix(s.Text(), "STARTED") {
					line <- s.Text()
					return
				}
			}
			close(line)
		}()
		select {
		case l, ok := <-line:
			if want := fmt.Sprintf("STARTED %d", id); !ok || l != want {
				t.Fatalf("child said %q, want %q", l, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("child worker did not take the job")
		}
		if err := child.Process.Kill(); err != nil {
			t.Fatalf("kill child: %v", err)
		}
		_ = child.Wait()
		if s, err := q.State(t.Context(), id); err != nil || s.State != StateRunning || s.Attempt != 1 {
			t.Fatalf("after the kill: got %+v, %v; want running on attempt 1", s, err)
		}

		start := time.Now()
		startWork(t, q, 1)
		s := waitFinished(t, q, id, 50*time.Second)
		t.Logf("rescued and completed %s after the kill", time.Since(start).Round(time.Millisecond))
		if s.State != StateCompleted || s.Attempt != 2 || len(s.Errors) != 1 {
			t.Fatalf("got %+v, want completed on attempt 2 after one rescue", s)
		}
		if runs, args := c.get(id); runs != 1 || !sameJSON(args, `{"video_id":"v9"}`) {
			t.Fatalf("the new worker ran the job %d times with %s, want once with its args", runs, args)
		}
		t.Logf("rescue error: %q", s.Errors[0].Message)
	})
}
